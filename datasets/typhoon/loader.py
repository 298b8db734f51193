"""Loader of the typhoon best tracks: JMA and CMA positions -> ``tracks``; one ``entities`` row per storm.

Real data, nothing simulated. Source times are UTC; the strict CSV reader turns ISO 8601 times with
a ``Z`` into China Standard Time (naive), which is what the store keeps. JMA winds are 10-minute
means in knots (converted to m/s; 0 kt means "not given" and becomes null), CMA winds are 2-minute
means in m/s (kept). Every position is kept, including those far out in the Western Pacific.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.geo import haversine_m
from citybrain.regions import TOP_REGIONS
from citybrain.typhoon.radii import RadiiError, parse_line

KT_TO_MS = 0.514444
#: A storm "affects" a region when its track comes within this distance of the region's box.
AFFECT_KM = 300.0

JMA_FILE = "data/jma_besttrack_chanhom1509_lekima1909_infa2106.csv"
CMA_FILES = (
    "data/cma_lekima_1909_from_WingWR_Typhone_CH2019BST_pinn_dataset.csv",
    "data/cma_infa_2106_PARTIAL_from_t60h_WingWR_Typhone_CH2021BST_pinn_dataset.csv",
    "data/cma_muifa_2212_from_WingWR_Typhone_CH2022BST_pinn_dataset.csv",
)
JMA_SOURCE = "JMA RSMC Tokyo best track"
CMA_SOURCE = "CMA/STI best track (via WingWR/Typhone)"
JMA_GRADES = {2: "TD", 3: "TS", 4: "STS", 5: "TY", 6: "ET", 7: "LOW", 9: "TS+"}
#: GB/T 19201-2006 lower bounds (m/s, 2-minute wind) of the CMA grades.
CMA_GRADE_BOUNDS = [(51.0, "SuperTY"), (41.5, "STY"), (32.7, "TY"), (24.5, "STS"), (17.2, "TS"), (10.8, "TD")]


def cma_grade(wind_ms: np.ndarray) -> np.ndarray:
    """GB/T 19201 grade of 2-minute winds (m/s); below 10.8 m/s gives 'LO'."""
    w = np.asarray(wind_ms, dtype="float64")
    out = np.full(w.shape, "LO", dtype=object)
    for bound, label in reversed(CMA_GRADE_BOUNDS):
        out[w >= bound] = label
    return out


def jma_grade(codes: np.ndarray) -> np.ndarray:
    """JMA grade code -> label (TD/TS/STS/TY/ET...)."""
    return np.array([JMA_GRADES[int(c)] for c in codes], dtype=object)


def _motion(lon: np.ndarray, lat: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Translation speed (kn) and heading (deg from north) from each previous position."""
    speed = np.full(len(lon), np.nan)
    heading = np.full(len(lon), np.nan)
    if len(lon) > 1:
        dist = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        hours = np.diff(ts).astype("timedelta64[s]").astype("float64") / 3600.0
        speed[1:] = dist / 1852.0 / np.where(hours > 0, hours, np.nan)
        p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
        dl = np.radians(lon[1:] - lon[:-1])
        y = np.sin(dl) * np.cos(p2)
        x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
        heading[1:] = (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0
    return speed, heading


def _track_frame(track_id: str, region: str, source: str, ts: pd.Series, lon: pd.Series, lat: pd.Series,
                 wind_ms: np.ndarray, pres: pd.Series, grade: np.ndarray) -> pd.DataFrame:
    order = np.argsort(ts.to_numpy(), kind="stable")
    ts_a = ts.to_numpy()[order].astype("datetime64[us]")
    lon_a = lon.to_numpy(dtype="float64")[order]
    lat_a = lat.to_numpy(dtype="float64")[order]
    speed, heading = _motion(lon_a, lat_a, ts_a)
    frame = pd.DataFrame({
        "track_id": track_id, "kind": "typhoon", "region_code": region, "ts": ts_a,
        "lon": lon_a, "lat": lat_a, "status": "best_track",
        "speed_kn": speed.astype("float32"), "heading_deg": heading.astype("float32"),
        "wind_ms": np.asarray(wind_ms, dtype="float64")[order].astype("float32"),
        "pressure_hpa": pres.to_numpy(dtype="float64")[order].astype("float32"),
        "grade": np.asarray(grade, dtype=object)[order], "source": source, "simulated": False,
    })
    return frame


def jma_radii(ctx: LoadContext, jma: pd.DataFrame) -> dict[str, list[list]]:
    """Per JMA track id, the wind radii of each fix that gives them, read from the raw ``bst_all``
    line (``citybrain.typhoon.radii``): ``[ts (CST, ISO), [dir, long nm, short nm] for 50 kt, the same
    for 30 kt]``. Fixes whose line stops before column 42 (no radii) are left out."""
    out: dict[str, list[list]] = {}
    for row, r in enumerate(jma.itertuples(index=False), start=2):
        try:
            radii = parse_line(str(r.raw_line))
        except RadiiError as e:
            raise DataError(str(e), dataset=ctx.name, file=JMA_FILE, row=row, field=f"raw_line ({e.field})") from None
        if radii is None:
            continue
        out.setdefault(f"JMA-{r.intl_no}", []).append(
            [pd.Timestamp(r.time_utc).isoformat(), radii[50].as_list(), radii[30].as_list()])
    for fixes in out.values():
        fixes.sort(key=lambda f: f[0])
    return out


def read_tracks(ctx: LoadContext, storms: pd.DataFrame) -> pd.DataFrame:
    """All best-track positions of both agencies as ``tracks`` rows (CST, m/s)."""
    region_of = dict(zip(storms["intl_no"], storms["region_code"]))
    frames = []
    jma = ctx.read(JMA_FILE)
    for intl, g in jma.groupby("intl_no", sort=True):
        if intl not in region_of:
            raise DataError(f"storm {intl} has no row in data/storms.csv", dataset=ctx.name, file=JMA_FILE)
        kt = g["wind_kt_10min"].to_numpy(dtype="float64")
        wind = np.where(kt > 0, kt * KT_TO_MS, np.nan)
        frames.append(_track_frame(f"JMA-{intl}", region_of[intl], JMA_SOURCE, g["time_utc"], g["lon"],
                                   g["lat"], wind, g["pres_hpa"], jma_grade(g["grade"].to_numpy())))
    by_name = {(r.name_en, int(r.year)): r for r in storms.itertuples()}
    for path in CMA_FILES:
        cma = ctx.read(path)
        for (sid, name), g in cma.groupby(["storm_id", "storm_name"], sort=True):
            year = int(g["timestamp"].dt.year.min())
            meta = by_name.get((name, year))
            if meta is None or (isinstance(meta.cma_storm_id, str) and meta.cma_storm_id != sid):
                raise DataError(f"CMA storm {sid} {name} ({year}) matches no row of data/storms.csv",
                                dataset=ctx.name, file=path, field="storm_id")
            wind = g["wind_speed"].to_numpy(dtype="float64")
            frames.append(_track_frame(f"CMA-{meta.intl_no}", meta.region_code, CMA_SOURCE, g["timestamp"],
                                       g["lng"], g["lat"], wind, g["pressure"], cma_grade(wind)))
    return pd.concat(frames, ignore_index=True)


def _closest(track: pd.DataFrame, boxes: dict[str, tuple[float, float, float, float]]) -> dict[str, dict]:
    """Closest approach (km, CST time) of a track to each top region's bounding box."""
    out = {}
    lon, lat = track["lon"].to_numpy(), track["lat"].to_numpy()
    for code in TOP_REGIONS:
        if code not in boxes:
            continue
        x0, y0, x1, y1 = boxes[code]
        d = haversine_m(lon, lat, np.clip(lon, x0, x1), np.clip(lat, y0, y1)) / 1000.0
        i = int(np.argmin(d))
        out[code] = {"km": round(float(d[i]), 1), "ts": pd.Timestamp(track["ts"].iloc[i]).isoformat()}
    return out


def _summary(track: pd.DataFrame) -> dict:
    """Peak intensity and time span of one agency's track."""
    wind = track["wind_ms"]
    return {"max_wind_ms": None if wind.isna().all() else round(float(wind.max()), 1),
            "min_pressure_hpa": float(track["pressure_hpa"].min()),
            "first_ts": pd.Timestamp(track["ts"].min()).isoformat(),
            "last_ts": pd.Timestamp(track["ts"].max()).isoformat()}


def storm_entities(storms: pd.DataFrame, tracks: pd.DataFrame,
                   boxes: dict[str, tuple[float, float, float, float]],
                   classification: str = "public", radii: dict[str, list[list]] | None = None) -> pd.DataFrame:
    """One entity per storm: landfall point as lon/lat, the main track (JMA, else CMA) as geometry."""
    rows = []
    for s in storms.itertuples():
        ids = [t for t in (f"JMA-{s.intl_no}", f"CMA-{s.intl_no}") if (tracks["track_id"] == t).any()]
        main = tracks.loc[tracks["track_id"] == ids[0]]
        closest = _closest(tracks.loc[tracks["track_id"].isin(ids)], boxes)
        per_agency = {t: _summary(tracks.loc[tracks["track_id"] == t]) for t in ids}
        props = {
            "intl_no": s.intl_no, "name_zh": s.name_zh, "name_en": s.name_en, "year": int(s.year),
            "cma_storm_id": s.cma_storm_id if isinstance(s.cma_storm_id, str) else None,
            "landfall_time": pd.Timestamp(s.landfall_time_cst).isoformat(),
            "landfall_place_zh": s.landfall_place_zh, "landfall_place_en": s.landfall_place_en,
            "landfall_intensity_zh": s.landfall_intensity_zh, "landfall_wind_ms": float(s.landfall_wind_ms),
            "landfall_pressure_hpa": float(s.landfall_pressure_hpa),
            "other_landfalls_zh": s.other_landfalls_zh if isinstance(s.other_landfalls_zh, str) else None,
            "track_ids": ids, "geometry_track": ids[0], "tracks": per_agency, "closest_km": closest,
            "affected_regions": [c for c, v in closest.items() if v["km"] <= AFFECT_KM],
            "position_note": "lon/lat = approximate landfall place, not a track point", "note": s.note,
            # JMA 50-/30-kt radii per fix; CMA tracks carry none (the CMA files give no radii)
            "wind_radii": {t: (radii or {}).get(t, []) for t in ids},
        }
        line = shapely.LineString(np.column_stack([main["lon"], main["lat"]]))
        rows.append({
            "entity_id": f"typhoon-{s.intl_no}", "kind": "typhoon",
            "name_zh": f"{s.name_zh}（{s.intl_no}）", "name_en": f"{s.name_en.capitalize()} ({s.intl_no})",
            "region_code": s.region_code, "lon": float(s.landfall_lon), "lat": float(s.landfall_lat),
            "geometry": shapely.to_wkb(line),
            "properties": json.dumps(props, ensure_ascii=False, sort_keys=True),
            "classification": classification, "simulated": False,
        })
    return pd.DataFrame(rows)


def load(ctx: LoadContext) -> None:
    storms = ctx.read("data/storms.csv")
    tracks = read_tracks(ctx, storms)
    radii = jma_radii(ctx, ctx.read(JMA_FILE))
    ctx.emit("tracks", tracks)
    ctx.emit("entities", storm_entities(storms, tracks, ctx.region_boxes(), ctx.manifest.classification, radii))
