"""Who is in a storm's path: for every place of a region, the great-circle distance to the centre at
a time, whether it lies inside the 30-kt / 50-kt circle then, when the 30-kt circle first reaches
it, and its closest approach over the whole track.

The track is sampled every ``STEP`` (10 minutes; every fix time of JMA and CMA tracks is on that
grid), so "first reaches" and "closest approach" are accurate to 10 minutes of the interpolated
path (``citybrain.typhoon.circles``). One function; the API, the page and its export call it.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from citybrain.geo import haversine_m
from citybrain.typhoon.circles import StormPath

STEP = np.timedelta64(10, "m")
COLUMNS = ("kind", "entity_id", "name_zh", "name_en", "lon", "lat", "distance_km", "in_30kt", "in_50kt",
           "arrival_30kt", "closest_km", "closest_time")


def samples(path: StormPath) -> np.ndarray:
    """The sampling times of a track: every ``STEP`` from its first fix to its last."""
    t0, t1 = path.ts[0].astype("datetime64[us]"), path.ts[-1].astype("datetime64[us]")
    return np.arange(t0, t1 + np.timedelta64(1, "us"), STEP.astype("timedelta64[us]"))


def along_track(path: StormPath, places: pd.DataFrame) -> pd.DataFrame:
    """What does not depend on the moment: per place, the 30-kt circle's first arrival (NaT when it
    never reaches it or without radii) and the closest approach (km, time) over the whole track."""
    lon = places["lon"].to_numpy("float64")
    lat = places["lat"].to_numpy("float64")
    ts = samples(path)
    n = len(lon)
    if n == 0:
        return pd.DataFrame({"arrival_30kt": pd.Series([], dtype="datetime64[us]"), "closest_km": [],
                             "closest_time": pd.Series([], dtype="datetime64[us]")})
    slon, slat, _ = path.centre(ts)
    d_all = haversine_m(slon[:, None], slat[:, None], lon[None, :], lat[None, :]) / 1000.0
    k = np.argmin(d_all, axis=0)
    arrival = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if path.has_radii:
        inside30 = path.inside(ts, 30, lon, lat)
        hit = inside30.any(axis=0)
        arrival = np.where(hit, ts[np.argmax(inside30, axis=0)], np.datetime64("NaT"))
    return pd.DataFrame({"arrival_30kt": pd.to_datetime(np.asarray(arrival, dtype="datetime64[us]")),
                         "closest_km": np.round(d_all[k, np.arange(n)], 1),
                         "closest_time": pd.to_datetime(np.asarray(ts[k], dtype="datetime64[us]"))})


def exposure(path: StormPath, places: pd.DataFrame, at: datetime, along: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per place (``COLUMNS``), sorted by the 30-kt circle's arrival (never reached last),
    then by closest approach. ``distance_km`` and the inside flags are null when ``at`` lies outside
    the track; the inside flags and the arrival are null when the agency gives no radii. ``along``:
    ``along_track(path, places)`` when the caller has it already (it does not depend on ``at``)."""
    lon = places["lon"].to_numpy("float64")
    lat = places["lat"].to_numpy("float64")
    tt = np.array([np.datetime64(pd.Timestamp(at).to_datetime64(), "us")])
    clon, clat, ok = path.centre(tt)
    dist = haversine_m(clon[0], clat[0], lon, lat) / 1000.0 if ok[0] else np.full(len(lon), np.nan)
    along = along_track(path, places) if along is None else along
    none = pd.array([None] * len(lon), dtype="boolean")
    if path.has_radii and ok[0] and len(lon):
        in30_col = pd.array(path.inside(tt, 30, lon, lat)[0], dtype="boolean")
        in50_col = pd.array(path.inside(tt, 50, lon, lat)[0], dtype="boolean")
    else:
        in30_col = in50_col = none
    out = pd.DataFrame({
        "kind": places["kind"].to_numpy(object), "entity_id": places["entity_id"].to_numpy(object),
        "name_zh": places["name_zh"].to_numpy(object), "name_en": places["name_en"].to_numpy(object),
        "lon": lon.round(5), "lat": lat.round(5), "distance_km": np.round(dist, 1),
        "in_30kt": in30_col, "in_50kt": in50_col,
        "arrival_30kt": along["arrival_30kt"].to_numpy(), "closest_km": along["closest_km"].to_numpy(),
        "closest_time": along["closest_time"].to_numpy(),
    })
    return out.sort_values(["arrival_30kt", "closest_km", "entity_id"], na_position="last", kind="stable",
                           ignore_index=True)
