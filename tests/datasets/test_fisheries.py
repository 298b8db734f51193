"""Fisheries (智慧渔港): real ports at their quays, a simulated fleet that never goes ashore.

Two anchors: 2026-07-15 (inside the East China Sea moratorium: most vessels in port) and
2026-11-20 (fishing season: most vessels at sea). Every track row of both runs is checked against
the land polygons of Xiangshan and the Zhoushan districts.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from citybrain.store.build import run_loaders
from citybrain.geo import haversine_m
from citybrain.manifest import load_manifest
from citybrain.settings import PROJECT_ROOT, Settings

MANIFEST = PROJECT_ROOT / "datasets" / "fisheries" / "manifest.yaml"
SHARED_PORTS = PROJECT_ROOT.parent / "shared" / "data" / "ports" / "ports_xiangshan_zhoushan_with_sources.csv"
JUL = datetime(2026, 7, 15, 12, 0)
NOV = datetime(2026, 11, 20, 12, 0)
SEED = 20260101
LAND_CODES = ("330225", "330900", "330902", "330903", "330921", "330922")
STATUSES = {"in_port", "at_sea", "fishing", "alarm_left_zone", "alarm_lost"}


def _run(anchor: datetime, seed: int = SEED) -> dict[str, pd.DataFrame]:
    out = run_loaders(["fisheries"], Settings(sim_anchor=anchor, seed=seed))
    f = out["fisheries"]
    f["_regions"] = out["boundaries"]["regions"]
    return f


@pytest.fixture(scope="module")
def nov() -> dict[str, pd.DataFrame]:
    return _run(NOV)


@pytest.fixture(scope="module")
def jul() -> dict[str, pd.DataFrame]:
    return _run(JUL)


@pytest.fixture(scope="module")
def land(nov) -> shapely.Geometry:
    reg = nov["_regions"]
    geoms = [shapely.from_wkb(bytes(b)) for c, b in zip(reg["region_code"], reg["geometry"]) if c in LAND_CODES]
    u = shapely.union_all(geoms)
    shapely.prepare(u)
    return u


def _props(entities: pd.DataFrame, kind: str) -> pd.DataFrame:
    e = entities[entities["kind"] == kind].reset_index(drop=True)
    p = pd.DataFrame([json.loads(s) for s in e["properties"]])
    return pd.concat([e.drop(columns=["properties"]), p], axis=1)


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    """sha256 over every emitted column (raw bytes for numbers, codes + labels for categoricals)."""
    h = hashlib.sha256()
    for table in ("entities", "tracks", "observations"):
        df = frames[table]
        for col in df.columns:
            s = df[col]
            h.update(f"{table}.{col}".encode())
            if isinstance(s.dtype, pd.CategoricalDtype):
                h.update(np.ascontiguousarray(s.cat.codes.to_numpy()).tobytes())
                h.update("\x1f".join(map(str, s.cat.categories)).encode())
            elif s.dtype.kind in "fiub" or s.dtype.kind == "M":
                h.update(np.ascontiguousarray(s.to_numpy()).tobytes())
            else:
                h.update("\x1f".join("" if v is None or v is pd.NA else str(v) if not isinstance(v, bytes)
                                     else v.hex() for v in s.tolist()).encode())
    return h.hexdigest()


# --- manifest ---------------------------------------------------------------------------------

def test_manifest_declares_provenance_crs_restrictions_and_coverage():
    m = load_manifest(MANIFEST)
    assert m.crs == "GCJ-02" and m.cadence == "5min" and m.owner_zh == "县海洋与渔业局"
    assert m.simulated == "partly" and m.classification == "internal"
    assert "ports_xiangshan_zhoushan_with_sources.csv" in m.provenance + m.source
    assert m.restricted_fields == ["owner_name"]
    assert "内陆" in m.not_applicable["341623"]
    for code in ("370215", "210800"):
        assert "暂未覆盖" in m.not_applicable[code], code
    assert {"330225", "330900"} <= set(m.regions)
    ind = {i.id: i for i in m.indicators}
    cov = ind["supervision_coverage"]
    assert (cov.direction, cov.warn, cov.alarm, cov.unit) == ("up", 95, 90, "%")
    alarm = ind["vessels_alarm"]
    assert alarm.direction == "down" and alarm.warn is not None and alarm.alarm > alarm.warn
    assert len(m.assumptions) >= 8


def test_shipped_port_markers_are_copied_verbatim_from_the_shared_file():
    assert SHARED_PORTS.exists(), f"shared ports file not found at {SHARED_PORTS} (shared/ must sit beside the repo)"
    shared = {(float(r["lat"]), float(r["lon"])) for r in csv.DictReader(SHARED_PORTS.open(encoding="utf-8"))}
    rows = list(csv.DictReader((MANIFEST.parent / "data" / "ports.csv").open(encoding="utf-8")))
    from_file = [r for r in rows if r["src_kind"] != "hand"]
    assert len(from_file) >= 6
    for r in from_file:
        assert "ports_xiangshan_zhoushan_with_sources.csv" in r["source"]
        assert (float(r["src_lat"]), float(r["src_lon"])) in shared, r["port_id"]
    for r in rows:
        if r["src_kind"] == "hand":
            assert "hand-placed" in r["source"] and "人工标定" in r["note"]


# --- ports ------------------------------------------------------------------------------------

def test_ports_sit_in_the_water_near_their_marker(nov, land):
    ports = _props(nov["entities"], "port")
    assert len(ports) >= 10
    assert {"石浦渔港", "鹤浦渔港", "沈家门渔港", "高亭渔港", "嵊山渔港"} <= set(ports["name_zh"])
    # a port belongs to its district (Zhoushan's four districts, or Xiangshan): the one region scope
    assert set(ports["region_code"]) <= {"330225", "330902", "330903", "330921", "330922"}
    assert "330225" in set(ports["region_code"]) and len(set(ports["region_code"])) >= 3
    assert not shapely.contains_xy(land, ports["lon"], ports["lat"]).any(), "a quay point is on land"
    to_land_km = shapely.distance(land, shapely.points(ports["lon"], ports["lat"])) * 111.0
    assert (to_land_km < 3.0).all(), "a quay point is more than ~3 km from any land"
    moved = haversine_m(ports["marker_lon"], ports["marker_lat"], ports["lon"], ports["lat"])
    assert (moved < 5000).all()
    assert np.allclose(moved, ports["moved_m"], atol=60), "moved_m disagrees with marker -> quay distance"
    assert ports["berths_capacity_are_estimates"].all()
    assert (ports["classification"] == "public").all()


# --- fleet ------------------------------------------------------------------------------------

def test_fleet_is_large_simulated_and_equipped(nov):
    v = _props(nov["entities"], "vessel")
    ports = set(nov["entities"].loc[nov["entities"]["kind"] == "port", "entity_id"])
    assert len(v) >= 2000 and v["entity_id"].is_unique
    assert v["entity_id"].str.fullmatch(r"浙(象|普|定|岱|嵊)渔X\d{5}").all()
    assert v["simulated"].all() and (v["classification"] == "internal").all()
    assert set(v["home_port_id"]) <= ports
    assert v["beidou_terminal"].mean() >= 0.95
    assert v["owner_name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert v["length_m"].between(8, 60).all() and (v["power_kw"] > 0).all()
    assert {"拖网", "刺网", "张网"} <= set(v["gear_zh"])
    assert set(v["region_code"]) <= {"330225", "330902", "330903", "330921", "330922"}
    assert (v["region_code"] == v["district_code"]).all()


# --- tracks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["nov", "jul"])
def test_tracks_cover_seven_days_at_five_minutes(which, request):
    f = request.getfixturevalue(which)
    anchor = NOV if which == "nov" else JUL
    tr = f["tracks"]
    n = int((f["entities"]["kind"] == "vessel").sum())
    assert len(tr) == n * 2016
    ts = tr["ts"].to_numpy().reshape(n, 2016)
    assert (ts[:, -1] == np.datetime64(anchor, "us")).all()
    assert (ts[:, 0] == np.datetime64(anchor - timedelta(days=7) + timedelta(minutes=5), "us")).all()
    assert (np.diff(ts, axis=1) == np.timedelta64(5, "m")).all()
    assert set(tr["status"].unique()) <= STATUSES
    assert (tr["kind"] == "vessel").all() and (tr["source"] == "simulated BeiDou/AIS").all()
    assert tr["simulated"].all()
    assert not tr["speed_kn"].isna().any() and not tr["heading_deg"].isna().any()
    assert tr["heading_deg"].between(0, 360).all()


@pytest.mark.parametrize("which", ["nov", "jul"])
def test_no_position_on_land_at_sea_or_in_port(which, request, land):
    tr = request.getfixturevalue(which)["tracks"]
    lon, lat = tr["lon"].to_numpy(), tr["lat"].to_numpy()
    on_land = shapely.contains_xy(land, lon, lat)
    in_port = (tr["status"] == "in_port").to_numpy()
    assert not on_land[~in_port].any(), f"{on_land[~in_port].sum()} at-sea positions on land"
    assert not on_land[in_port].any(), f"{on_land[in_port].sum()} in-port positions on land"
    # Ningbo/Taizhou mainland is not in our polygons: vessels stay east of it.
    assert lon.min() > 121.8


def test_vessels_in_port_lie_at_their_home_quay(nov):
    tr, e = nov["tracks"], nov["entities"]
    v = _props(e, "vessel").set_index("entity_id")
    quay = e[e["kind"] == "port"].set_index("entity_id")[["lon", "lat"]]
    moored = tr[tr["status"] == "in_port"]
    ids = pd.Categorical(moored["track_id"])
    home = v.loc[np.asarray(ids.categories, dtype=object), "home_port_id"].to_numpy()
    qlon = quay.loc[home, "lon"].to_numpy()[ids.codes]
    qlat = quay.loc[home, "lat"].to_numpy()[ids.codes]
    d = haversine_m(moored["lon"], moored["lat"], qlon, qlat)
    assert d.max() < 1000
    assert moored["speed_kn"].max() <= 0.3


def test_moratorium_keeps_the_fleet_in_port(jul, nov):
    share_jul = jul["tracks"].assign(p=lambda d: d["status"] == "in_port").groupby("ts")["p"].mean()
    share_nov = nov["tracks"].assign(p=lambda d: d["status"] == "in_port").groupby("ts")["p"].mean()
    assert share_jul.min() >= 0.90, share_jul.min()
    assert share_nov.mean() <= 0.5, share_nov.mean()
    assert share_nov.max() < 0.8
    # In mid-July only moratorium-exempt vessels (hook and line, some auxiliaries) are out.
    v = _props(jul["entities"], "vessel").set_index("entity_id")
    out = jul["tracks"].loc[jul["tracks"]["status"] != "in_port", "track_id"].astype(str).unique()
    assert len(out) > 0 and v.loc[out, "moratorium_exempt"].all()


def test_speeds_follow_the_activity(nov):
    tr = nov["tracks"]
    med = tr.groupby("status", observed=True)["speed_kn"].median()
    assert 6 <= med["at_sea"] <= 12
    assert 2 <= med["fishing"] <= 4
    assert tr.loc[tr["status"] == "at_sea", "speed_kn"].quantile(0.95) <= 12.5


def test_alarms_are_rare_and_lost_vessels_keep_their_last_fix(nov):
    tr = nov["tracks"]
    n = int((nov["entities"]["kind"] == "vessel").sum())
    st = tr["status"].to_numpy().reshape(n, 2016)
    lost = st == "alarm_lost"
    left = st == "alarm_left_zone"
    assert lost.any() and left.any()
    assert (lost | left).mean() < 0.01
    lon = tr["lon"].to_numpy().reshape(n, 2016)
    lat = tr["lat"].to_numpy().reshape(n, 2016)
    both = lost[:, 1:] & lost[:, :-1]
    assert (lon[:, 1:][both] == lon[:, :-1][both]).all() and (lat[:, 1:][both] == lat[:, :-1][both]).all()
    v = _props(nov["entities"], "vessel").set_index("entity_id")
    left_ids = tr.loc[tr["status"] == "alarm_left_zone", "track_id"].astype(str).unique()
    assert (v.loc[left_ids, "permitted_zone_km"] == 60).all()


# --- observations -----------------------------------------------------------------------------

def test_region_series_agree_with_the_tracks(nov):
    m = load_manifest(MANIFEST)
    obs, tr = nov["observations"], nov["tracks"]
    assert set(obs["indicator_id"]) <= {i.id for i in m.indicators}
    assert set(obs["region_code"]) <= set(m.regions)
    assert (obs["quality"] == "good").all() and obs["simulated"].all()
    region = obs[obs["entity_id"].isna()]
    wide = region.pivot_table(index=["region_code", "ts"], columns="indicator_id", values="value")
    assert wide.groupby(level=0).size().eq(2016).all()
    v = _props(nov["entities"], "vessel")
    sizes = v.groupby("region_code").size()
    xs = wide.loc["330225"]
    assert (xs["vessels_at_sea"] + xs["vessels_in_port"] == sizes["330225"]).all()
    counted = tr[(tr["region_code"] == "330225") & (tr["status"] != "in_port")].groupby("ts").size()
    assert (xs["vessels_at_sea"] == counted.reindex(xs.index, fill_value=0)).all()
    alarms = tr[tr["status"].isin(["alarm_lost", "alarm_left_zone"])].groupby(["region_code", "ts"],
                                                                               observed=True).size()
    zs_alarms = alarms[[c.startswith("3309") for c in alarms.index.get_level_values(0)]].groupby(level=1).sum()
    for code, want in (("330225", alarms.get("330225", pd.Series(dtype=float))), ("330900", zs_alarms)):
        got = wide.loc[code, "vessels_alarm"]
        assert (got == want.reindex(got.index, fill_value=0)).all()
    cov = wide["supervision_coverage"]
    assert cov.between(94, 99.5).all() and 96 <= cov.mean() <= 98
    by_port = obs[obs["indicator_id"] == "vessels_in_port_by_port"]
    assert by_port["entity_id"].str.startswith("port-").all()
    zs = by_port[by_port["region_code"].str.startswith("3309")].groupby("ts")["value"].sum()
    assert (zs == wide.loc["330900", "vessels_in_port"]).all()


def test_not_applicable_regions_get_no_rows(nov):
    for table in ("entities", "tracks", "observations"):
        assert not nov[table]["region_code"].isin(["341623", "370215", "210800"]).any(), table


# --- determinism ------------------------------------------------------------------------------

def test_same_seed_and_anchor_give_the_same_bytes_and_another_seed_does_not(jul):
    first = _digest(jul)
    assert _digest(_run(JUL)) == first
    assert _digest(_run(JUL, seed=SEED + 1)) != first
