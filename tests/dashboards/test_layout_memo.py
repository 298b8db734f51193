"""The layout memo and the plain-dict figures: a cached page is the page a fresh build gives (same
JSON to the browser, data version stamped), per region and language, and a change to what it read misses."""

from __future__ import annotations

import json

import pytest
from dash._utils import to_json

from citybrain.registry import builtin_modules

MINE = ("overview", "fisheries", "traffic", "water", "emergency", "targets", "data")
MODULES = [m for m in builtin_modules() if m.id in MINE]


@pytest.fixture(scope="module")
def store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        yield ctx.store


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.id)
def test_memo_equals_fresh_build(mod, store):
    for region, lang in (("330225", "zh"), ("330225", "en"), ("341623", "zh")):
        first = to_json(mod.layout(region=region, lang=lang))
        again = to_json(mod.layout(region=region, lang=lang))  # memo hit
        fresh = to_json(mod.layout.uncached(region=region, lang=lang))
        assert first == again == fresh
    assert to_json(mod.layout(region="330225", lang="zh")) != to_json(mod.layout(region="330225", lang="en"))


def test_memo_key_carries_the_versions_of_what_it_read(store, monkeypatch):
    from citybrain import kpi, queries

    calls = []

    def own_read():  # a read of the store of its own: the value depends on the whole store
        calls.append(1)
        store.scalar("SELECT 1")
        return {"n": len(calls)}

    dims = []

    def definitions_only():  # reads a dimension table through its query: only a build changes it
        dims.append(1)
        queries.indicators(store)
        return {"n": len(dims)}

    assert kpi.memo(store, "test.memo", ("x",), own_read) == {"n": 1}
    assert kpi.memo(store, "test.memo", ("x",), own_read) == {"n": 1}
    assert kpi.memo(store, "test.dims", ("x",), definitions_only) == {"n": 1}
    monkeypatch.setattr(type(store), "version", property(lambda self: "another-version"))  # a batch
    assert kpi.memo(store, "test.memo", ("x",), own_read) == {"n": 2}
    assert kpi.memo(store, "test.dims", ("x",), definitions_only) == {"n": 1}, "a batch leaves dimensions cached"
    monkeypatch.setattr(type(store), "facet", lambda self, name: f"rebuilt-{name}")  # a new build
    assert kpi.memo(store, "test.dims", ("x",), definitions_only) == {"n": 2}


def test_figures_are_plain_dicts(store):
    from dashboards.traffic import layout

    tree = json.loads(to_json(layout(region="330225", lang="zh")))
    text = json.dumps(tree, ensure_ascii=False)
    assert '"type": "heatmap"' in text and '"template"' in text
