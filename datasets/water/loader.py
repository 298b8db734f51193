"""Loader of the water dataset (智慧水利/防汛防台): real stations, simulated hourly series.

Stations (reservoirs, river and tide stations) are hand-curated real places (``data/stations.csv``);
each is checked against its region's land polygon. Hourly series (water level, rainfall, reservoir
storage and storage rate) are simulated by ``hydro.py`` for three kinds of period per region:
the 60 days ending at ``ctx.anchor``; each real typhoon passage (landfall −3 d … +4 d, times and tracks
copied from the typhoon dataset into ``data/typhoon_windows.csv`` / ``data/typhoon_track_points.csv``);
and, for the Zhejiang regions, the most recent completed plum-rain season (15 Jun – 15 Jul).
Region-level KPIs are emitted with ``entity_id = None``. When the anchor falls in the region's flood
season, one or two river stations (reservoirs where a region has no river station) get a local
downpour sized by the region's monthly climate, rivers end above warning; the others are kept below
it, so that live dashboards have something to show. Outside the flood season nothing is forced.
Reservoir storage changes no faster than its inflow allows (``hydro.limit_storage``). The six Ningbo
reference reservoirs (``data/ningbo_reference_reservoirs.csv``) lie outside every region and are
only checked, never loaded.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.regions import TOP_REGIONS

from . import hydro


STATIONS = "data/stations.csv"
REFERENCE = "data/ningbo_reference_reservoirs.csv"
WINDOWS = "data/typhoon_windows.csv"
TRACK_POINTS = "data/typhoon_track_points.csv"
SPIN_UP = pd.Timedelta(days=14)
HOUR = pd.Timedelta(hours=1)
TIDE_COAST_KM = 1.0
LEVEL_NAMES = {  # (warning, guarantee) level names per kind
    "reservoir": ("汛限水位", "设计洪水位"),
    "river_station": ("警戒水位", "保证水位"),
    "tide_station": ("警戒潮位", "保证潮位"),
}


def check_placement(ctx: LoadContext, st: pd.DataFrame) -> None:
    """In-region stations on their region's land; tide stations within 1 km of the land edge."""
    for i, r in enumerate(st.itertuples(), start=2):
        if not r.in_region:
            continue
        land = ctx.land(r.region_code)
        p = shapely.Point(r.lon, r.lat)
        edge_km = land.boundary.distance(p) * 111.0
        if not land.contains(p):
            raise DataError(f"station {r.station_id} lies outside the land of {r.region_code}",
                            dataset=ctx.name, file=STATIONS, row=i, field="lon")
        if r.kind == "tide_station" and edge_km > TIDE_COAST_KM:
            raise DataError(f"tide station {r.station_id} is {edge_km:.1f} km from the coast",
                            dataset=ctx.name, file=STATIONS, row=i, field="lon")


def check_reference(ctx: LoadContext, ref: pd.DataFrame) -> None:
    """The reference reservoirs lie outside every region (a place inside one belongs in STATIONS)."""
    for i, r in enumerate(ref.itertuples(), start=2):
        p = shapely.Point(r.lon, r.lat)
        for code in TOP_REGIONS:
            if ctx.land(code).contains(p):
                raise DataError(f"reference reservoir {r.station_id} lies in region {code}: list it in {STATIONS}",
                                dataset=ctx.name, file=REFERENCE, row=i, field="lon")


def _num(v) -> float | None:
    return None if pd.isna(v) else float(v)


