"""The wall module: URL parameters, the playlist, the stale rule against an injectable 'now', the
refresh protocol's change detection (no_update / Patch), no export buttons, the status route."""

from __future__ import annotations

from datetime import datetime

import pytest
from dash import Patch, no_update
from dash.development.base_component import Component

from dashboards.wall import MODULE, layout
from dashboards.wall import playlist as pl
from dashboards.wall.callbacks import body_update, render_panel
from dashboards.wall.panels import Part


@pytest.fixture(scope="module")
def store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        yield ctx.store


def walk(c):
    yield c
    if isinstance(c, Component):
        for x in c._traverse():
            yield x


def classes(tree) -> list[str]:
    return [getattr(c, "className", "") or "" for c in walk(tree)]


def test_module_declared_off_navigation():
    assert MODULE.id == "wall" and MODULE.path == "/wall" and MODULE.nav is False


def test_params_parse_and_fall_back():
    p = pl.parse({"playlist": "traffic,map,kpi-congestion_index,bogus", "interval": "7", "canvas": "3840x2160",
                  "now": "2026-07-15T12:05", "idle": "5"}, {"congestion_index"})
    assert [s.id for s in p.steps] == ["traffic", "map", "kpi-congestion_index"]
    assert {s.duration_s for s in p.steps} == {7}
    assert p.canvas == (3840, 2160) and p.idle_s == 5 and p.now == datetime(2026, 7, 15, 12, 5)
    assert [s.id for s in pl.parse({"playlist": "flood"}).steps] == list(pl.PRESETS["flood"])
    bad = pl.parse({"playlist": "nothing", "canvas": "huge", "interval": "x", "now": "yesterday"})
    assert [s.id for s in bad.steps] == list(pl.PRESETS["default"])
    assert bad.canvas == pl.DEFAULT_CANVAS and bad.now is None
    assert pl.parse_canvas("99999x99999") == (pl.CANVAS_MAX, pl.CANVAS_MAX)
    assert pl.parse_now("2026-07-15T04:05:00+00:00") == datetime(2026, 7, 15, 12, 5)


def test_layout_ids_prefixed_and_no_exports(store):
    tree = layout(region="330225", lang="zh", playlist="default", now="2026-07-15T12:05")
    ids = [c.id for c in walk(tree) if isinstance(c, Component) and getattr(c, "id", None) is not None]
    flat = [i["type"] if isinstance(i, dict) else i for i in ids]
    assert all(str(i).startswith("wall-") for i in flat), flat
    plain = [i for i in ids if not isinstance(i, dict)]
    assert len(plain) == len(set(plain))
    cls = " ".join(classes(tree))
    assert "cb-export" not in cls and "kpi-drill" not in cls
    assert sum(1 for c in classes(tree) if c.startswith("wall-step ")) == len(pl.PRESETS["default"])


def test_stale_rule_follows_injected_now(store):
    fresh = " ".join(classes(layout(region="330225", playlist="traffic", now="2026-07-15T12:05")))
    assert "wall-panel-stale" not in fresh and "wall-panel-fresh" in fresh
    stale = " ".join(classes(layout(region="330225", playlist="traffic", now="2026-07-15T12:30")))
    assert "wall-panel-stale" in stale and "wall-stale-banner" in stale
    # the real clock: the test store ends 2026-07-15 12:00, so its 5-minute feeds are overdue now
    real = " ".join(classes(layout(region="330225", playlist="traffic")))
    assert "wall-panel-stale" in real


def test_not_applicable_region_says_so(store):
    tree = layout(region="341623", playlist="fisheries", now="2026-07-15T12:05")
    assert "wall-panel-na" in " ".join(classes(tree))
    assert "wall-na" in classes(tree)


def test_refresh_sends_only_changes(store):
    cfg = {"region": "330225", "lang": "zh", "now": "2026-07-15T12:05"}
    parts, head, cls, head_sig = render_panel("traffic--kpis", cfg)
    sigs = [p.sig for p in parts]
    assert body_update(parts, sigs) is no_update
    changed = list(sigs)
    changed[1] = "old"
    patch = body_update(parts, changed)
    assert isinstance(patch, Patch)
    ops = patch.to_plotly_json()["operations"]
    assert len(ops) == 1 and ops[0]["location"] == [1]
    assert isinstance(body_update(parts, sigs[:2]), list)
    fig_parts, *_ = render_panel("traffic--flow", cfg)
    fp = body_update(fig_parts, ["old"])
    assert fp.to_plotly_json()["operations"][0]["location"] == [0, "props", "figure"]
    assert render_panel("nope--x", cfg) is None


def test_body_update_shapes():
    a, b = Part("a", "A"), Part("b", "B")
    assert body_update([a, b], ["a", "b"]) is no_update
    assert body_update([a], ["a", "b"]) == ["A"]


def test_wall_status_route(store, built_store):
    from citybrain.app_factory import create_app

    app = create_app(built_store)
    c = app.server.test_client()
    r = c.get("/api/v1/wall/status")
    assert r.status_code == 200
    j = r.get_json()
    assert j["status"] == "ok" and j["data_version"] == store.version and len(j["build"]) == 12
    assert "/api/v1/wall/status" in c.get("/api/v1/openapi.json").get_json()["paths"]
