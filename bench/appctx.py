"""Benchmarks run the product's code inside an app context, as requests do (``citybrain.context``):
``use_cache`` swaps the cache backend of that context between measurements."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import Flask

from citybrain import context
from citybrain.cache import make_backend
from citybrain.settings import Settings
from citybrain.store import Store

SERVER = Flask("citybrain-bench")


def use_cache(settings: Settings, store: Store, spec: str, **kw) -> None:
    """Make ``spec`` (null, simple, filesystem, redis://…) the cache of the benchmark's context."""
    s = settings.model_copy(update={"cache": spec, **kw})
    context.install(SERVER, context.AppContext(s, store, make_backend(s)))


@contextlib.contextmanager
def app_context(settings: Settings, store: Store, spec: str = "simple") -> Iterator[None]:
    """Run the block inside the benchmark's app context (cache ``spec``)."""
    use_cache(settings, store, spec)
    with SERVER.app_context():
        yield
