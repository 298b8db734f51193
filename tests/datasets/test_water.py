"""Water dataset: real station places, simulated hourly hydrology that reacts to the real typhoons."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from citybrain.store import tables
from citybrain.store.build import run_loaders
from citybrain.manifest import load_manifest
from citybrain.regions import TOP_REGIONS
from citybrain.settings import PROJECT_ROOT, Settings

ANCHOR = datetime(2026, 7, 15, 12, 0)
FOLDER = PROJECT_ROOT / "datasets" / "water"
REGION_KPIS = {"stations_over_warning", "max_rainfall_24h", "reservoir_storage_rate", "rainfall_1h"}


def _datasets_dir(tmp: Path) -> Path:
    """Only the datasets these tests need, so other datasets' work in progress cannot break them."""
    root = tmp / "datasets"
    root.mkdir()
    for name in ("boundaries", "typhoon", "water"):
        (root / name).symlink_to(PROJECT_ROOT / "datasets" / name, target_is_directory=True)
    return root


def _run(root: Path, seed: int = 20260101, anchor: datetime = ANCHOR) -> dict[str, dict[str, pd.DataFrame]]:
    return run_loaders(["water", "typhoon"], Settings(sim_anchor=anchor, seed=seed, datasets_dir=root))


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return _datasets_dir(tmp_path_factory.mktemp("water"))


@pytest.fixture(scope="module")
def all_out(root):
    return _run(root)


@pytest.fixture(scope="module")
def out(all_out) -> dict[str, pd.DataFrame]:
    return all_out["water"]


@pytest.fixture(scope="module")
def props(out) -> dict[str, dict]:
    return {e: json.loads(p) for e, p in zip(out["entities"]["entity_id"], out["entities"]["properties"])}


@pytest.fixture(scope="module")
def windows() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "data" / "typhoon_windows.csv", dtype={"intl_no": str},
                       parse_dates=["landfall_time_cst", "window_start", "window_end"])


@pytest.fixture(scope="module")
def levels(out, props, windows) -> pd.DataFrame:
    ob = out["observations"]
    wl = ob[(ob.indicator_id == "water_level") & ob.entity_id.notna()].copy()
    wl["warn"] = wl.entity_id.map({k: v["warning_level_m"] for k, v in props.items()})
    wl["period"] = _period(wl["ts"], windows)
    return wl


def _period(ts: pd.Series, windows: pd.DataFrame) -> np.ndarray:
    conds = [(ts >= w.window_start) & (ts <= w.window_end) for w in windows.itertuples()]
    return np.select(conds, list(windows["intl_no"]), "calm")


def _station_series(out, entity_id: str, indicator: str) -> pd.Series:
    ob = out["observations"]
    s = ob[(ob.entity_id == entity_id) & (ob.indicator_id == indicator)]
    return s.set_index("ts")["value"].sort_index()


def test_manifest_loads_and_declares_every_indicator(out):
    m = load_manifest(FOLDER / "manifest.yaml")
    assert m.simulated == "partly" and m.depends_on == ["boundaries"]
    assert set(TOP_REGIONS) <= set(m.regions)
    declared = {i.id for i in m.indicators}
    assert set(out["observations"]["indicator_id"]) == declared
    assert all(i.frequency == "1h" for i in m.indicators)


def test_columns_counts_and_flags(out):
    ob, ent = out["observations"], out["entities"]
    assert list(ob.columns) == tables.column_names("observations")
    assert list(ent.columns) == tables.column_names("entities")
    assert len(ent) == 29 and set(ent["kind"]) == {"reservoir", "river_station", "tide_station"}
    assert 150_000 < len(ob) < 1_000_000
    assert ob["simulated"].all() and not ent["simulated"].any()
    assert (ob["quality"] == "good").all() and np.isfinite(ob["value"]).all()
    assert ob.duplicated(["indicator_id", "region_code", "entity_id", "ts"]).sum() == 0
    assert ob.loc[ob.entity_id.isna(), "indicator_id"].isin(REGION_KPIS).all()


def test_five_regions_covered(out):
    ob, ent = out["observations"], out["entities"]
    assert set(ent["region_code"]) == set(TOP_REGIONS)
    for code in TOP_REGIONS:
        kpi = ob[(ob.region_code == code) & ob.entity_id.isna()]
        assert {"stations_over_warning", "max_rainfall_24h", "rainfall_1h"} <= set(kpi["indicator_id"]), code
    # Lixin (inland plain) has no reservoir, so no storage KPI; the others have one.
    with_storage = set(ob.loc[(ob.indicator_id == "reservoir_storage_rate") & ob.entity_id.isna(), "region_code"])
    assert with_storage == set(TOP_REGIONS) - {"341623"}


