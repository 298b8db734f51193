"""Emergency dataset: hand-curated facilities on land, simulated occupancy/stock and incident life cycles."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from citybrain.store import tables
from citybrain.store.build import run_loaders
from citybrain.manifest import load_manifest
from citybrain.regions import REGIONS, TOP_REGIONS
from citybrain.settings import PROJECT_ROOT, Settings

ANCHOR = datetime(2026, 7, 15, 12, 0)
FOLDER = PROJECT_ROOT / "datasets" / "emergency"
STEPS = ["reported_at", "dispatched_at", "on_scene_at", "resolved_at", "closed_at"]
STATUS = ["reported", "dispatched", "on_scene", "resolved", "closed"]
REGION_KPIS = {"shelter_capacity_total", "shelter_occupancy_rate", "open_incidents", "active_incidents",
               "overdue_incidents", "avg_response_min", "incidents_reported", "depot_reserve_ratio"}


def _datasets_dir(tmp: Path) -> Path:
    """Only the datasets these tests need, so other datasets' work in progress cannot break them."""
    root = tmp / "datasets"
    root.mkdir()
    for name in ("boundaries", "emergency"):
        (root / name).symlink_to(PROJECT_ROOT / "datasets" / name, target_is_directory=True)
    return root


def _run(root: Path, seed: int = 20260101, anchor: datetime = ANCHOR) -> dict[str, dict[str, pd.DataFrame]]:
    return run_loaders(["emergency"], Settings(sim_anchor=anchor, seed=seed, datasets_dir=root))


