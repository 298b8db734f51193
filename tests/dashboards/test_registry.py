"""Every dashboard module builds for every region and both languages with unique, prefixed ids,
declares datasets and indicators that exist, and is documented in the README."""

from __future__ import annotations

import pytest
from dash.development.base_component import Component

from citybrain.regions import TOP_REGIONS
from citybrain.registry import builtin_modules
from citybrain.settings import PROJECT_ROOT

MODULES = builtin_modules()


def ids_of(component) -> list:
    out = []
    if isinstance(component, Component):
        cid = getattr(component, "id", None)
        if cid is not None:
            out.append(cid)
        for c in component._traverse():
            cid = getattr(c, "id", None)
            if cid is not None:
                out.append(cid)
    return out


@pytest.fixture(scope="module")
def store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        yield ctx.store


def test_all_modules_registered():
    assert {m.id for m in MODULES} >= {"overview", "fisheries", "traffic", "water", "emergency", "targets", "data",
                                       "catalog", "map", "wall"}
    assert next(m for m in MODULES if m.id == "overview").path == "/"


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.id)
def test_module_builds_everywhere(mod, store):
    for region in TOP_REGIONS:
        for lang in ("zh", "en"):
            tree = mod.layout(region=region, lang=lang)
            ids = ids_of(tree)
            flat = [i["type"] if isinstance(i, dict) else i for i in ids]
            assert all(str(i).startswith(f"{mod.id}-") for i in flat), [i for i in flat if not str(i).startswith(mod.id)]
            plain = [i for i in ids if not isinstance(i, dict)]
            assert len(plain) == len(set(plain)), "duplicate ids"
            dicts = [tuple(sorted(i.items())) for i in ids if isinstance(i, dict)]
            assert len(dicts) == len(set(dicts))


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.id)
def test_declared_datasets_and_indicators_exist(mod, store):
    from citybrain import queries

    datasets = set(queries.datasets(store)["name"])
    indicators = set(queries.indicators(store)["indicator_id"])
    assert set(mod.datasets) <= datasets
    assert set(mod.indicators) <= indicators
    assert mod.title_zh and mod.title_en and (mod.description_zh or mod.description_en or mod.id == "catalog")


def test_documented_in_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for m in MODULES:
        assert f"| `{m.id}` | `{m.path}` |" in readme, m.id


def test_fisheries_not_applicable_in_lixin(store):
    from dashboards.fisheries import layout

    text = str(layout(region="341623", lang="zh"))
    assert "本地区不适用" in text and "内陆" in text


def test_api_lists_dashboards(built_store):
    from citybrain.app_factory import create_app

    client = create_app(built_store).server.test_client()
    body = client.get("/api/v1/dashboards").get_json()
    by_id = {d["id"]: d for d in body["dashboards"]}
    assert by_id["fisheries"]["datasets"] == ["fisheries", "targets"]
    assert client.get("/api/v1/dashboards?lang=xx").status_code == 400
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/dashboards" in doc["paths"]
    assert client.get("/").status_code == 200
