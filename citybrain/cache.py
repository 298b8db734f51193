"""Memoisation of query functions, keyed by the versions of what they read; the per-request scope.

The backend is flask-caching's: a filesystem cache shared by the gunicorn workers of one host by
default, Redis (``CITYBRAIN_CACHE=redis://…``) for several hosts, the same code. Every key carries
the versions of the store's facets the value was built from (``citybrain.store.facets``: one table's
rows of one dataset, the store's "now", the build), so a batch expires exactly the cached results
that read what it changed, in every worker, without any message passing; a value built from a read
of the whole store carries the data version, which every batch changes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import logging
import math
import pickle
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from cachelib import BaseCache, NullCache, RedisCache, SimpleCache

from citybrain.settings import Settings
from citybrain.store import facets, pin_scope, pinned
from citybrain.store.read import read_observer

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
#: What a cached query declares it reads: facet names, or a function of its call giving them.
Reads = tuple[str, ...] | Callable[..., tuple[str, ...]]
ALL = facets.ALL

def make_backend(settings: Settings) -> BaseCache:
    """Build the cache backend the settings ask for."""
    spec = settings.cache
    if spec.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(spec)
        return RedisCache(host=client, key_prefix="citybrain:", default_timeout=3600)
    if spec == "filesystem":
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        from citybrain.filecache import TrimmedFileCache

        return TrimmedFileCache(str(settings.cache_dir), max_files=5000, default_timeout=3600)
    if spec == "simple":
        return SimpleCache(threshold=2000, default_timeout=3600)
    if spec == "null":
        return NullCache()
    raise ValueError(f"CITYBRAIN_CACHE={spec!r}: use filesystem, simple, null or a redis:// URL")


def backend() -> BaseCache:
    """The running app's cache backend (``citybrain.context``; outside an app, the environment's)."""
    from citybrain.context import current

    return current().cache


#: Packages whose code shapes cached values (a change to any of them must not meet old entries).
CODE_PACKAGES = ("citybrain", "layers", "dashboards")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the running code (every .py file of ``CODE_PACKAGES``): part of every key, so a
    shared cache (files, Redis) never hands a new release a value in an old release's shape."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.blake2b(digest_size=6)
    for pkg in CODE_PACKAGES:
        for f in sorted((root / pkg).rglob("*.py")):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _digest(obj: Any) -> str:
    return hashlib.sha1(pickle.dumps(obj, protocol=5)).hexdigest()


#: The values looked up during the current request (see ``request_scope``); None outside one.
_request_memo: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("citybrain_memo", default=None)


@contextlib.contextmanager
def request_scope() -> Iterator[dict[str, Any]]:
    """Within this block, each key is looked up in the shared cache (or built) at most once: a page
    that asks for the same query several times (the one-map's layers share coverage, indicators and
    features) neither rebuilds it nor unpickles it again. The app opens one scope per HTTP request.
    Values found here are shared within the scope, so callers must not change them in place.
    The scope also pins each store's file (``store.pin_scope``): every query, header and cache key
    of the request reads one data version, even if a build switches the store meanwhile."""
    token = _request_memo.set({})
    try:
        with pin_scope():
            yield _request_memo.get()  # type: ignore[misc]
    finally:
        _request_memo.reset(token)


def data_version(store: Any) -> str:
    """``store.version``, read once per request scope (one request answers from one data version;
    outside a scope, on every call); a cached build that asks for it depends on the whole store. A
    ``Store`` pins its file for the scope too, so the version named here is also the file every query
    of the scope reads."""
    note_facets((ALL,))
    memo = _request_memo.get()
    if memo is None:
        return store.version
    key = f"data-version:{store.path}"
    if key not in memo:
        memo[key] = store.version
    return memo[key]


def install_request_scope(server: Any) -> None:
    """Open a ``request_scope`` for every request of a Flask ``server``."""
    from flask import g

    @server.before_request
    def _open_scope() -> None:
        g._citybrain_memo_scope = scope = request_scope()
        scope.__enter__()

    @server.teardown_request
    def _close_scope(_exc: BaseException | None) -> None:
        scope = g.pop("_citybrain_memo_scope", None)
        if scope is not None:
            scope.__exit__(None, None, None)


def request_memo(key: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per ``request_scope`` for ``key`` (never shared across requests: for values
    that also read what people write, which the data version does not cover); outside a scope, on
    every call. The same object is returned to every caller of the scope: do not change it."""
    memo = _request_memo.get()
    if memo is None:
        return build()
    key = f"request:{key}"
    if key not in memo:  # what the build read is kept with it: a cached build that reuses it reads that too
        memo[key] = _run(build, declared=False)
    value, found = memo[key]
    note_facets(found)
    return value


