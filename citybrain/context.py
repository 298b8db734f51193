"""The app context: one settings object, one store, one cache and one ops database engine per app.

``create_app(settings)`` builds an ``AppContext`` and installs it on its Flask server; pages, API
routes and callbacks run inside that app (a request or an app context) and read it with
``current()``. Two apps in one process (as tests build them) never share a store, a cache or a
clock. Outside any app — the CLI, a benchmark script — ``current()`` gives a context built once
from the environment (``CITYBRAIN_*``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from cachelib import BaseCache
from sqlalchemy.engine import Engine
from flask import Flask, current_app, has_app_context

from citybrain.settings import Settings, get_settings
from citybrain.store.read import Store

EXTENSION = "citybrain"


@dataclass(frozen=True)
class AppContext:
    """What every part of one app reads: its settings, its store, its cache and the engine of its
    operational database (``citybrain.ops``: what people write — alarm states, work orders)."""

    settings: Settings
    store: Store
    cache: BaseCache
    ops: Engine


def build(settings: Settings) -> AppContext:
    """A context for ``settings`` (the cache backend and ops database the settings ask for; the
    engine connects on first use)."""
    from citybrain.cache import make_backend
    from citybrain.ops.db import make_engine

    store = Store(Path(settings.db).absolute(), served=settings.served, lag_s=settings.warm_lag_s)
    return AppContext(settings, store, make_backend(settings), make_engine(settings))


def install(server: Flask, ctx: AppContext) -> None:
    """Make ``ctx`` the context of everything ``server`` runs."""
    server.extensions[EXTENSION] = ctx


def current() -> AppContext:
    """The running app's context; outside an app, the environment's (``cli``)."""
    if has_app_context():
        ctx = current_app.extensions.get(EXTENSION)
        if ctx is not None:
            return ctx
    return cli()


@functools.lru_cache(maxsize=1)
def cli() -> AppContext:
    """The context of code that runs outside an app (CLI, scripts), from the environment."""
    return build(get_settings())
