"""Facet versions: which part of the store a batch changed, so caches expire only what it touched.

The store's data version changes with every batch and names the whole store. A *facet* names a part:

* ``observations:water`` — one table's rows of one dataset (``observations``, ``tracks``, ``events``,
  ``entities``), and ``observations`` — that table's rows of any dataset;
* ``anchor`` — the store's "now" (``meta.anchor``).

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

import duckdb

#: The facet that stands for the whole store (its version is the data version).
ALL = "*"
#: The facet of the store's "now".
ANCHOR = "anchor"
#: The meta key prefix of facet versions.
PREFIX = "version:"


def of_batch(table: str, dataset: str) -> tuple[str, str]:
    """The facets a batch of ``table`` rows for ``dataset`` changes."""
    return table, f"{table}:{dataset}"


def bump(con: duckdb.DuckDBPyConnection, facets: Iterable[str], version: str) -> None:
    """Record that ``facets`` changed in the catalog ``con``, as of data version ``version``."""
    for f in sorted(set(facets)):
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [PREFIX + f, version])


def start(con: duckdb.DuckDBPyConnection, version: str) -> None:
    """A build: every facet starts at the build's version."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [PREFIX + "base", version])


def read(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every facet version a catalog records (``base`` included), by facet."""
    rows = con.execute("SELECT key, value FROM meta WHERE starts_with(key, ?)", [PREFIX]).fetchall()
    return {k[len(PREFIX):]: v for k, v in rows}


def version_of(recorded: dict[str, str], facet: str, data_version: str) -> str:
    """The version of ``facet`` given the ``recorded`` ones (``read``) and the store's data version."""
    if facet == ALL:
        return data_version
    hit = recorded.get(facet)
    if hit is not None:
        return hit
    return recorded.get("base", data_version)
