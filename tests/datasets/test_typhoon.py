"""Typhoon best tracks: real values unchanged, UTC -> CST, knots -> m/s, both agencies, storm entities."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
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
from citybrain.settings import PROJECT_ROOT, Settings

ANCHOR = datetime(2026, 7, 15, 12, 0)
DATA = PROJECT_ROOT / "datasets" / "typhoon" / "data"
SHARED = PROJECT_ROOT.parent / "shared" / "data" / "typhoon"
JMA = "jma_besttrack_chanhom1509_lekima1909_infa2106.csv"
CMA = {"1909": "cma_lekima_1909_from_WingWR_Typhone_CH2019BST_pinn_dataset.csv",
       "2106": "cma_infa_2106_PARTIAL_from_t60h_WingWR_Typhone_CH2021BST_pinn_dataset.csv",
       "2212": "cma_muifa_2212_from_WingWR_Typhone_CH2022BST_pinn_dataset.csv"}


def _datasets_dir(tmp: Path) -> Path:
    """Only this dataset and its dependency, so other datasets' work in progress cannot break it."""
    root = tmp / "datasets"
    root.mkdir()
    for name in ("boundaries", "typhoon"):
        (root / name).symlink_to(PROJECT_ROOT / "datasets" / name, target_is_directory=True)
    return root


def _run(root: Path, seed: int = 20260101) -> dict[str, pd.DataFrame]:
    return run_loaders(["typhoon"], Settings(sim_anchor=ANCHOR, seed=seed, datasets_dir=root))["typhoon"]


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return _datasets_dir(tmp_path_factory.mktemp("typhoon"))


@pytest.fixture(scope="module")
def out(root) -> dict[str, pd.DataFrame]:
    return _run(root)