def _digest(out: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for table in sorted(out):
        h.update(table.encode())
        h.update(out[table].to_csv(index=False).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return _datasets_dir(tmp_path_factory.mktemp("emergency"))


@pytest.fixture(scope="module")
def all_out(root):
    return _run(root)


@pytest.fixture(scope="module")
def out(all_out) -> dict[str, pd.DataFrame]:
    return all_out["emergency"]


@pytest.fixture(scope="module")
def land(all_out) -> dict[str, shapely.Geometry]:
    reg = all_out["boundaries"]["regions"]
    return {c: shapely.from_wkb(bytes(g)) for c, g in zip(reg["region_code"], reg["geometry"])}


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(FOLDER / "manifest.yaml")


@pytest.fixture(scope="module")
def events(out) -> pd.DataFrame:
    ev = out["events"].copy()
    props = ev["properties"].map(json.loads)
    ev["overdue"] = props.map(lambda p: p["overdue"])
    ev["overdue_step"] = props.map(lambda p: p["overdue_step"])
    return ev


def test_manifest(manifest):
    assert manifest.owner_zh == "应急管理局" and manifest.classification == "internal"
    assert manifest.simulated == "partly" and manifest.assumptions
    assert "reporter_name" in manifest.restricted_fields
    assert set(manifest.regions) == set(TOP_REGIONS)
    ind = {i.id: i for i in manifest.indicators}
    rate = ind["shelter_occupancy_rate"]
    assert (rate.unit, rate.direction, rate.warn, rate.alarm) == ("%", "down", 80, 95)
    assert REGION_KPIS <= set(ind)
    assert ind["avg_response_min"].unit == "分钟" and ind["open_incidents"].unit == "起"
    assert ind["shelter_capacity_total"].unit == "人"
    reserve = ind["depot_reserve_ratio"]
    assert reserve.direction == "up" and reserve.warn > reserve.alarm


def test_columns_and_counts(out, manifest):
    assert set(out) == {"entities", "events", "observations"}
    for table, frame in out.items():
        assert list(frame.columns) == tables.column_names(table)
    assert 100 <= len(out["entities"]) <= 300
    assert 300 <= len(out["events"]) <= 1200
    assert 40_000 <= len(out["observations"]) <= 150_000
    declared = {i.id for i in manifest.indicators}
    assert set(out["observations"]["indicator_id"]) == declared


def test_five_regions_and_kinds(out):
    ent = out["entities"]
    assert set(ent["kind"]) == {"shelter", "depot", "rescue_team", "hazard_site"}
    counts = ent.groupby(["region_code", "kind"]).size().unstack(fill_value=0)
    assert set(counts.index) == set(TOP_REGIONS)
    assert (counts["shelter"] >= 8).all() and (counts["shelter"] <= 20).all()
    assert (counts[["depot", "rescue_team", "hazard_site"]] >= 3).all().all()
    assert set(out["events"]["region_code"]) == set(TOP_REGIONS)
    assert set(out["observations"]["region_code"]) == set(TOP_REGIONS)
    assert ent["entity_id"].is_unique and not ent["simulated"].any()


def test_facilities_on_land_in_their_region(out, land):
    ent = out["entities"]
    for code, g in ent.groupby("region_code"):
        inside = shapely.contains_xy(land[code], g["lon"].to_numpy(), g["lat"].to_numpy())
        assert inside.all(), g.loc[~inside, "entity_id"].tolist()
        pts = shapely.from_wkb(list(g["geometry"].map(bytes)))
        assert np.allclose(shapely.get_x(pts), g["lon"]) and np.allclose(shapely.get_y(pts), g["lat"])


def test_facility_properties(out):
    ent = out["entities"]
    props = [json.loads(p) for p in ent["properties"]]
    for kind, p in zip(ent["kind"], props):
        if kind == "shelter":
            assert p["level"] in ("县级", "乡镇级", "村级") and p["capacity"] > 0
        elif kind == "depot":
            assert set(p["min_reserve"]) == set(p["stock_categories"])
            assert set(p["stock_units"].values()) <= {"顶", "件", "张", "条", "吨"}
        elif kind == "rescue_team":
            assert p["headcount"] > 0 and p["team_type"] in ("fire", "volunteer", "maritime", "aviation")
        else:
            assert p["hazard_type"] and p["risk_level"]
    teams = ent[ent["kind"] == "rescue_team"]
    sea_teams = teams[[json.loads(p)["team_type"] in ("maritime", "aviation") for p in teams["properties"]]]
    assert set(sea_teams["region_code"]) == {c for c in TOP_REGIONS if REGIONS[c].coastal}


def test_event_places(events, land):
    anchor_kinds = set(events["kind"])
    assert {"fire", "traffic_rescue", "marine_distress", "evacuation"} <= anchor_kinds
    sea = events["kind"] == "marine_distress"
    assert not events.loc[sea, "region_code"].eq("341623").any()     # inland Lixin: no marine distress
    for code, g in events.groupby("region_code"):
        on_land = shapely.contains_xy(land[code], g["lon"].to_numpy(), g["lat"].to_numpy())
        is_sea = (g["kind"] == "marine_distress").to_numpy()
        assert on_land[~is_sea].all()
        assert not on_land[is_sea].any()
        if is_sea.any():   # near the coast: within ~15 km of the region's land
            d = shapely.distance(land[code], shapely.points(g["lon"].to_numpy()[is_sea], g["lat"].to_numpy()[is_sea]))
            assert (d < 0.15).all()


def test_life_cycle_monotonic_and_not_after_anchor(events):
    t = events[STEPS].to_numpy(dtype="datetime64[us]")
    anchor = np.datetime64(ANCHOR, "us")
    filled = ~np.isnat(t)
    assert filled[:, 0].all()
    assert (t[filled] <= anchor).all()
    # filled steps form a prefix (no gaps) and increase
    assert (filled[:, 1:] <= filled[:, :-1]).all()
    both = filled[:, 1:] & filled[:, :-1]
    assert (t[:, 1:][both] >= t[:, :-1][both]).all()
    # realistic durations on completed steps
    rep, dis, on = (events[c] for c in STEPS[:3])
    ok = dis.notna() & (events["kind"] != "evacuation")
    assert ((dis - rep)[ok] <= pd.Timedelta(minutes=120)).all()
    land_ev = ok & on.notna() & ~events["kind"].isin(["marine_distress", "evacuation"])
    travel = (on - dis)[land_ev]
    assert travel.median() <= pd.Timedelta(minutes=30) and (travel >= pd.Timedelta(minutes=5)).all()
    assert events["reported_at"].min() >= pd.Timestamp(ANCHOR) - pd.Timedelta(days=61)


def test_status_matches_filled_steps(events):
    filled = events[STEPS].notna().sum(axis=1).to_numpy()
    expected = np.asarray(STATUS, dtype=object)[filled - 1]
    assert (events["status"].to_numpy() == expected).all()
    for code, g in events.groupby("region_code"):
        assert set(STATUS) <= set(g["status"]), code       # some open at each step, in every region


def test_due_and_overdue(events):
    anchor = pd.Timestamp(ANCHOR)
    assert events["due_at"].notna().all() and (events["due_at"] > events["reported_at"]).all()
    open_ = events["status"] != "closed"
    expected = open_ & (events["due_at"] < anchor)
    assert (events["overdue"] == expected).all()
    od = events[events["overdue"]]
    assert len(od) >= 3 and od["overdue_step"].isin(["dispatch", "on_scene", "resolve", "close"]).all()
    step_of = {"reported": "dispatch", "dispatched": "on_scene", "on_scene": "resolve", "resolved": "close"}
    assert (od["status"].map(step_of) == od["overdue_step"]).all()
    assert events.loc[~events["overdue"], "overdue_step"].isna().all()


def test_severity_and_privacy(events, manifest):
    sev = events["severity"].value_counts(normalize=True)
    assert set(sev.index) <= {"general", "large", "major", "extreme"}
    assert sev["general"] > 0.75
    people = events[events["kind"] != "evacuation"]
    assert people["reporter_name"].notna().all()
    for name, title in zip(people["reporter_name"], people["title_zh"]):
        assert name not in title
    assert events["title_zh"].str.contains("某").sum() >= 0.9 * len(people)
    assert (events["classification"] == manifest.classification).all() and events["simulated"].all()
    assert events["event_id"].is_unique


def test_occupancy_within_capacity(out):
    ent = out["entities"]
    cap = {e: json.loads(p)["capacity"] for e, p, k in zip(ent["entity_id"], ent["properties"], ent["kind"])
           if k == "shelter"}
    ob = out["observations"]
    occ = ob[ob["indicator_id"] == "shelter_occupancy"]
    assert set(occ["entity_id"]) == set(cap)
    assert (occ["value"] >= 0).all()
    assert (occ["value"] <= occ["entity_id"].map(cap) * 1.1).all()
    rate = ob[(ob["indicator_id"] == "shelter_occupancy_rate") & ob["entity_id"].notna()]
    assert rate["value"].max() <= 110.0
    assert (ob["ts"] <= pd.Timestamp(ANCHOR)).all()


def test_evacuation_episode_in_last_14_days(out):
    ob = out["observations"]
    reg = ob[(ob["indicator_id"] == "shelter_occupancy_rate") & ob["entity_id"].isna()]
    assert reg["ts"].min() >= pd.Timestamp(ANCHOR) - pd.Timedelta(days=14)
    peak = reg.groupby("region_code")["value"].max()
    median = reg.groupby("region_code")["value"].median()
    for code in TOP_REGIONS:
        assert median[code] < 2.0                          # shelters stand empty outside events
        assert peak[code] > (15.0 if REGIONS[code].coastal else 5.0)
    cap = ob[ob["indicator_id"] == "shelter_capacity_total"].groupby("region_code")["value"].last()
    assert (cap > 5000).all()


def test_depot_stock_drops_in_episode_and_reserve_ratio(out):
    ob = out["observations"]
    stock = ob[ob["indicator_id"] == "depot_stock_quilt"]
    drops = stock.sort_values("ts").groupby("entity_id")["value"].agg(lambda v: (v.max() - v.min()) / v.max())
    assert (drops > 0.1).any()
    ratio = ob[ob["indicator_id"] == "depot_reserve_ratio"]
    assert (ratio["value"] >= 0).all() and ratio["entity_id"].isna().any()


def test_region_kpis_match_events(out, events):
    ob = out["observations"]
    kpi = ob[ob["entity_id"].isna()]
    assert REGION_KPIS <= set(kpi["indicator_id"])
    last = kpi[kpi["ts"] == pd.Timestamp(ANCHOR)].set_index(["indicator_id", "region_code"])["value"]
    inc = events[events["kind"] != "evacuation"]
    for code in TOP_REGIONS:
        g = inc[inc["region_code"] == code]
        assert last[("open_incidents", code)] == (g["status"] != "closed").sum()
        assert last[("overdue_incidents", code)] == g["overdue"].sum()
        assert last[("active_incidents", code)] == g["status"].isin(["reported", "dispatched", "on_scene"]).sum()
    resp = kpi[kpi["indicator_id"] == "avg_response_min"]["value"]
    assert resp.between(3, 240).all() and resp.median() < 40


def test_deterministic(root, out):
    again = _run(root)["emergency"]
    assert _digest(again) == _digest(out)
    other = _run(root, seed=7)["emergency"]
    assert _digest(other) != _digest(out)


def test_other_anchor_season(root):
    winter = _run(root, anchor=datetime(2026, 1, 10, 8, 35))["emergency"]["events"]
    evac = winter[winter["kind"] == "evacuation"].set_index("region_code")["title_zh"]
    assert "寒潮大风" in evac["330225"] and "雨雪冰冻" in evac["341623"]
    assert (winter["reported_at"] <= pd.Timestamp(2026, 1, 10, 8, 35)).all()
