"""Facet versions: which part of the store a batch changed, so caches expire only what it touched.

The store's data version changes with every batch and names the whole store. A *facet* names a part:

* ``observations:water`` — one table's rows of one dataset (``observations``, ``tracks``, ``events``,
  ``entities``), and ``observations`` — that table's rows of any dataset;
* ``anchor`` — the store's "now" (``meta.anchor``).

Each facet of a time-stamped table also keeps the newest time of its rows (``last:<facet>``): a
query of rows up to a moment gives the same answer at any moment after its facets' newest row, so
it may be asked at that time instead (``citybrain.queries.kpi.data_now``) and stay cached while
other feeds move the store's now.

The dimension tables (regions, basemap, indicators, datasets, coverage, targets) change only with a
build; so does ``base``, the version every facet starts from. A batch bumps the facets of its table and
dataset (and ``anchor`` when it moves the store's now); a compaction that cuts rows by retention bumps
the facets it cut. Each facet's version is a ``meta`` row ``version:<facet>``; a facet no batch has
bumped since the build has the base version, and a store built before facets existed (no
``version:base``) answers the whole data version for every facet, so nothing is ever served stale.
``ALL`` names the whole store: its version is the data version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

#: The facet that stands for the whole store (its version is the data version).
ALL = "*"
#: The facet of the store's "now".
ANCHOR = "anchor"
#: The meta key prefix of facet versions.
PREFIX = "version:"
#: The meta key prefix of the newest row time of a facet (the time-stamped tables only).
LAST = "last:"
#: The tables whose rows carry a time ``ts`` that only grows the store's newest time.
TIMED = ("observations", "tracks")


def of_batch(table: str, dataset: str) -> tuple[str, str]:
    """The facets a batch of ``table`` rows for ``dataset`` changes."""
    return table, f"{table}:{dataset}"


def bump(con: duckdb.DuckDBPyConnection, facets: Iterable[str], version: str,
         newest: datetime | None = None) -> None:
    """Record that ``facets`` changed in the catalog ``con``, as of data version ``version``; ``newest``:
    the newest time of the rows added (each facet keeps the newest time of its rows)."""
    for f in sorted(set(facets)):
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [PREFIX + f, version])
        if newest is not None:
            _keep_newest(con, f, newest)


def record_newest(con: duckdb.DuckDBPyConnection) -> None:
    """A build: the newest time of each time-stamped table's rows, per dataset and in all."""
    for table in TIMED:
        for dataset, newest in con.execute(f"SELECT dataset, max(ts) FROM {table} GROUP BY dataset").fetchall():
            if newest is not None:
                for f in of_batch(table, dataset):
                    _keep_newest(con, f, newest)


def _keep_newest(con: duckdb.DuckDBPyConnection, facet: str, newest: datetime) -> None:
    old = con.execute("SELECT value FROM meta WHERE key = ?", [LAST + facet]).fetchall()
    if not old or newest > datetime.fromisoformat(old[0][0]):
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [LAST + facet, newest.isoformat()])


def start(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """A build: every facet starts at the build's version."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [PREFIX + "base", version])


def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, datetime]]:
    """Every facet version a catalog records (``base`` included), and the newest row time of each
    time-stamped facet, by facet."""
    rows = con.execute("SELECT key, value FROM meta WHERE starts_with(key, ?) OR starts_with(key, ?)",
                       [PREFIX, LAST]).fetchall()
    versions = {k[len(PREFIX):]: v for k, v in rows if k.startswith(PREFIX)}
    newest = {k[len(LAST):]: datetime.fromisoformat(v) for k, v in rows if k.startswith(LAST)}
    return versions, newest


def version_of(recorded: dict[str, str], facet: str, data_version: str) -> str:
    """The version of ``facet`` given the ``recorded`` ones (``read``) and the store's data version."""
    if facet == ALL:
        return data_version
    hit = recorded.get(facet)
    if hit is not None:
        return hit
    return recorded.get("base", data_version)