def station_entities(st: pd.DataFrame, classification: str) -> pd.DataFrame:
    """One ``entities`` row per station; thresholds and characteristics in ``properties``."""
    rows = []
    for r in st.itertuples():
        warn_name, guar_name = LEVEL_NAMES[r.kind]
        props = {
            "water_body_zh": r.water_body_zh, "water_body_en": r.water_body_en,
            "normal_level_m": _num(r.normal_level_m), "warning_level_m": _num(r.warning_level_m),
            "guarantee_level_m": _num(r.guarantee_level_m), "dead_level_m": _num(r.dead_level_m),
            "warning_name_zh": warn_name, "guarantee_name_zh": guar_name,
            "normal_storage_10k_m3": _num(r.normal_storage_10k_m3),
            "total_capacity_10k_m3": _num(r.total_capacity_10k_m3), "catchment_km2": _num(r.catchment_km2),
            "mean_tidal_range_m": _num(r.mean_tidal_range_m), "datum": "1985国家高程基准（示意）",
            "in_region": bool(r.in_region), "position_quality": r.position_quality,
            "values_quality": r.values_quality, "source": r.source, "series_simulated": True,
        }
        rows.append({
            "entity_id": r.station_id, "kind": r.kind, "name_zh": r.name_zh, "name_en": r.name_en,
            "region_code": r.region_code, "lon": float(r.lon), "lat": float(r.lat),
            "geometry": shapely.to_wkb(shapely.Point(r.lon, r.lat)),
            "properties": json.dumps(props, ensure_ascii=False, sort_keys=True),
            "classification": classification, "simulated": False,
        })
    return pd.DataFrame(rows)