def test_periods(out, windows):
    ob = out["observations"]
    ts = ob.loc[ob.region_code == "330225", "ts"].drop_duplicates().sort_values()
    assert ts.max() == pd.Timestamp(ANCHOR) and ts.min() == windows["window_start"].min()
    live = ts[ts > pd.Timestamp(ANCHOR) - pd.Timedelta(days=60)]
    assert len(live) == 60 * 24 and (live.diff().dropna() == pd.Timedelta(hours=1)).all()
    for w in windows.itertuples():
        inside = ts[(ts >= w.window_start) & (ts <= w.window_end)]
        assert len(inside) == 7 * 24 + 1, w.intl_no


def test_stations_on_land_and_tide_stations_at_the_coast(root, out, props):
    regions = all_regions(root)
    ent = out["entities"]
    for r in ent.itertuples():
        p = shapely.Point(r.lon, r.lat)
        assert props[r.entity_id]["in_region"], r.entity_id  # places outside every region are not loaded
        land = regions[r.region_code]
        assert land.contains(p), r.entity_id
        edge_km = land.boundary.distance(p) * 111.0
        if r.kind == "tide_station":
            assert edge_km <= 1.0, r.entity_id
        elif r.kind == "reservoir":
            assert edge_km >= 0.3, r.entity_id


def all_regions(root: Path) -> dict[str, shapely.Geometry]:
    reg = run_loaders(["boundaries"], Settings(sim_anchor=ANCHOR, datasets_dir=root))["boundaries"]["regions"]
    return {c: shapely.from_wkb(g) for c, g in zip(reg["region_code"], reg["geometry"])}


def test_thresholds_are_ordered(props):
    for sid, p in props.items():
        assert p["warning_level_m"] < p["guarantee_level_m"], sid
        if sid.startswith("WS-") and p["dead_level_m"] is not None:  # reservoirs: dead < flood limit < normal pool
            assert p["dead_level_m"] < p["warning_level_m"] < p["normal_level_m"] < p["guarantee_level_m"], sid
            assert p["normal_storage_10k_m3"] <= p["total_capacity_10k_m3"], sid


def test_levels_cross_warning_during_typhoons(levels):
    ty = levels[levels.period != "calm"]
    over = ty[ty.value > ty.warn]
    assert over["entity_id"].nunique() >= 10
    assert set(over["period"]) == {"1509", "1909", "2106", "2212"}
    tide = over[over.entity_id.isin(["WS-330900-05", "WS-330225-05", "WS-330900-06"])]
    assert len(tide) > 0  # storm surge pushes some tide station over its warning tide level


def test_typhoon_rain_is_heavy_and_falls_off_with_distance(out, windows):
    ob = out["observations"]
    rain = ob[(ob.indicator_id == "rainfall_1h") & ob.entity_id.notna()].copy()
    rain["period"] = _period(rain["ts"], windows)
    calm = rain[rain.period == "calm"]
    calm_median = calm.loc[calm.value >= 0.1, "value"].median()
    peak = rain[rain.period != "calm"].groupby("period")["value"].max()
    assert (peak > 5 * calm_median).all() and peak.between(20, 85).all()
    # Chan-hom landed in Zhoushan and never came within 600 km of Lixin.
    chanhom = rain[rain.period == "1509"].groupby("region_code")["value"].sum() / \
        rain[rain.period == "1509"].groupby("region_code")["entity_id"].nunique()
    assert chanhom["330900"] > 4 * chanhom["341623"]
    # In-Fa crossed Anhui: Lixin gets far more rain in In-Fa's window than in Chan-hom's.
    lixin = rain[rain.region_code == "341623"].groupby("period")["value"].sum()
    assert lixin["2106"] > 4 * lixin["1509"]
    m24 = ob[(ob.indicator_id == "max_rainfall_24h") & (ob.region_code == "330900")]
    assert m24.loc[_period(m24["ts"], windows) == "2106", "value"].max() > 100  # 大暴雨 in the In-Fa window


