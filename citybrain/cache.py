"""Memoisation of query functions, keyed by the store's data version; the per-request scope.

The backend is flask-caching's: a filesystem cache shared by the gunicorn workers of one host by
default, Redis (``CITYBRAIN_CACHE=redis://…``) for several hosts, the same code. Every key carries
the data version, so a new store file (a new batch) invalidates every cached result at once, in
every worker, without any message passing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import logging
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from cachelib import BaseCache, NullCache, RedisCache, SimpleCache

from citybrain.settings import Settings
from citybrain.store import pin_scope, pinned

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

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


def _key(fn: Callable[..., Any], version: str, args: tuple, kwargs: dict) -> str:
    raw = pickle.dumps((args, sorted(kwargs.items())), protocol=5)
    return f"q:{fn.__module__}.{fn.__qualname__}:{version}:{hashlib.sha1(raw).hexdigest()}"


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
    outside a scope, on every call). A ``Store`` pins its file for the scope too, so the version
    named here is also the file every query of the scope reads."""
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


def get_or_build(key: str, build: Callable[[], Any]) -> Any:
    """The value cached under ``key``, else ``build()`` (then cached). Keys must carry the data
    version. A cache outage only costs a rebuild; each hit is a fresh copy (backends pickle), except
    within one ``request_scope``. The running code's digest ends every key (see ``code_version``)."""
    key = f"{key}:{code_version()}"
    memo = _request_memo.get()
    if memo is not None and key in memo:
        return memo[key]
    value = _shared_get_or_build(key, build)
    if memo is not None:
        memo[key] = value
    return value


def request_memo(key: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per ``request_scope`` for ``key`` (never shared across requests: for values
    that also read what people write, which the data version does not cover); outside a scope, on
    every call. The same object is returned to every caller of the scope: do not change it."""
    memo = _request_memo.get()
    if memo is None:
        return build()
    key = f"request:{key}"
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _shared_get_or_build(key: str, build: Callable[[], Any]) -> Any:
    be = backend()
    try:
        hit = be.get(key)
    except Exception:  # a cache outage must not take the page down
        log.warning("cache get failed for %s", key, exc_info=True)
        hit = None
    if hit is not None:
        return hit
    value = build()
    try:
        be.set(key, value)
    except Exception:
        log.warning("cache set failed for %s", key, exc_info=True)
    return value


def cached_query(fn: F) -> F:
    """Memoise a query function on (data version, arguments).

    The function's first parameter must be the ``Store``; its version is read on each call (a
    cheap ``readlink``), so results never outlive the data they came from. The key's version and
    the queries that build the value read the same file (pinned for the call when no request
    scope pins it already).
    """

    @functools.wraps(fn)
    def wrapper(store, *args: Any, **kwargs: Any) -> Any:
        with pinned():
            return get_or_build(_key(fn, data_version(store), args, kwargs), lambda: fn(store, *args, **kwargs))

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