def periods(region: str, anchor_h: pd.Timestamp, windows: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Merged hourly intervals [start, end] simulated for a region (none after the anchor)."""
    iv = [(anchor_h - pd.Timedelta(days=60) + HOUR, anchor_h)]
    for w in windows.itertuples():
        if w.window_start <= anchor_h:
            iv.append((pd.Timestamp(w.window_start), min(pd.Timestamp(w.window_end), anchor_h)))
    if hydro.CLIMATES[region].plum:
        (m0, d0), (m1, d1) = hydro.PLUM
        year = anchor_h.year if anchor_h >= pd.Timestamp(anchor_h.year, m1, d1) else anchor_h.year - 1
        iv.append((pd.Timestamp(year, m0, d0), pd.Timestamp(year, m1, d1) - HOUR))
    iv.sort()
    merged = [iv[0]]
    for a, b in iv[1:]:
        if a <= merged[-1][1] + HOUR:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def station_params(st: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-station generator constants (drawn once per build from the 'stations' stream)."""
    n = len(st)
    return {
        "s_warn": rng.uniform(150.0, 220.0, n),
        "lag": hydro.lag_hours(st["kind"].to_numpy(), st["catchment_km2"].to_numpy(dtype="float64")),
        "phases": rng.uniform(0, 2 * np.pi, (len(hydro.TIDES), n)),
        "surge_max": rng.uniform(0.9, 1.8, n),
        "draw": rng.uniform(0.4, 1.5, n),
        "noise": rng.uniform(0.004, 0.012, n),
    }


def _col(st: pd.DataFrame, name: str) -> np.ndarray:
    return st[name].to_numpy(dtype="float64", na_value=np.nan)


def simulate(ctx: LoadContext, region: str, st: pd.DataFrame, par: dict[str, np.ndarray],
             tracks: dict[str, pd.DataFrame], t0: pd.Timestamp, t1: pd.Timestamp,
             anchor_h: pd.Timestamp, storm_now: bool = False) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """Hourly arrays (hours × stations) of one region over one period [t0, t1].

    In the period that ends at the anchor, one or two stations are put above warning; the others are
    kept below it unless ``storm_now`` (the anchor falls in or just after a real typhoon window).
    """
    clim = hydro.CLIMATES[region]
    ts = pd.date_range(t0 - SPIN_UP, t1, freq="h").astype("datetime64[us]")
    n = len(st)
    kind = st["kind"].to_numpy()
    lon, lat = _col(st, "lon"), _col(st, "lat")
    normal, warn, guar = _col(st, "normal_level_m"), _col(st, "warning_level_m"), _col(st, "guarantee_level_m")
    rng = ctx.rng(f"rain:{region}:{t0:%Y%m%d%H}")
    rain = hydro.background_rain(ts, clim, n, rng)
    surge = np.zeros((len(ts), n))
    for tid, pts in tracks.items():
        if pts["ts"].max() < ts[0] or pts["ts"].min() > ts[-1]:
            continue
        r, s, _ = hydro.storm_fields(ts, pts, lon, lat, ctx.rng(f"typhoon:{region}:{tid}"))
        rain += r
        surge = np.maximum(surge, s)
    live = t1 == anchor_h
    forced = np.zeros(n, dtype=bool)
    arng = ctx.rng(f"anchor:{region}")
    season = storm_now or bool(hydro.flood_season_mask(pd.DatetimeIndex([anchor_h]), clim)[0])
    if live and season:  # in the flood season: one or two stations in warning after a local downpour
        inreg = st["in_region"].to_numpy(dtype=bool)
        cand = np.flatnonzero(inreg & (kind == "river_station"))
        if not len(cand):
            cand = np.flatnonzero(inreg & (kind == "reservoir"))
        forced[arng.choice(cand, size=min(len(cand), 1 + int(arng.random() < 0.5)), replace=False)] = True
        month_mm = clim.monthly_mm[anchor_h.month - 1]
        for s in np.flatnonzero(forced):
            start = len(ts) - 1 - int(arng.integers(12, 22))
            depth = min(arng.uniform(*hydro.DOWNPOUR_FRAC) * month_mm, hydro.DOWNPOUR_MAX_MM)
            shape = np.sin(np.pi * (np.arange(8) + 0.5) / 8)
            rain[start:start + 8, s] += depth * shape / shape.sum()
    rain = np.round(np.clip(rain, 0.0, None), 1)
    eff = hydro.effective_rain(rain, par["lag"])
    wet = hydro.wetness(ts, clim)[:, None]
    noise = ctx.rng(f"noise:{region}:{t0:%Y%m%d%H}").normal(0.0, 1.0, (len(ts), n)) * par["noise"][None, :]
    level = np.zeros((len(ts), n))
    res, riv, tide = kind == "reservoir", kind == "river_station", kind == "tide_station"
    if res.any():
        draw = np.minimum(par["draw"][res], 0.25 * (warn - _col(st, "dead_level_m"))[res])
        base = warn[res][None, :] - draw[None, :] * (1.0 + 0.8 * (1.0 - wet))
        span = warn[res][None, :] - base + 0.05 * (guar - warn)[res][None, :]
        level[:, res] = base + span * (np.maximum(eff[:, res], 0) / par["s_warn"][res][None, :]) ** 0.75
    if riv.any():
        span = (warn - normal)[riv] * 1.05
        base = normal[riv][None, :] - 0.15 * span[None, :] * (1.0 - wet)
        level[:, riv] = base + hydro.rise(eff[:, riv], par["s_warn"][riv], span)
    tidal = tide | (riv & ~np.isnan(_col(st, "mean_tidal_range_m")))
    if tidal.any():
        amp = np.nan_to_num(_col(st, "mean_tidal_range_m"))[tidal] / 2.0
        doy = ts.day_of_year.to_numpy()[:, None]
        season = 0.12 * np.cos(2 * np.pi * (doy - 250) / 365.25)
        sea = hydro.astronomical_tide(ts, amp, par["phases"][:, tidal]) + season
        sea = sea + surge[:, tidal] * par["surge_max"][tidal][None, :]
        level[:, tidal] += np.where(tide[tidal], normal[tidal], 0.0)[None, :] + sea
    level = hydro.soft_cap(level + noise, guar)
    if live:
        bump = hydro.anchor_bump(ts, np.datetime64(anchor_h.to_datetime64(), "us"))[:, None]
        now = level[-1]
        target = np.where(forced & (kind != "reservoir"), warn + arng.uniform(0.1, 0.4, n) * (guar - warn),
                          np.minimum(now, warn - 0.15 * np.abs(guar - warn)))
        lower = 0.0 if storm_now else np.minimum(target - now, 0.0)
        delta = np.where(forced & (kind != "reservoir"), np.maximum(target - now, 0.0),
                         np.where(forced, 0.0, lower))
        level = level + bump * delta[None, :]
    out = {"level": np.round(level, 2), "rain": rain,
           "rain24": hydro.rolling_sum(rain, 24)}
    if res.any():
        dead, nstor = _col(st, "dead_level_m")[res], _col(st, "normal_storage_10k_m3")[res]
        raw = hydro.storage(level[:, res], dead, normal[res], nstor, _col(st, "total_capacity_10k_m3")[res])
        stor = hydro.limit_storage(raw, rain[:, res], _col(st, "catchment_km2")[res], nstor, par["lag"][res])
        bound = np.abs(stor - raw) > 1e-9  # where the inflow bounds it, the level follows the storage
        lev = level[:, res]
        lev[bound] = hydro.level_of_storage(stor, dead, normal[res], nstor)[bound]
        level[:, res] = lev
        out["level"] = np.round(level, 2)
        out["storage"] = stor
    keep = ts >= t0
    return ts[keep], {k: v[keep] for k, v in out.items()}


def _long(indicator: str, region: str, ts: pd.DatetimeIndex, values: np.ndarray,
          ids: np.ndarray | None) -> pd.DataFrame:
    n = 1 if ids is None else len(ids)
    return pd.DataFrame({
        "indicator_id": indicator, "region_code": region,
        "entity_id": None if ids is None else np.tile(ids, len(ts)),
        "ts": np.repeat(ts.to_numpy(), n), "value": np.asarray(values, dtype="float64").ravel(),
        "quality": "good", "simulated": True,
    })


def region_frames(region: str, st: pd.DataFrame, ts: pd.DatetimeIndex,
                  a: dict[str, np.ndarray]) -> list[pd.DataFrame]:
    """Long observation frames of one region and period: stations and region-level KPIs."""
    ids = st["station_id"].to_numpy(dtype=object)
    res = (st["kind"] == "reservoir").to_numpy()
    inreg = st["in_region"].to_numpy(dtype=bool)
    warn = _col(st, "warning_level_m")
    norm_stor = _col(st, "normal_storage_10k_m3")[res]
    frames = [_long("water_level", region, ts, a["level"], ids),
              _long("rainfall_1h", region, ts, a["rain"], ids)]
    if res.any():
        frames.append(_long("reservoir_storage", region, ts, np.round(a["storage"], 1), ids[res]))
        frames.append(_long("reservoir_storage_rate", region, ts,
                            np.round(a["storage"] / norm_stor[None, :] * 100.0, 1), ids[res]))
        rres = inreg[res]
        if rres.any():
            rate = a["storage"][:, rres].sum(axis=1) / norm_stor[rres].sum() * 100.0
            frames.append(_long("reservoir_storage_rate", region, ts, np.round(rate, 1), None))
    over = (a["level"][:, inreg] > warn[inreg][None, :]).sum(axis=1)
    frames.append(_long("stations_over_warning", region, ts, over, None))
    frames.append(_long("max_rainfall_24h", region, ts, np.round(a["rain24"][:, inreg].max(axis=1), 1), None))
    frames.append(_long("rainfall_1h", region, ts, np.round(a["rain"][:, inreg].mean(axis=1), 1), None))
    return frames


def load(ctx: LoadContext) -> None:
    st = ctx.read(STATIONS)
    windows = ctx.read(WINDOWS)
    pts = ctx.read(TRACK_POINTS).rename(columns={"ts_cst": "ts"})
    check_placement(ctx, st)
    check_reference(ctx, ctx.read(REFERENCE))
    ctx.emit("entities", station_entities(st, ctx.manifest.classification))
    tracks = {tid: g.sort_values("ts").reset_index(drop=True) for tid, g in pts.groupby("track_id", sort=True)}
    par_all = station_params(st, ctx.rng("stations"))
    anchor_h = pd.Timestamp(ctx.anchor).floor("h")
    storm_now = bool(((windows["window_start"] <= anchor_h)
                      & (anchor_h <= windows["window_end"] + pd.Timedelta(days=3))).any())
    frames: list[pd.DataFrame] = []
    for region in TOP_REGIONS:
        sel = (st["region_code"] == region).to_numpy()
        if not sel.any():
            continue
        sub = st.loc[sel].reset_index(drop=True)
        par = {k: (v[:, sel] if v.ndim == 2 else v[sel]) for k, v in par_all.items()}
        for t0, t1 in periods(region, anchor_h, windows):
            ts, arrays = simulate(ctx, region, sub, par, tracks, t0, t1, anchor_h, storm_now)
            frames.extend(region_frames(region, sub, ts, arrays))
    ctx.emit("observations", pd.concat(frames, ignore_index=True))
