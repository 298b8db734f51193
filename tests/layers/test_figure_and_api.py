"""map_figure (offline style, compact arrays) and the GeoJSON API."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
import shapely
import shapely.geometry

from citybrain.app_factory import create_app
from citybrain.store import get_store
from layers.figure import OFFLINE_STYLE, map_figure
from layers.registry import layer_ids

ANCHOR = datetime(2026, 7, 15, 12, 0)


@pytest.fixture(scope="module")
def client(built_store, tmp_path_factory):
    from citybrain.ops import workorders

    ops = f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.sqlite'}"
    app = create_app(built_store.model_copy(update={"ops_db": ops}))
    ctx = app.server.extensions["citybrain"]
    workorders.create(ctx.ops, user="duty", role="duty", title="井盖缺失", category="urgent", region="330225",
                      now=ANCHOR, lon=121.87, lat=29.47)  # the work-order layer draws what people wrote
    return app.server.test_client()


def test_map_figure_is_offline_and_compact(client, built_store):
    store = get_store(built_store.db)
    fig = map_figure("330225", layer_ids(), ANCHOR, "zh", store=store,
                     sublayers={"fisheries": ["vessels", "ports", "alarms", "trails"]})
    style = fig.layout.map.style
    assert style == OFFLINE_STYLE or dict(style) == OFFLINE_STYLE
    text = json.dumps(OFFLINE_STYLE)
    assert "http" not in text and "glyphs" not in text and "sprite" not in text
    assert all(t.type in ("scattermap", "densitymap") for t in fig.data)
    assert all((t.mode or "markers") in ("markers", "lines") for t in fig.data if t.type == "scattermap")
    js = fig.to_dict()
    trails = next(t for t in js["data"] if t.get("uid") == "fisheries-trails")
    n = len(base64.b64decode(trails["lon"]["bdata"])) // 4
    assert n > 20000
    tr = next(t for t in js["data"] if t.get("uid") == "fisheries-trails")
    assert tr["lon"]["dtype"] == "f4"  # float32 typed arrays
    per_point = len(json.dumps(tr)) / n
    assert per_point <= 20, per_point


def test_map_figure_signature_defaults(built_store):
    fig = map_figure("341623", ["traffic", "fisheries"], None, "en", compact=True, store=get_store(built_store.db))
    assert len(fig.data) > 0


def test_layer_list(client):
    r = client.get("/api/v1/layers")
    assert r.status_code == 200
    got = {la["id"]: la for la in r.get_json()["layers"]}
    assert set(got) == set(layer_ids())
    assert got["fisheries"]["dataset"] == "fisheries" and got["traffic"]["title_zh"] == "智慧交通"


@pytest.mark.parametrize("layer_id", layer_ids())
def test_geojson(client, layer_id):
    r = client.get(f"/api/v1/layers/{layer_id}.geojson?region=330225&at=2026-07-15T11:00")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    fc = json.loads(r.data)
    assert fc["type"] == "FeatureCollection" and fc["features"]
    for f in fc["features"]:
        assert f["geometry"]["type"] in ("Point", "LineString", "MultiPolygon", "Polygon")
        assert {"kind", "status", "layer"} <= set(f["properties"])
    if layer_id == "boundaries":  # the full land polygon (not the simplified outline the map draws)
        land = shapely.geometry.shape(fc["features"][0]["geometry"])
        assert land.geom_type in ("Polygon", "MultiPolygon") and shapely.get_num_coordinates(land) > 3000
        assert land.contains(shapely.Point(121.87, 29.47))  # Dancheng, Xiangshan's county seat


def test_geojson_not_applicable_and_bad_input(client):
    fc = json.loads(client.get("/api/v1/layers/fisheries.geojson?region=341623").data)
    assert fc["applicable"] is False and fc["features"] == [] and fc["reason"]
    assert client.get("/api/v1/layers/water.geojson?region=12").status_code == 400
    assert client.get("/api/v1/layers/water.geojson?at=yesterday").status_code == 400
    assert client.get("/api/v1/layers/water.geojson?bogus=1").status_code == 400
    assert client.get("/api/v1/layers/nope.geojson").status_code == 404


def test_map_panels_no_data_legend_and_daily_sparkline(client, built_store):
    """A typhoon replay window: layers with no observation say 该时段无数据; a daily series' sparkline
    spans days with day ticks (no '23:59:59.999' sub-second ticks)."""
    from dashboards.map.callbacks import render
    from dashboards.map.panels import detail, window_of
    from layers.registry import cached_features

    store = get_store(built_store.db)
    win = window_of(store, "330225", "ty:CMA-1909")
    with client.application.app_context():  # the callback reads its app's store, as in a request
        r = render({"region": "330225", "lang": "zh"}, win, 30, ["traffic", "water", "emergency", "fisheries"], {})
    text = {b.id: json.dumps(b.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
            for b in r["legend"]}
    assert "该时段无数据" in text["map-legend-water"] and "该时段无数据" in text["map-legend-traffic"]
    assert "该时段无数据" not in text["map-legend-emergency"]
    feats = cached_features(store, "emergency", "330225", ANCHOR, 24.0, None)
    depot = feats[feats["sublayer"] == "depots"].iloc[0]
    body = detail(store, feats, "emergency", depot["id"], ANCHOR, "zh")
    fig = body[-1].figure
    assert fig.layout.xaxis.tickformat == "%m-%d" and len(fig.data[0].x) > 3
    assert "天" in body[-2].children


def test_vessel_trails_are_features_in_the_geojson(client, built_store):
    """Each vessel's last two hours are a LineString feature (kind track), exported like every feature,
    never counted as an item nor raised as an alarm; the trail ends where the vessel is now."""
    from layers.base import LayerContext
    from layers.registry import get

    gj = client.get("/api/v1/layers/fisheries.geojson?region=330225").get_json()
    trails = [f for f in gj["features"] if f["properties"]["sublayer"] == "trails"]
    vessels = {f["properties"]["id"]: f for f in gj["features"] if f["properties"]["sublayer"] == "vessels"}
    assert len(trails) > 100
    for f in trails[:200]:
        assert f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 2
        assert f["properties"]["kind"] in ("track", "track_alarm") and f["properties"]["status"] == "none"
        vid = f["properties"]["id"].removesuffix("#trail")
        if vid in vessels:
            end = f["geometry"]["coordinates"][-1]
            assert end == pytest.approx(vessels[vid]["geometry"]["coordinates"], abs=1e-4)
    layer = get("fisheries")
    feats = layer.features(LayerContext(store=get_store(built_store.db), region="330225", at=ANCHOR))
    assert layer.counts(feats)["total"] == int((feats["sublayer"] != "trails").sum())
