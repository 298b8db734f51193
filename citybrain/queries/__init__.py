"""The query layer: every view (pages, layers, wall, API, export) reads the store through here.

Functions take the ``Store`` first and plain parameters after, bind every value as a SQL
parameter, return DataFrames, and are memoised by the versions of the store's facets they read (``citybrain.cache``,
``reads``). Modules:

- ``core``   the store's anchor, catalog, coverage, indicators, series
- ``kpi``    the cockpit's and the dashboards' queries
- ``geo``    the one-map layers' queries
"""

from citybrain.queries.core import (  # noqa: F401
    anchor,
    coverage,
    dataset_stats,
    datasets,
    indicator_stats,
    indicators,
    series,
)
