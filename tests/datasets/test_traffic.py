"""Traffic dataset: real places on land, rush-hour flows, congestion grading, accident life cycles."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import wkb

from citybrain.store import tables
from citybrain.store.build import run_loaders
from citybrain.errors import DataError
from citybrain.manifest import load_manifest
from citybrain.settings import PROJECT_ROOT, Settings

ANCHOR = datetime(2026, 7, 15, 12, 0)
FIVE = {"330225", "330900", "370215", "341623", "210800"}
MANIFEST = PROJECT_ROOT / "datasets" / "traffic" / "manifest.yaml"


def _run(seed: int = 20260101, datasets_dir: Path | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    kw = {"datasets_dir": datasets_dir} if datasets_dir else {}
    return run_loaders(["traffic"], Settings(sim_anchor=ANCHOR, seed=seed, **kw))


@pytest.fixture(scope="module")
def out() -> dict[str, dict[str, pd.DataFrame]]:
    return _run()


@pytest.fixture(scope="module")
def tr(out) -> dict[str, pd.DataFrame]:
    return out["traffic"]


@pytest.fixture(scope="module")
def land(out) -> dict[str, shapely.Geometry]:
    reg = out["boundaries"]["regions"]
    return {r.region_code: wkb.loads(bytes(r.geometry)) for r in reg.itertuples()}


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(frames):
        h.update(name.encode())
        h.update(frames[name].to_csv(index=False).encode())
    return h.hexdigest()


def test_manifest_declares_units_thresholds_and_restricted_fields():
    m = load_manifest(MANIFEST)
    assert set(m.regions) == FIVE and m.depends_on == ["boundaries"] and m.crs == "WGS-84"
    assert "reporter_name" in m.restricted_fields
    units = {i.id: i.unit for i in m.indicators}
    assert units["traffic_flow"] == "辆/时" and units["road_speed"] == "km/h"
    assert units["congestion_index"] == "指数" and units["traffic_accidents_daily"] == "起"
    tpi = next(i for i in m.indicators if i.id == "congestion_index")
    assert (tpi.warn, tpi.alarm, tpi.direction) == (4, 6, "down")
    assert "GB/T 33171" in tpi.description
    assert any("约 1 km" in a or "~1 km" in a for a in m.assumptions)


def test_tables_have_exact_columns_and_sizes(tr):
    assert set(tr) == {"entities", "events", "observations"}
    for name, frame in tr.items():
        assert list(frame.columns) == tables.column_names(name)
    obs = tr["observations"]
    assert 100_000 < len(obs) <= 600_000
    assert obs["simulated"].all() and tr["events"]["simulated"].all()
    declared = {i.id for i in load_manifest(MANIFEST).indicators}
    assert set(obs["indicator_id"]) == declared
    assert obs["ts"].dtype == "datetime64[us]" and obs["ts"].max() <= pd.Timestamp(ANCHOR)


def test_five_regions_covered_everywhere(tr):
    for name in ("entities", "events", "observations"):
        assert set(tr[name]["region_code"]) == FIVE, name
    ent = tr["entities"]
    for code in FIVE:
        kinds = ent[ent["region_code"] == code]["kind"].value_counts()
        assert 8 <= kinds["checkpoint"] <= 15, code
        assert 2 <= kinds["overload_station"] <= 5, code
        assert 8 <= kinds["road_segment"] <= 20, code
        assert kinds["black_spot"] >= 2, code


def test_lixin_facilities_follow_the_seed_plan(tr):
    ent = tr["entities"]
    lx = ent[ent["region_code"] == "341623"]
    props = lx["properties"].map(json.loads)
    ost = props[lx["kind"] == "overload_station"].map(lambda p: p["build_status"]).value_counts()
    assert (ost["new"], ost["upgraded"]) == (2, 3)
    assert sum(p.get("device") == "micro_checkpoint" for p in props) == 6


def test_every_point_and_vertex_on_land_in_its_region(tr, land):
    ent = tr["entities"]
    for r in ent.itertuples():
        geom = wkb.loads(bytes(r.geometry))
        xy = shapely.get_coordinates(geom)
        assert shapely.contains_xy(land[r.region_code], xy[:, 0], xy[:, 1]).all(), r.entity_id
        if r.kind == "road_segment":
            assert geom.geom_type == "LineString" and len(xy) >= 2
            assert geom.distance(shapely.Point(r.lon, r.lat)) < 1e-9  # lon/lat = midpoint on the line
    ev = tr["events"]
    names = ent.set_index("entity_id")["name_zh"]
    seg = ev["properties"].map(lambda p: json.loads(p)["segment_id"])
    on_bridge = names.loc[seg].str.contains("大桥").to_numpy()  # accidents on sea bridges are over water
    for code in FIVE:
        sel = (ev["region_code"] == code).to_numpy()
        ok = shapely.contains_xy(land[code], ev["lon"].to_numpy()[sel], ev["lat"].to_numpy()[sel])
        assert (ok | on_bridge[sel]).all(), code
    assert on_bridge.sum() < len(ev) * 0.1


def test_points_lie_on_their_segment_and_lengths_match(tr):
    ent = tr["entities"].set_index("entity_id")
    for eid, r in ent[ent["kind"] != "road_segment"].iterrows():
        seg = wkb.loads(bytes(ent.loc[json.loads(r["properties"])["segment_id"], "geometry"]))
        assert seg.distance(shapely.Point(r["lon"], r["lat"])) < 2e-4, eid  # ~20 m (4-decimal rounding)
    for eid, r in ent[ent["kind"] == "road_segment"].iterrows():
        xy = shapely.get_coordinates(wkb.loads(bytes(r["geometry"])))
        km = sum(_haversine(a, b) for a, b in zip(xy[:-1], xy[1:]))
        assert json.loads(r["properties"])["length_km"] == pytest.approx(km, rel=0.02), eid


def _haversine(a: np.ndarray, b: np.ndarray) -> float:
    p1, p2 = math.radians(a[1]), math.radians(b[1])
    dl, dp = math.radians(b[0] - a[0]), p2 - p1
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_flows_have_rush_hours_and_quieter_weekends(tr):
    obs = tr["observations"]
    f = obs[(obs["indicator_id"] == "traffic_flow") & obs["entity_id"].notna()]
    assert f["ts"].diff().dropna().min() >= pd.Timedelta(0)  # the loader emits in time order per block
    assert f["ts"].nunique() == 7 * 288
    hour, weekend = f["ts"].dt.hour, f["ts"].dt.day_of_week >= 5
    wd = f[~weekend].groupby(hour[~weekend])["value"].mean()
    we = f[weekend].groupby(hour[weekend])["value"].mean()
    assert wd[8] > 2 * wd[3] and wd[18] > 2 * wd[3]
    assert we.max() < wd.max()
    assert (f["value"] >= 0).all() and (f["value"] % 12 == 0).all()  # 5-minute counts × 12


def test_region_flow_is_the_sum_of_checkpoints(tr):
    obs = tr["observations"]
    f = obs[obs["indicator_id"] == "traffic_flow"]
    ent = f[f["entity_id"].notna()].groupby(["region_code", "ts"])["value"].sum()
    reg = f[f["entity_id"].isna()].set_index(["region_code", "ts"])["value"]
    pd.testing.assert_series_equal(ent.sort_index(), reg.sort_index(), check_names=False)


def test_congestion_index_graded_and_consistent_with_speed(tr):
    obs = tr["observations"]
    tpi = obs[(obs["indicator_id"] == "congestion_index") & obs["entity_id"].notna()]
    assert tpi["value"].between(0, 10).all()
    assert (tpi["value"] >= 4).any()  # some warnings in a week of rush hours
    assert (tpi["value"] < 2).mean() > 0.5  # but mostly free-flowing county roads
    spd = obs[(obs["indicator_id"] == "road_speed") & obs["entity_id"].notna()]
    both = tpi.merge(spd, on=["entity_id", "ts"], suffixes=("_tpi", "_v"))
    slow = both["value_v"] < both.groupby("entity_id")["value_v"].transform("median") * 0.6
    assert (both.loc[slow, "value_tpi"] >= 4).all()
    assert len(tpi) == len(spd) and tpi["ts"].nunique() == 168


def test_overload_counts(tr):
    obs = tr["observations"]
    hourly = obs[obs["indicator_id"].isin(["trucks_weighed", "overload_cases"]) & obs["entity_id"].notna()]
    w = hourly.pivot_table(index=["entity_id", "ts"], columns="indicator_id", values="value")
    assert (w["overload_cases"] <= w["trucks_weighed"]).all() and w["trucks_weighed"].sum() > 0
    daily = obs[obs["indicator_id"] == "overload_cases_daily"]
    assert daily.groupby("region_code").size().eq(90).all()
    assert set(daily[daily["ts"] == daily["ts"].max()]["quality"]) == {"partial"}
    rate = obs[obs["indicator_id"] == "overload_rate"]["value"]
    assert rate.between(0, 10).all()


def test_accident_life_cycle_is_monotonic_and_not_in_the_future(tr):
    ev = tr["events"]
    assert set(ev["kind"]) == {"traffic_accident"}
    assert set(ev["severity"]) <= {"minor", "general", "serious", "major"}
    steps = ["reported_at", "dispatched_at", "on_scene_at", "resolved_at", "closed_at"]
    anchor = pd.Timestamp(ANCHOR)
    for a, b in zip(steps[:-1], steps[1:]):
        both = ev[a].notna() & ev[b].notna()
        assert (ev.loc[both, a] <= ev.loc[both, b]).all(), (a, b)
        assert not (ev[a].isna() & ev[b].notna()).any(), (a, b)  # no gaps in the chain
    for s in steps:
        assert (ev[s].dropna() <= anchor).all(), s
    last = ev[steps].notna().sum(axis=1)
    expect = np.array(["reported", "dispatched", "on_scene", "resolved", "closed"])[last - 1]
    assert (ev["status"].to_numpy() == expect).all()
    assert (ev["status"] != "closed").any()  # recent ones are still being handled
    assert ev["reported_at"].min() >= anchor.normalize() - pd.Timedelta(days=89)
    assert (ev["due_at"] > ev["reported_at"]).all()
    assert ev["event_id"].is_unique and ev["reporter_name"].str.len().between(2, 3).all()


def test_accidents_cluster_at_black_spots_and_match_daily_counts(tr):
    ev, ent, obs = tr["events"], tr["entities"], tr["observations"]
    spots = ent[ent["kind"] == "black_spot"]
    counts = ev["entity_id"].value_counts()
    for r in spots.itertuples():
        n = json.loads(r.properties)["accidents_90d"]
        assert n == counts.get(r.entity_id, 0) and n > 0
    seg_ids = set(ent[ent["kind"] == "road_segment"]["entity_id"])
    assert set(ev["entity_id"]) <= seg_ids | set(spots["entity_id"])
    daily = obs[obs["indicator_id"] == "traffic_accidents_daily"]
    assert daily.groupby("region_code")["value"].sum().to_dict() == ev.groupby("region_code").size().astype(float).to_dict()


def test_determinism_same_seed_same_bytes_other_seed_differs(tr):
    again = _run()["traffic"]
    assert _digest(again) == _digest(tr)
    other = _run(seed=7)["traffic"]
    assert _digest(other) != _digest(tr)


def test_a_checkpoint_at_sea_fails_the_build(tmp_path):
    root = tmp_path / "datasets"
    for name in ("boundaries", "traffic"):
        shutil.copytree(PROJECT_ROOT / "datasets" / name, root / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    csv = root / "traffic" / "data" / "checkpoints.csv"
    text = csv.read_text(encoding="utf-8")
    first = text.splitlines()[1].split(",")
    lon_i = text.splitlines()[0].split(",").index("lon")
    bad = first.copy()
    bad[lon_i], bad[lon_i + 1] = "122.10", "29.30"  # open sea east of Shipu, Xiangshan
    csv.write_text(text.replace(",".join(first), ",".join(bad)), encoding="utf-8")
    with pytest.raises(DataError, match="not on land"):
        _run(datasets_dir=root)
