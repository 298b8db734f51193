"""Which rows "a region" includes: the one SQL fragment every query uses.

Decision: a region's rows are its own rows and those of its descendants (a city includes its
districts). A city's own rows (e.g. Zhoushan's fleet registered at city level, 330900) belong to
the city only, never to one of its districts: district 330902 shows what is registered in
330902. So a city's figure is the sum of its districts' and its own, and no row is counted twice.
Applicability (the coverage table) is different: a district without its own coverage row inherits
its parent's (``applicable``).
"""

from __future__ import annotations

from typing import Any

from citybrain.cache import cached_query

#: Rows of a region and of its districts. Takes the region code twice (``params``).
IN_REGION = "({col} = ? OR {col} IN (SELECT region_code FROM regions WHERE parent_code = ?))"


def in_region(col: str, region: str) -> tuple[str, list[str]]:
    """``(sql, params)``: the condition that ``col`` lies in ``region`` (itself or a district)."""
    return IN_REGION.format(col=col), [region, region]


def sql(col: str = "region_code") -> str:
    """The condition alone (for queries that pass ``params(region)`` in their own order)."""
    return IN_REGION.format(col=col)


def params(region: str) -> list[str]:
    """The parameters ``sql`` needs."""
    return [region, region]


def coverage_map(store: Any, region: str) -> dict[str, tuple[bool, str | None]]:
    """``applicable`` for every dataset the coverage table lists for ``region`` or, where it lists
    nothing for the region, for its parent (a district inherits its city's coverage). One small
    query of a dimension table, memoised by build."""
    from citybrain.regions import REGIONS

    parent = REGIONS[region].parent if region in REGIONS else None
    return _coverage_rows(store, region, parent or region)


@cached_query(reads=())  # the coverage table: a dimension
def _coverage_rows(store: Any, region: str, parent: str) -> dict[str, tuple[bool, str | None]]:
    rows = store.columns("""SELECT dataset, applicable, reason, region_code = ? AS own FROM coverage
                            WHERE region_code = ? OR region_code = ? ORDER BY own, dataset""",
                         [region, region, parent])
    out: dict[str, tuple[bool, str | None]] = {}
    for ds, ok, reason in zip(rows["dataset"].tolist(), rows["applicable"].tolist(), rows["reason"].tolist()):
        out[ds] = (bool(ok), None if reason is None else str(reason))  # the region's own rows come last and win
    return out


#: The reason given for a dataset the store was built without (``citybrain build --only``).
NOT_LOADED = "本库构建时未载入该数据集"


def applicable(store: Any, region: str, dataset: str) -> tuple[bool, str | None]:
    """Whether ``dataset`` applies to ``region`` and, if not, the coverage table's reason; a dataset
    the table does not list applies, and one the store was built without applies nowhere
    (``NOT_LOADED``), so its pages, panels and layers say so instead of failing."""
    if dataset not in _loaded(store):
        return False, NOT_LOADED
    return coverage_map(store, region).get(dataset, (True, None))


@cached_query(reads=())  # the datasets table: a dimension
def _loaded(store: Any) -> frozenset[str]:
    return frozenset(store.columns("SELECT name FROM datasets")["name"].tolist())