class _Build:
    """A cached build in progress: the facets of what it has read so far."""

    __slots__ = ("declared", "facets")

    def __init__(self, declared: bool) -> None:
        self.facets: set[str] = set()
        self.declared = declared  # its own reads are covered by a declaration


_build: contextvars.ContextVar[_Build | None] = contextvars.ContextVar("citybrain_build", default=None)


def note_facets(names: Iterable[str]) -> None:
    """Tell the cached build in progress (if any) that it depends on ``names`` (facets)."""
    b = _build.get()
    if b is not None:
        b.facets.update(names)


def _read_of_its_own() -> None:
    b = _build.get()
    if b is not None and not b.declared:
        b.facets.add(ALL)


def _run(build: Callable[[], Any], declared: bool) -> tuple[Any, frozenset[str]]:
    """``build()`` with its reads tracked: its value and the facets it read."""
    frame = _Build(declared)
    token, watch = _build.set(frame), read_observer.set(_read_of_its_own)
    try:
        value = build()
    finally:
        read_observer.reset(watch)
        _build.reset(token)
    return value, frozenset(frame.facets)


def _versions(store: Any, names: Iterable[str]) -> str:
    """The versions of ``names`` (and of the build, ``base``) in the store the scope reads, as a digest."""
    names = set(names)
    if ALL in names:
        return f"all-{store.version}"
    raw = "|".join(f"{f}={store.facet(f)}" for f in sorted(names | {"base"}))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _get(key: str) -> Any:
    """The value under ``key`` in the request's memo, else the shared cache (None if neither has it)."""
    memo = _request_memo.get()
    if memo is not None and key in memo:
        return memo[key]
    try:
        hit = backend().get(key)
    except Exception:  # a cache outage must not take the page down
        log.warning("cache get failed for %s", key, exc_info=True)
        return None
    if hit is not None and memo is not None:
        memo[key] = hit
    return hit


def _put(key: str, value: Any) -> None:
    memo = _request_memo.get()
    if memo is not None:
        memo[key] = value
    try:
        backend().set(key, value)
    except Exception:
        log.warning("cache set failed for %s", key, exc_info=True)


def get_or_build(key: str, build: Callable[[], Any]) -> Any:
    """The value cached under ``key``, else ``build()`` (then cached): for values whose key says all
    they depend on (``memoised`` finds that for values built from the store). The running code's
    digest ends every key (see ``code_version``)."""
    key = f"{key}:{code_version()}"
    value = _get(key)
    if value is None:
        value = build()
        _put(key, value)
    return value


def memoised(store: Any, name: str, build: Callable[[], Any], reads: Iterable[str] | None = None) -> Any:
    """The value of ``build()`` for ``name`` (what is built and from which arguments) at the versions of
    the facets it reads, from the cache when they have not changed since.

    With ``reads`` (facet names) the build declares what it reads. Without, the facets are found by
    running it: the cached queries it calls tell theirs, and a read of the store of its own (or the data
    version) makes it depend on the whole store. The facets found are kept under the build version as
    the recipe of ``name``; a lookup reads the recipe, then the value at the recipe's facet versions.
    (If new data would make a build read more facets, it changes a facet the recipe holds already, so
    the lookup misses and the rebuild records the new recipe.) A cache outage only costs a rebuild;
    each hit is a fresh copy (backends pickle), except within one ``request_scope``, where every
    caller gets the same object: do not change it. The running code's digest ends every key."""
    code = code_version()
    with pinned():
        if reads is not None:
            names = frozenset(reads)
            key = f"{name}:{_versions(store, names)}:{code}"
            value = _get(key)
            if value is None:
                def build_declared() -> Any:
                    built = _run(build, declared=True)[0]
                    _put(key, built)
                    return built

                value = _single_flight(key, lambda: _get(key), build_declared)
            elif _checking():
                _check(name, names, value, _run(build, declared=True)[0])
            note_facets(names)
            return value
        recipe_key = f"r:{name}:{_versions(store, ())}:{code}"

        recipe: list[Any] = [None]  # the recipe the last lookup found (a miss need not read it again)

        def lookup() -> tuple[Any, frozenset[str]] | None:
            recipe[0] = names = _get(recipe_key)
            if names is not None:
                value = _get(f"{name}:{_versions(store, names)}:{code}")
                if value is not None:
                    return value, names
            return None

        def build_tracked() -> tuple[Any, frozenset[str]]:
            value, found = _run(build, declared=False)
            if found != recipe[0]:
                _put(recipe_key, found)
            _put(f"{name}:{_versions(store, found)}:{code}", value)
            return value, found

        got = lookup()
        if got is not None and _checking():
            _check(name, got[1], got[0], _run(build, declared=False)[0])
        if got is None:
            got = _single_flight(f"{name}@{store.version}:{code}", lookup, build_tracked)
        value, found = got
        note_facets(found)
        return value


