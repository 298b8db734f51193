"""The layer contract, looped over every registered layer against the real built store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from citybrain.store import get_store
from layers.base import FEATURE_COLUMNS, STATUSES, Layer, LayerContext, LegendItem, classify
from layers.registry import all_layers, get, layer_ids

ANCHOR = datetime(2026, 7, 15, 12, 0)
REGIONS = ["330225", "330900", "370215", "341623", "210800"]


@pytest.fixture(scope="module")
def store(built_store):
    return get_store(built_store.db)


def test_registry_has_the_six_layers():
    assert layer_ids() == ["boundaries", "water", "traffic", "emergency", "fisheries", "workorders"]
    for la in all_layers():
        assert isinstance(la, Layer) and get(la.id) is la
        assert la.title_zh and la.title_en and la.domain and la.dataset


@pytest.mark.parametrize("layer_id", layer_ids())
@pytest.mark.parametrize("region", REGIONS)
def test_features_traces_and_legend(store, layer_id, region):
    layer = get(layer_id)
    ctx = LayerContext(store=store, region=region, at=ANCHOR)
    feats = layer.features(ctx)
    assert list(feats.columns) == FEATURE_COLUMNS
    assert set(feats["status"]) <= {*STATUSES, "none"}
    assert feats["id"].is_unique
    assert (feats["layer"] == layer_id).all()
    ok, reason = layer.applies(store, region)
    if not ok:
        assert feats.empty and reason  # says why instead of failing
    elif layer.live:
        pass  # what people wrote (work orders): a fresh operational database has none
    elif layer_id != "fisheries" or region in ("330225", "330900"):
        assert len(feats) > 0
    lon, lat = feats["lon"].astype(float), feats["lat"].astype(float)
    if len(feats) and layer_id != "emergency":  # typhoon tracks start far out in the Pacific
        assert lon.between(115, 125).all() and lat.between(28, 42).all()
    subs = [s.id for s in layer.sublayers]
    traces = layer.traces(ctx, feats, "zh", subs)
    # fixed number of traces with unique, stable uids (the page patches by index)
    later = layer.traces(LayerContext(store=store, region=region, at=ANCHOR - timedelta(hours=6)),
                         layer.features(LayerContext(store=store, region=region, at=ANCHOR - timedelta(hours=6))),
                         "zh", subs)
    assert [t["uid"] for t in traces] == [t["uid"] for t in later]
    assert len({t["uid"] for t in traces}) == len(traces)
    # plain JSON-ready dicts (typed arrays already encoded): what the page sends, no go.* objects
    for t in traces:
        assert isinstance(t, dict) and t["type"] in ("scattermap", "densitymap")
        json.dumps(t)
    for lang in ("zh", "en"):
        items = layer.legend(lang)
        assert items and all(isinstance(i, LegendItem) and i.label(lang) for i in items)


def test_thresholds_classify_both_directions():
    assert list(classify([1, 4, 6, np.nan], 4, 6, "down")) == ["normal", "warning", "alarm", "none"]
    assert list(classify([120, 105, 90], 110, 100, "up")) == ["normal", "warning", "alarm"]
    assert list(classify([1.0], None, None)) == ["none"]


def test_layer_thresholds_come_from_the_store_or_the_layer(store):
    assert get("traffic").threshold(store, "congestion_index") == (4.0, 6.0, "down")
    assert get("emergency").threshold(store, "depot_reserve_ratio") == (110.0, 100.0, "up")
    assert get("traffic").threshold(store, "checkpoint_load")[:2] == (80.0, 95.0)


def test_water_levels_use_each_stations_own_levels(store):
    import json

    ents = store.df("SELECT entity_id, properties FROM entities WHERE dataset = 'water'")
    props = {e: json.loads(p) for e, p in zip(ents["entity_id"], ents["properties"])}
    for region in ("330225", "370215"):
        feats = get("water").features(LayerContext(store=store, region=region, at=ANCHOR))
        lv = feats[feats["sublayer"].isin(["stations", "reservoirs"])]
        for r in lv.itertuples():
            p = props[r.id]
            want = ("alarm" if r.value >= p["guarantee_level_m"] else "warning" if r.value >= p["warning_level_m"]
                    else "normal")
            assert r.status == want
    # in the flood season the dataset puts 1-2 river stations over warning at the anchor (Jimo has rivers)
    assert (lv["status"] != "normal").any()


def test_fisheries_in_lixin_says_not_applicable(store):
    ok, reason = get("fisheries").applies(store, "341623")
    assert not ok and "内陆" in reason


def test_alarm_vessels_are_flagged(store):
    # find a time with a vessel in alarm and check the layer marks it
    t = store.scalar("SELECT max(ts) FROM tracks WHERE kind = 'vessel' AND status LIKE 'alarm%' AND region_code = '330225'")
    feats = get("fisheries").features(LayerContext(store=store, region="330225", at=t.to_pydatetime() if hasattr(t, "to_pydatetime") else t))
    v = feats[feats["sublayer"] == "vessels"]
    assert (v["status"] == "alarm").any()
    assert set(v.loc[v["status"] == "alarm", "kind"]) <= {"vessel_alarm_left_zone", "vessel_alarm_lost"}


def test_typhoon_replay_moves(store):
    layer = get("emergency")
    pos = []
    for h in (0, 12, 24):
        ctx = LayerContext(store=store, region="330225", at=datetime(2019, 8, 8, 0) + timedelta(hours=h), track_id="CMA-1909")
        f = layer.features(ctx)
        c = f[f["sublayer"] == "typhoon"]
        assert len(c) == 1
        pos.append((float(c["lon"].iloc[0]), float(c["lat"].iloc[0])))
    assert pos[0] != pos[1] != pos[2]
    assert pos[2][1] > pos[0][1]  # Lekima moved north towards Zhejiang


def test_memoised_traces_follow_their_inputs(store):
    """The memoised trace dicts are keyed by everything they depend on: language, sub-layers, time."""
    from layers.registry import cached_traces

    args = (store, "water", "330225", ANCHOR, 24.0, None)
    zh, dzh = cached_traces(*args, "zh", ("stations", "reservoirs", "rainfall"), False)
    en, den = cached_traces(*args, "en", ("stations", "reservoirs", "rainfall"), False)
    assert [t["uid"] for t in zh] == [t["uid"] for t in en] and dzh != den
    assert "水位" in zh[1]["hovertext"][0] and "level" in en[1]["hovertext"][0]
    off, _ = cached_traces(*args, "zh", ("stations",), False)
    assert off[0]["visible"] is False and off[1]["visible"] is True
    earlier, dearly = cached_traces(store, "water", "330225", ANCHOR - timedelta(hours=6), 24.0, None, "zh",
                                    ("stations", "reservoirs", "rainfall"), False)
    assert dearly != dzh
    again, dagain = cached_traces(*args, "zh", ("stations", "reservoirs", "rainfall"), False)
    assert dagain == dzh and again == zh


def test_observed_says_when_a_layer_has_no_data(store):
    """A typhoon replay (2019) predates the traffic and fisheries feeds; water has observations only
    around the landfall: layers with nothing at the time say so."""
    def seen(at):
        ctx = LayerContext(store=store, region="330225", at=at, track_id="CMA-1909")
        return {lid: get(lid).observed(get(lid).features(ctx)) for lid in ("traffic", "water", "emergency", "fisheries")}

    assert seen(datetime(2019, 8, 9, 6)) == {"traffic": False, "water": True, "emergency": True, "fisheries": False}
    assert seen(datetime(2019, 8, 5, 8))["water"] is False
    now = LayerContext(store=store, region="330225", at=ANCHOR)
    assert all(get(lid).observed(get(lid).features(now)) for lid in ("traffic", "water", "emergency", "fisheries"))
