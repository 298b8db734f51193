"""Read side of the store: one read-only DuckDB connection per process, re-opened on a new file.

The store path is a link the build switches atomically to a new versioned file. Each query first
resolves the link (one ``readlink``); when it points elsewhere, the store opens the new file and
the data version changes, which invalidates cached query results. (Each version has its own file
name, so DuckDB's per-path instance cache never hands back the old database.) Every query runs on its own cursor
with bound parameters, so a half-read result never blocks another query and no SQL is ever built
from request values.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .settings import get_settings

log = logging.getLogger(__name__)


class StoreMissing(RuntimeError):
    """The store file does not exist yet (run ``citybrain build``)."""


class Store:
    """A read-only view of the DuckDB store file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._ident: str | None = None
        self._version: str | None = None

    def _identity(self) -> str:
        """The versioned file the store path currently points at."""
        real = os.path.realpath(self.path)
        if not os.path.exists(real):
            raise StoreMissing(f"no store at {self.path}: run `citybrain build`")
        return real

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The current connection, re-opened if the file was replaced since the last call."""
        ident = self._identity()
        if ident != self._ident or self._con is None:
            with self._lock:
                if ident != self._ident or self._con is None:
                    try:
                        con = duckdb.connect(ident, read_only=True)
                    except duckdb.IOException:
                        # the version we resolved was pruned a moment ago: resolve the link again
                        ident = self._identity()
                        con = duckdb.connect(ident, read_only=True)
                    version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]
                    if self._con is not None:
                        log.info("store switched to data version %s", version)
                    self._con, self._ident, self._version = con, ident, version
        assert self._con is not None
        return self._con

    @property
    def version(self) -> str:
        """The data version of the file currently served (changes whenever data changes)."""
        self.connection()
        assert self._version is not None
        return self._version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor for one query (thread-safe; never shares a pending result)."""
        return self.connection().cursor()

    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a parameterised query and return a DataFrame."""
        cur = self.cursor()
        try:
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()

    def columns(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Columns:
        """Run a parameterised query and return its columns as numpy arrays (``Columns``).

        The cheapest fetch DuckDB offers (no DataFrame, no Arrow strings): numbers stay numeric, text is
        an object array of ``str``; a NULL becomes NaN (numbers), NaT (times) or None (anything else).
        The map's layers use it: they work row by row on a few thousand rows, where pandas costs more
        than the query."""
        cur = self.cursor()
        try:
            raw = cur.execute(sql, params or []).fetchnumpy()
        finally:
            cur.close()
        return {name: _filled(a) for name, a in raw.items()}

    def arrow(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
        cur = self.cursor()
        try:
            return cur.sql(sql, params=params or None).to_arrow_table()
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or []).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    def meta(self) -> dict[str, str]:
        return dict(self.df("SELECT key, value FROM meta").itertuples(index=False, name=None))


#: A query result as named numpy arrays of equal length (``Store.columns``).
Columns = dict[str, np.ndarray]


def _filled(a: np.ndarray) -> np.ndarray:
    """A fetched column without numpy's masked-array wrapper (DuckDB masks NULLs)."""
    if not isinstance(a, np.ma.MaskedArray):
        return a
    mask = np.ma.getmaskarray(a)
    if a.dtype.kind in "iubf":  # numbers or booleans with NULLs: floats with NaN (as pandas would)
        out = np.asarray(a.data, dtype="float64").copy()
        out[mask] = np.nan
    elif a.dtype.kind in "mM":
        out = a.data.copy()
        out[mask] = np.datetime64("NaT")
    else:
        out = np.asarray(a.data, dtype=object).copy()
        out[mask] = None
    return out


def nrows(cols: Columns) -> int:
    """Number of rows of a ``Columns`` result."""
    return len(next(iter(cols.values()))) if cols else 0


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()
_default_path: Path | None = None


def set_default(path: Path) -> None:
    """Make ``path`` the store ``get_store()`` returns (the app factory calls this)."""
    global _default_path
    _default_path = Path(path)


def get_store(path: Path | None = None) -> Store:
    """The process-wide store for ``path`` (default: the app's store, else the settings' ``db``)."""
    p = Path(path or _default_path or get_settings().db).absolute()
    with _stores_lock:
        if p not in _stores:
            _stores[p] = Store(p)
        return _stores[p]