#: How long a caller waits for another thread's build of the same value before building it itself.
FLIGHT_WAIT_S = 30.0
#: The builds in progress in this process (by backend and key), each with the event that ends it.
_flights: dict[tuple[int, str], threading.Event] = {}
_flights_lock = threading.Lock()


def _single_flight(flight: str, lookup: Callable[[], Any], build: Callable[[], Any]) -> Any:
    """``build()`` (which caches what it builds), unless another thread of this process is building the
    same value: then wait for it and return ``lookup()`` (or build after all if that finds nothing,
    e.g. the build failed or the cache is off). When a batch expires a panel, the requests of all the
    walls showing it arrive together: one builds, the others wait instead of building it again beside
    it for the same CPU (and GIL). Entries last only while their build runs."""
    k = (id(backend()), flight)
    with _flights_lock:
        done = _flights.get(k)
        first = done is None
        if first:
            done = _flights[k] = threading.Event()
    if first:
        try:
            return build()
        finally:
            with _flights_lock:
                _flights.pop(k, None)
            done.set()
    done.wait(FLIGHT_WAIT_S)
    got = lookup()
    return got if got is not None else build()


def _checking() -> bool:
    from citybrain.context import current

    return bool(getattr(current().settings, "cache_check", False))


def _check(name: str, names: Iterable[str], cached: Any, rebuilt: Any) -> None:
    """``Settings.cache_check``: a cached value must equal a rebuild (else a facet is missing)."""
    if not same(cached, rebuilt):
        raise AssertionError(f"cache: {name} at facets {sorted(names)} differs from a rebuild: "
                             "it reads something it does not declare")


def same(a: Any, b: Any) -> bool:
    """Whether two cached values are equal (DataFrames, numpy columns, Dash trees, plain values)."""
    import numpy as np
    import pandas as pd

    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return a.equals(b) and list(a.columns) == list(b.columns)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and bool(pd.Series(a).equals(pd.Series(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, "to_plotly_json") and hasattr(b, "to_plotly_json"):
        return type(a) is type(b) and same(a.to_plotly_json(), b.to_plotly_json())
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return pickle.dumps(a) == pickle.dumps(b)


def cached_query(fn: F | None = None, *, reads: Reads | None = None) -> Any:
    """Memoise a query function on (the versions of what it read, arguments).

    The function's first parameter must be the ``Store``. Without ``reads`` the function's facets are
    found by running it (``memoised``): the queries it calls tell theirs, and any read of the store of
    its own stands for the whole store. With ``reads`` — facet names, or a function of the call's
    arguments returning them — the function declares what its own SQL reads (``citybrain.store.facets``:
    e.g. ``("tracks", "entities")``, ``observations:<dataset>``; ``()`` for the dimension tables only),
    so a batch of another dataset leaves its results cached. A declaration must name every table and
    dataset the SQL reads: ``Settings.cache_check`` (tests) rebuilds every hit and fails on a difference.
    """

    def deco(fn: F) -> F:
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(store, *args: Any, **kwargs: Any) -> Any:
            declared = reads(store, *args, **kwargs) if callable(reads) else reads
            return memoised(store, f"q:{name}:{_digest((args, sorted(kwargs.items())))}",
                            lambda: fn(store, *args, **kwargs), reads=declared)

        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return deco(fn) if fn is not None else deco
