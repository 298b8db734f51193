"""Read side of the store: one read-only DuckDB connection per store file, pinned per request.

The store path is a link the build switches atomically to a new versioned file. A ``Snapshot`` is
one such file, opened read-only, with its data version: every query of a snapshot reads that file
and no other, even after the link has moved on and the build has pruned the file (an open DuckDB
database keeps reading a deleted file on Linux). ``Store`` hands out the current snapshot: outside
a ``pin_scope`` it resolves the link on each query (one ``readlink``) and opens the new file when
it changed; inside a ``pin_scope`` (the app opens one per HTTP request, see ``cache.request_scope``)
the first query pins the snapshot and every later query, header, file name and cache key of the
scope uses it. A streamed response keeps its ``Snapshot`` object until the stream ends.
(Each version has its own file name, so DuckDB's per-path instance cache never hands back the old
database.) A server's workers read, instead of the link's file, the one their server's warmer has
published (``served``, ``citybrain.warm.served``), at most ``lag_s`` behind the link. Every query runs on its own cursor with bound parameters, so a half-read result never
blocks another query and no SQL is ever built from request values.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from citybrain.store import facets
from citybrain.warm.served import resolve as served_file


log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any] | None


class StoreMissing(RuntimeError):
    """The store file does not exist yet (run ``citybrain build``)."""


class Reader:
    """The query methods shared by ``Store`` and ``Snapshot`` (each query on a fresh cursor)."""

    path: Path

    def cursor(self) -> duckdb.DuckDBPyConnection:  # pragma: no cover - overridden
        raise NotImplementedError

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a parameterised query and return a DataFrame."""
        cur = self.cursor()
        try:
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()

    def columns(self, sql: str, params: Params = None) -> Columns:
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

    def arrow(self, sql: str, params: Params = None) -> pa.Table:
        cur = self.cursor()
        try:
            return cur.sql(sql, params=params or None).to_arrow_table()
        finally:
            cur.close()

    def scalar(self, sql: str, params: Params = None) -> Any:
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or []).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    def meta(self) -> dict[str, str]:
        return dict(self.df("SELECT key, value FROM meta").itertuples(index=False, name=None))


#: Called before each read of a store within its context (``citybrain.cache`` tracks what a cached
#: build reads with it); None when nobody listens.
read_observer: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "citybrain_read_observer", default=None)


def _observed() -> None:
    note = read_observer.get()
    if note is not None:
        note()


@contextlib.contextmanager
def unobserved() -> Iterator[None]:
    """Reads in this block are bookkeeping (what a query will read), not reads a cached build depends on."""
    token = read_observer.set(None)
    try:
        yield
    finally:
        read_observer.reset(token)


