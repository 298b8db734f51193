"""The query layer: every view (pages, layers, wall, API, export) reads the store through here.

Functions take the ``Store`` first and plain parameters after, bind every value as a SQL
parameter, return DataFrames, and are memoised by data version (``citybrain.cache``). Modules:

- ``core``   catalog, regions, indicators, series, latest values, entities, positions, targets
"""

from citybrain.queries.core import (  # noqa: F401
    anchor,
    coverage,
    dataset_stats,
    datasets,
    entities,
    indicator_stats,
    indicators,
    latest_values,
    positions_at,
    region_geometry,
    regions,
    series,
    targets,
    window_sum,
)