@pytest.fixture(scope="module")
def loader_module():
    spec = importlib.util.spec_from_file_location("typhoon_loader_under_test",
                                                  PROJECT_ROOT / "datasets" / "typhoon" / "loader.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _raw(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s.replace("Z", "")).tz_localize(None)


def test_manifest_loads():
    m = load_manifest(PROJECT_ROOT / "datasets" / "typhoon" / "manifest.yaml")
    assert m.simulated == "no" and m.crs == "WGS-84" and m.depends_on == ["boundaries"]
    assert not m.not_applicable
    assert {"330225", "330900", "370215", "341623", "210800"} <= set(m.regions)
    assert "JMA" in m.licence and "CMA" in m.licence


def test_columns_and_both_agencies(out):
    tr, ent = out["tracks"], out["entities"]
    assert list(tr.columns) == tables.column_names("tracks")
    assert list(ent.columns) == tables.column_names("entities")
    assert set(tr["track_id"]) == {"JMA-1509", "JMA-1909", "JMA-2106", "CMA-1909", "CMA-2106", "CMA-2212"}
    assert set(tr.loc[tr.track_id.str.startswith("JMA"), "source"]) == {"JMA RSMC Tokyo best track"}
    assert set(tr.loc[tr.track_id.str.startswith("CMA"), "source"]) == {"CMA/STI best track (via WingWR/Typhone)"}
    assert (tr["kind"] == "typhoon").all() and not tr["simulated"].any()
    assert str(tr["ts"].dtype) == "datetime64[us]"
    assert tr.groupby("track_id").size().min() > 25


def test_region_codes_follow_the_storms(out):
    tr = out["tracks"]
    want = {"1509": "330900", "1909": "330225", "2106": "330900", "2212": "330900"}
    got = tr.assign(no=tr.track_id.str[-4:]).groupby("no")["region_code"].unique()
    assert {k: list(v) for k, v in got.items()} == {k: [v] for k, v in want.items()}


def test_utc_to_cst_lekima_landfall_day(out):
    """JMA Lekima on 2019-08-10 China time: the 18Z, 00Z, 06Z, 12Z analyses, 8 hours later."""
    tr = out["tracks"]
    day = tr[(tr.track_id == "JMA-1909") & (tr.ts.dt.strftime("%Y-%m-%d") == "2019-08-10")]
    got = [(t.strftime("%H:%M"), lo, la) for t, lo, la in zip(day.ts, day.lon, day.lat)]
    assert got == [("02:00", 121.3, 28.2), ("08:00", 120.7, 29.1), ("14:00", 120.4, 29.9), ("20:00", 120.4, 30.8)]
    # The landfall (2019-08-10 01:45 CST, Wenling) lies between the 2019-08-09T18Z and ...T12Z analyses.
    row = day.iloc[0]
    assert row.pressure_hpa == 950 and row.grade == "TY"


def test_every_jma_value_unchanged_and_shifted_8h(out):
    tr = out["tracks"]
    raw = pd.DataFrame(_raw(JMA))
    for r in raw.itertuples():
        hit = tr[(tr.track_id == f"JMA-{r.intl_no}") & (tr.ts == _utc(r.time_utc) + pd.Timedelta(hours=8))]
        assert len(hit) == 1, r.time_utc
        h = hit.iloc[0]
        assert (h.lon, h.lat, float(h.pressure_hpa)) == (float(r.lon), float(r.lat), float(r.pres_hpa))
        kt = float(r.wind_kt_10min)
        if kt > 0:
            assert h.wind_ms == pytest.approx(kt * 0.514444, rel=1e-6)
        else:
            assert np.isnan(h.wind_ms)  # JMA writes 0 kt when no wind is given
    assert (tr.track_id.str.startswith("JMA")).sum() == len(raw)


def test_every_cma_value_unchanged_and_shifted_8h(out):
    tr = out["tracks"]
    for no, name in CMA.items():
        raw = pd.DataFrame(_raw(name))
        got = tr[tr.track_id == f"CMA-{no}"].reset_index(drop=True)
        assert len(got) == len(raw)
        exp_ts = [_utc(t) + pd.Timedelta(hours=8) for t in raw["timestamp"]]
        assert list(got["ts"]) == exp_ts
        assert np.allclose(got["lon"], raw["lng"].astype(float))
        assert np.allclose(got["lat"], raw["lat"].astype(float))
        assert np.allclose(got["wind_ms"], raw["wind_speed"].astype(float))  # 2-minute m/s, kept as is
        assert np.allclose(got["pressure_hpa"], raw["pressure"].astype(float))


def test_spot_checks_against_known_values(out):
    tr = out["tracks"].set_index(["track_id", "ts"])
    muifa = tr.loc[("CMA-2212", pd.Timestamp("2022-09-14 20:00"))]  # 2022-09-14T12Z, near the Putuo landfall
    assert (muifa.lon, muifa.lat, float(muifa.wind_ms), float(muifa.pressure_hpa), muifa.grade) == \
        (122.3, 29.9, 40.0, 965.0, "TY")
    lekima = tr.loc[("CMA-1909", pd.Timestamp("2019-08-09 20:00"))]  # 12Z: 52 m/s super typhoon before landfall
    assert float(lekima.wind_ms) == 48.0 and float(lekima.pressure_hpa) == 940.0 and lekima.grade == "STY"
    infa = tr.loc[("JMA-2106", pd.Timestamp("2021-07-25 08:00"))]  # 2021-07-25T00Z, 65 kt
    assert float(infa.wind_ms) == pytest.approx(33.44, abs=0.01) and infa.grade == "TY"


def test_files_are_byte_copies_of_the_shared_sources():
    assert SHARED.exists(), f"shared reference data not found at {SHARED}"
    for name in [JMA, *CMA.values()]:
        assert (DATA / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_grades(loader_module):
    w = np.array([5, 10.7, 10.8, 17.1, 17.2, 24.4, 24.5, 32.6, 32.7, 41.4, 41.5, 50.9, 51.0, 70])
    assert list(loader_module.cma_grade(w)) == ["LO", "LO", "TD", "TD", "TS", "TS", "STS", "STS", "TY", "TY",
                                                 "STY", "STY", "SuperTY", "SuperTY"]
    assert list(loader_module.jma_grade(np.array([2, 3, 4, 5, 6]))) == ["TD", "TS", "STS", "TY", "ET"]


def test_positions_far_in_the_pacific_are_kept(out):
    tr = out["tracks"]
    chanhom = tr[tr.track_id == "JMA-1509"].sort_values("ts")
    assert chanhom["lon"].iloc[0] == 160.4  # the source track starts at 160.4 E


def test_motion_is_plausible(out):
    tr = out["tracks"]
    sp = tr["speed_kn"].dropna()
    assert len(sp) > 300 and sp.between(0, 60).all()
    assert tr["heading_deg"].dropna().between(0, 360).all()


def test_storm_entities(out, root):
    ent = out["entities"].set_index("entity_id")
    assert list(ent.index) == ["typhoon-1509", "typhoon-1909", "typhoon-2106", "typhoon-2212"]
    assert list(ent["name_zh"].str[:2]) == ["灿鸿", "利奇", "烟花", "梅花"]
    props = {k: json.loads(v) for k, v in ent["properties"].items()}
    assert props["typhoon-1909"]["landfall_time"] == "2019-08-10T01:45:00"
    assert props["typhoon-2212"]["track_ids"] == ["CMA-2212"]
    assert props["typhoon-1509"]["track_ids"] == ["JMA-1509"]
    assert "370215" in props["typhoon-2212"]["affected_regions"]  # Muifa crossed Qingdao
    assert "341623" not in props["typhoon-1509"]["affected_regions"]
    tr = out["tracks"]
    line = shapely.from_wkb(ent.loc["typhoon-1909", "geometry"])
    main = tr[tr.track_id == "JMA-1909"]
    assert line.geom_type == "LineString" and np.allclose(np.asarray(line.coords), main[["lon", "lat"]].to_numpy())
    regions = run_loaders(["boundaries"], Settings(sim_anchor=ANCHOR, datasets_dir=root))["boundaries"]["regions"]
    zhoushan = shapely.from_wkb(regions.set_index("region_code").loc["330900", "geometry"])
    for sid in ("typhoon-1509", "typhoon-2106", "typhoon-2212"):  # landfalls on Zhoushan's coast
        assert zhoushan.distance(shapely.Point(ent.loc[sid, "lon"], ent.loc[sid, "lat"])) < 0.03


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(frames):
        h.update(frames[name].to_csv(index=False).encode())
    return h.hexdigest()


def test_deterministic_and_seed_independent(out, root):
    """Real data: the same bytes every run, whatever the simulation seed."""
    assert _digest(out) == _digest(_run(root)) == _digest(_run(root, seed=7))


def test_wind_radii_from_the_raw_lines(out):
    """Every JMA fix whose raw bst_all line carries radii has them in its storm entity, as the raw
    file says; CMA tracks carry none."""
    from citybrain.typhoon.radii import parse_line

    raw = SHARED / "jma_bst_all_2015-202108_PIVASIA.txt"
    raw_lines = {ln.rstrip("\r\n").rstrip() for ln in raw.read_text(encoding="ascii").splitlines()}
    ents = {json.loads(p)["intl_no"]: json.loads(p) for p in out["entities"]["properties"]}
    seen = 0
    for r in _raw(JMA):
        line = r["raw_line"].rstrip("\r\n").rstrip()
        assert line in raw_lines  # the CSV's line is the raw file's line
        got = {f[0]: f for f in ents[r["intl_no"]]["wind_radii"][f"JMA-{r['intl_no']}"]}
        ts = (_utc(r["time_utc"]) + pd.Timedelta(hours=8)).isoformat()
        want = parse_line(line)
        if want is None:
            assert ts not in got
            continue
        seen += 1
        assert got[ts][1:] == [want[50].as_list(), want[30].as_list()]
    assert seen > 100
    infa = {f[0]: f for f in ents["2106"]["wind_radii"]["JMA-2106"]}
    assert infa["2021-07-25T14:00:00"] == ["2021-07-25T14:00:00", [9, 80.0, 80.0], [2, 325.0, 240.0]]
    for e in ents.values():
        for tid, fixes in e["wind_radii"].items():
            assert tid.startswith("JMA-") or fixes == []


def test_landfall_facts_against_the_best_tracks(out):
    """The figures of datasets/typhoon/LANDFALL_CHECK.md: the stated landfall place lies near every
    agency's track at the stated time, and the CMA fixes around it say what the check says."""
    from citybrain.typhoon.circles import StormPath

    tracks = out["tracks"]
    storms = {r["intl_no"]: r for r in _raw("storms.csv")}
    limit_km = {"JMA-1509": 30, "JMA-1909": 20, "CMA-1909": 5, "JMA-2106": 35, "CMA-2106": 16, "CMA-2212": 11}
    for tid, km in limit_km.items():
        s = storms[tid[4:]]
        tr = tracks[tracks["track_id"] == tid].sort_values("ts")
        path = StormPath(tr["ts"].to_numpy("datetime64[us]"), tr["lon"].to_numpy(), tr["lat"].to_numpy(), {})
        lon, lat, ok = path.centre(np.array([s["landfall_time_cst"]], dtype="datetime64[us]"))
        d = float(haversine_km(lon[0], lat[0], float(s["landfall_lon"]), float(s["landfall_lat"])))
        assert ok[0] and d < km, (tid, d)

    def fix(tid, ts):
        r = tracks[(tracks["track_id"] == tid) & (tracks["ts"] == pd.Timestamp(ts))].iloc[0]
        return round(float(r["wind_ms"])), round(float(r["pressure_hpa"])), r["grade"]

    assert fix("CMA-1909", "2019-08-10T02:00") == (52, 930, "SuperTY")  # = the bulletin
    assert fix("CMA-2106", "2021-07-25T11:00") == (35, 968, "TY") and fix("CMA-2106", "2021-07-25T14:00") == (33, 970, "TY")
    assert fix("CMA-2212", "2022-09-14T20:00") == (40, 965, "TY")  # bulletin: 42 m/s, 强台风
    assert storms["2212"]["landfall_intensity_zh"] == "强台风" and storms["2106"]["landfall_wind_ms"] == "38"


def haversine_km(lon1, lat1, lon2, lat2):
    from citybrain.geo import haversine_m

    return haversine_m(lon1, lat1, lon2, lat2) / 1000.0