def _hydro():
    spec = importlib.util.spec_from_file_location("water_hydro_under_test", FOLDER / "hydro.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is created
    spec.loader.exec_module(mod)
    return mod


def test_unit_hydrograph_lags():
    hydro = _hydro()
    kinds = np.array(["river_station", "river_station", "reservoir"])
    lags = hydro.lag_hours(kinds, np.array([150.0, 25000.0, 30.0]))
    assert 5 <= lags[0] <= 12 and 36 <= lags[1] <= 48 and 18 <= lags[2] <= 30
    pulse = np.zeros((200, 3))
    pulse[10] = 50.0
    eff = hydro.effective_rain(pulse, lags)
    assert np.abs(eff.argmax(axis=0) - 10 - lags).max() <= 1.0
    assert (eff[:11] == 0).all()  # causal: nothing before the rain


def test_rivers_respond_in_hours_reservoirs_in_about_a_day(out):
    """Lag of the rain -> level cross-correlation over the whole simulated record."""
    lag = {}
    for sid in ("WS-370215-05", "WS-370215-02"):  # Moshui river (150 km²), Wangquan reservoir
        r = _station_series(out, sid, "rainfall_1h").to_numpy()
        lv = _station_series(out, sid, "water_level").to_numpy()
        r, lv = r - r.mean(), lv - lv.mean()
        lag[sid] = int(np.argmax([np.dot(r[: len(r) - k], lv[k:]) for k in range(120)]))
    assert 3 <= lag["WS-370215-05"] <= 18
    assert 15 <= lag["WS-370215-02"] <= 40


def test_tide_is_semidiurnal_m2(out):
    level = _station_series(out, "WS-330225-05", "water_level")
    live = level[level.index > pd.Timestamp(ANCHOR) - pd.Timedelta(days=60)].to_numpy()
    x = live - live.mean()
    power = np.abs(np.fft.rfft(x)) ** 2
    freq = np.fft.rfftfreq(len(x), d=1.0)
    period = 1.0 / freq[1:][np.argmax(power[1:])]
    assert 12.3 <= period <= 12.5
    lag = np.arange(6, 19)  # first autocorrelation maximum after half a tide
    ac = np.array([np.corrcoef(x[:-k], x[k:])[0, 1] for k in lag])
    assert lag[np.argmax(ac)] in (12, 13) and ac.max() > 0.7


def test_storage_follows_levels(out, props):
    ob = out["observations"]
    st = ob[(ob.indicator_id == "reservoir_storage") & ob.entity_id.notna()]
    cap = st.entity_id.map({k: v["total_capacity_10k_m3"] for k, v in props.items()})
    assert (st.value >= 0).all() and (st.value <= cap + 1e-6).all()
    sid = "WS-330900-01"
    lvl, sto = _station_series(out, sid, "water_level"), _station_series(out, sid, "reservoir_storage")
    assert np.corrcoef(lvl.loc[sto.index], sto)[0, 1] > 0.95
    rate = ob[(ob.indicator_id == "reservoir_storage_rate") & ob.entity_id.isna()]
    assert rate.value.between(10, 150).all()


def test_most_stations_normal_at_the_anchor(out, props):
    ob = out["observations"]
    now = ob[ob.ts == pd.Timestamp(ANCHOR)]
    wl = now[(now.indicator_id == "water_level") & now.entity_id.notna()]
    over = wl.value.to_numpy() > wl.entity_id.map({k: v["warning_level_m"] for k, v in props.items()}).to_numpy()
    inreg = wl.entity_id.map({k: v["in_region"] for k, v in props.items()}).to_numpy(dtype=bool)
    assert 3 <= over.sum() <= 10 and over.sum() < 0.35 * len(wl)
    kpi = now[now.indicator_id == "stations_over_warning"].set_index("region_code")["value"]
    assert kpi.between(0, 3).all() and set(kpi.index) == set(TOP_REGIONS)
    # mid-July is every region's flood season: where a region has river stations, one or two are in warning
    rivers = set(out["entities"].loc[out["entities"].kind == "river_station", "region_code"])
    assert rivers == {"370215", "341623", "210800"}
    assert kpi.reindex(sorted(rivers)).between(1, 3).all()
    recount = pd.Series(over & inreg).groupby(wl.region_code.to_numpy()).sum()
    assert (recount.reindex(kpi.index) == kpi).all()


def test_windows_and_tracks_match_the_typhoon_dataset(all_out):
    tr = all_out["typhoon"]["tracks"]
    ent = all_out["typhoon"]["entities"]
    win = pd.read_csv(FOLDER / "data" / "typhoon_windows.csv", dtype={"intl_no": str})
    landfall = {json.loads(p)["intl_no"]: json.loads(p)["landfall_time"] for p in ent["properties"]}
    for w in win.itertuples():
        assert w.landfall_time_cst == landfall[w.intl_no]
        lf = pd.Timestamp(w.landfall_time_cst).floor("h")
        assert pd.Timestamp(w.window_start) == lf - pd.Timedelta(days=3)
        assert pd.Timestamp(w.window_end) == lf + pd.Timedelta(days=4)
    pts = pd.read_csv(FOLDER / "data" / "typhoon_track_points.csv", parse_dates=["ts_cst"])
    merged = pts.merge(tr, left_on=["track_id", "ts_cst"], right_on=["track_id", "ts"], how="left")
    assert merged["ts"].notna().all()
    assert np.allclose(merged["lon_x"], merged["lon_y"]) and np.allclose(merged["lat_x"], merged["lat_y"])


def _digest(frames: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(frames):
        f = frames[name].drop(columns=["geometry"], errors="ignore")
        h.update(pd.util.hash_pandas_object(f, index=False).to_numpy().tobytes())
    return h.hexdigest()


def test_deterministic_for_seed_and_anchor(out, root):
    again = _run(root)["water"]
    assert _digest(out) == _digest(again)
    other = _run(root, seed=7)["water"]
    assert _digest(out) != _digest(other)
    assert out["entities"].equals(other["entities"])  # places are real, only the series change
