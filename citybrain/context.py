"""The app context: one settings object, one store and one cache per app.

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
from flask import Flask, current_app, has_app_context

from citybrain.settings import Settings, get_settings
from citybrain.store.read import Store

EXTENSION = "citybrain"


@dataclass(frozen=True)
class AppContext:
    """What every part of one app reads: its settings, its store and its cache."""

    settings: Settings
    store: Store
    cache: BaseCache


def build(settings: Settings) -> AppContext:
    """A context for ``settings`` (the cache backend the settings ask for)."""
    from citybrain.cache import make_backend

    return AppContext(settings, Store(Path(settings.db).absolute()), make_backend(settings))


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
