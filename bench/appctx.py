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
    from dataclasses import replace

    s = settings.model_copy(update={"cache": spec, **kw})
    base = SERVER.extensions.get(context.EXTENSION) or context.build(settings)
    context.install(SERVER, replace(base, settings=s, store=store, cache=make_backend(s)))


@contextlib.contextmanager
def app_context(settings: Settings, store: Store, spec: str = "simple") -> Iterator[None]:
    """Run the block inside the benchmark's app context (cache ``spec``)."""
    use_cache(settings, store, spec)
    with SERVER.app_context():
        yield