class Snapshot(Reader):
    """One versioned store file, open read-only: every query reads this file and no other."""

    def __init__(self, path: Path, file: str, con: duckdb.DuckDBPyConnection, version: str,
                 recorded: tuple[dict[str, str], dict[str, datetime]] | None = None) -> None:
        self.path = path  # the store link this file was reached through
        self.file = file  # the versioned file itself
        self.version = version
        self._con = con
        self._facets, self._newest = recorded or ({}, {})

    def facet(self, name: str) -> str:
        """The version of one facet of this file (``citybrain.store.facets``)."""
        return facets.version_of(self._facets, name, self.version)

    def newest(self, name: str) -> datetime | None:
        """The newest row time of a time-stamped facet (None if unknown: no rows, or an older store)."""
        return self._newest.get(name)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on this file (thread-safe; never shares a pending result)."""
        _observed()
        return self._con.cursor()

    def connection(self) -> duckdb.DuckDBPyConnection:
        _observed()
        return self._con

    def snapshot(self) -> Snapshot:
        """Itself: a snapshot is already pinned (so code taking a store takes a snapshot too)."""
        return self

    def __repr__(self) -> str:
        return f"Snapshot({self.file!r}, version={self.version!r})"


#: The snapshots pinned by the current scope, by store path (see ``pin_scope``); None outside one.
_pins: contextvars.ContextVar[dict[Path, Snapshot] | None] = contextvars.ContextVar("citybrain_pins", default=None)


@contextlib.contextmanager
def pin_scope() -> Iterator[dict[Path, Snapshot]]:
    """Within this block each store reads one file: the one current at its first query here."""
    token = _pins.set({})
    try:
        yield _pins.get()  # type: ignore[misc]
    finally:
        _pins.reset(token)


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """A ``pin_scope`` unless one is open already (then the open one goes on)."""
    if _pins.get() is not None:
        yield
        return
    with pin_scope():
        yield


class Store(Reader):
    """The DuckDB store behind the link ``path``: the current ``Snapshot``, pinned within a scope."""

    def __init__(self, path: Path, served: Path | None = None, lag_s: float = 8.0) -> None:
        self.path = Path(path)
        #: The server's pointer file (``citybrain.warm.served``): read the version its warmer published,
        #: or the link's once that has waited ``lag_s`` seconds. None: follow the link at once.
        self.served, self.lag_s = served, lag_s
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._follower: threading.Thread | None = None
        self._unfollow = threading.Event()
        self._grace_s = 0.0
        self._behind: dict[str, float] = {}  # a version not opened yet -> since when requests wanted it

    def _identity(self) -> str:
        """The versioned file to read: the one the store path points at, or the one the server's warmer
        has published (``served``)."""
        real = os.path.realpath(self.path)
        if not os.path.exists(real):
            raise StoreMissing(f"no store at {self.path}: run `citybrain build`")
        if self.served is not None:
            return served_file(self.served, real, self.lag_s)
        return real

    def latest(self) -> Snapshot:
        """The file the link (or the served pointer) names now, opened once (ignores any pin). While a follower runs, a
        request never opens a new version itself: it reads the one open until the follower has opened
        the new one (at most ``grace_s`` seconds, then it opens it after all)."""
        ident = self._identity()
        snap = self._latest
        if snap is not None and snap.file == ident:
            return snap
        if snap is not None and self._follower is not None and threading.current_thread() is not self._follower:
            behind = self._behind.setdefault(ident, time.monotonic())
            if time.monotonic() - behind < self._grace_s:
                return snap
        with self._lock:
            snap = self._latest
            if snap is not None and snap.file == ident:
                return snap
            try:
                con = duckdb.connect(ident, read_only=True)
            except duckdb.IOException:
                # the version we resolved was pruned a moment ago: resolve the link again
                ident = self._identity()
                con = duckdb.connect(ident, read_only=True)
            # parts are immutable files with unique names: their footers may be kept across queries
            con.execute("SET parquet_metadata_cache = true")
            version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0]
            recorded = facets.read(con)
            if snap is not None:
                log.info("store %s switched to data version %s", self.path, version)
            # the previous snapshot's connection closes once no pinned request or stream holds it
            self._latest = snap = Snapshot(self.path, ident, con, version, recorded)
            self._behind.clear()
            return snap

    @property
    def opened(self) -> str | None:
        """The data version of the file this process opened last (None before the first), without
        looking at the link: what the next request will find ready if the link has not moved since."""
        snap = self._latest
        return snap.version if snap is not None else None

    def follow(self, every_s: float = 0.2, grace_s: float = 2.0) -> None:
        """Open each new version in a background thread, as soon as a writer switches the link.

        Opening a version (a DuckDB connection, its facets) takes 25–60 ms; without a follower the
        first request after each batch pays it, and every other request of the process waits on the
        lock meanwhile. With one, requests keep reading the version open until the follower has opened
        the new one (``latest``; ``grace_s`` bounds how long). A server worker calls this once (``citybrain.server``); the thread is a
        daemon that ends with the process or ``unfollow``. Calling it again does nothing."""
        if self._follower is not None:
            return
        self._unfollow.clear()
        self._grace_s = grace_s

        def run() -> None:
            while not self._unfollow.wait(every_s):
                try:
                    self.latest()
                except StoreMissing:
                    pass
                except Exception:  # noqa: BLE001 - a request will meet the same error and report it
                    log.debug("store follower: opening %s failed", self.path, exc_info=True)

        self._follower = threading.Thread(target=run, name=f"store-follower:{self.path.name}", daemon=True)
        self._follower.start()

    def unfollow(self) -> None:
        """Stop the background follower (if any) and wait for it to end."""
        follower, self._follower = self._follower, None
        if follower is not None:
            self._unfollow.set()
            follower.join()

    def snapshot(self) -> Snapshot:
        """The snapshot this scope pinned (pinning the latest on first use), else the latest."""
        pins = _pins.get()
        if pins is None:
            return self.latest()
        snap = pins.get(self.path)
        if snap is None:
            snap = pins[self.path] = self.latest()
        return snap

    def pin(self, snap: Snapshot) -> None:
        """Read ``snap`` for the rest of the open ``pin_scope`` (the warmer rebuilds at a chosen version)."""
        pins = _pins.get()
        if pins is None:
            raise RuntimeError("Store.pin outside a pin_scope")
        pins[self.path] = snap

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The connection of the current snapshot."""
        return self.snapshot().connection()

    def facet(self, name: str) -> str:
        """The version of one facet of the snapshot served (``citybrain.store.facets``)."""
        return self.snapshot().facet(name)

    def newest(self, name: str) -> datetime | None:
        """The newest row time of a time-stamped facet of the snapshot served."""
        return self.snapshot().newest(name)

    @property
    def version(self) -> str:
        """The data version of the snapshot served (pinned within a scope; changes with the data)."""
        return self.snapshot().version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the current snapshot's file (thread-safe; never shares a pending result)."""
        return self.snapshot().cursor()


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


def get_store(path: Path | None = None) -> Store:
    """The store of the running app (``citybrain.context``); with ``path``, or outside an app, the
    process's store for that file (the CLI's, a script's: ``settings.db`` by default)."""
    if path is None:
        from citybrain.context import current

        return current().store
    p = Path(path).absolute()
    with _stores_lock:
        if p not in _stores:
            _stores[p] = Store(p)
        return _stores[p]
