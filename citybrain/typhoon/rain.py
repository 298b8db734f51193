"""Rain along a storm's track: what the region's rain gauges measured as the storm passed.

The rows are the store's ``rainfall_1h`` observations of the region's water stations (reservoirs,
river and tide stations) — in this product simulated by the water dataset from each station's
distance to the real best track (``datasets/water/hydro.py``: closer storm, heavier rain), marked
``simulated`` by the store. Nothing here is re-derived from the track: the track only gives each
station's distance to the centre at the replay time and its closest approach. Times are China
Standard Time; rain in mm. A replay shows no rain after its replay time.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from citybrain.geo import haversine_m
from citybrain.queries import geo as geo_queries
from citybrain.queries import typhoon as tq
from citybrain.semantics import status as sem_status
from citybrain.store import Store
from citybrain.typhoon import exposure as ex

#: The window of the "last 24 h" column (the 24-hour rain of the rainstorm thresholds, 50 / 100 mm).
DAY = pd.Timedelta(hours=24)
COLUMNS = ("entity_id", "kind", "name_zh", "name_en", "lon", "lat", "rain_1h_mm", "rain_24h_mm", "storm_mm",
           "max_1h_mm", "distance_km", "closest_km", "status", "simulated")


def _window(store: Store, track_id: str, region: str, at: datetime) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The rain rows up to ``at`` and the track's first fix. One query per storm and region (from a day
    before the first fix to the last fix, memoised), cut at ``at`` here, so a replay tick costs no query."""
    path = tq.storm_path(store, track_id)
    t0, t1 = pd.Timestamp(path.ts[0]), pd.Timestamp(path.ts[-1])
    full = tq.station_rain(store, region, (t0 - DAY).to_pydatetime(), t1.to_pydatetime())
    return full[full["ts"] <= pd.Timestamp(at)], t0


def span(store: Store, track_id: str, region: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last hour with rain observations of the region during the track (the chart's time axis)."""
    obs, t0 = _window(store, track_id, region, pd.Timestamp(tq.storm_path(store, track_id).ts[-1]))
    obs = obs[obs["ts"] >= t0]
    return None if obs.empty else (pd.Timestamp(obs["ts"].min()), pd.Timestamp(obs["ts"].max()))


def stations(store: Store, track_id: str, region: str, at: datetime) -> pd.DataFrame:
    """Per station at ``at``: rain in the last hour and the last 24 h, since the storm's first fix
    (``storm_mm``) and the wettest hour since then (mm); the great-circle distance to the centre at
    ``at`` and the closest approach over the track (km); the 24-hour rain's status against the
    ``max_rainfall_24h`` thresholds (暴雨 50 mm warning, 大暴雨 100 mm alarm). Wettest first."""
    obs, t0 = _window(store, track_id, region, at)
    at = pd.Timestamp(at)
    st = obs[obs["entity_id"].notna()]
    if st.empty:
        return pd.DataFrame({c: [] for c in COLUMNS})
    ts = st["ts"]
    g = st.assign(h1=st["rain_mm"].where(ts > at - pd.Timedelta(hours=1)),
                  h24=st["rain_mm"].where(ts > at - DAY), storm=st["rain_mm"].where(ts >= t0)) \
        .groupby("entity_id", sort=True)
    out = g.agg(kind=("kind", "first"), name_zh=("name_zh", "first"), name_en=("name_en", "first"),
                lon=("lon", "first"), lat=("lat", "first"), rain_1h_mm=("h1", "sum"), rain_24h_mm=("h24", "sum"),
                storm_mm=("storm", "sum"), max_1h_mm=("storm", "max"), simulated=("simulated", "all")).reset_index()
    path = tq.storm_path(store, track_id)
    clon, clat, ok = path.centre(np.array([np.datetime64(at, "us")]))
    lon, lat = out["lon"].to_numpy("float64"), out["lat"].to_numpy("float64")
    out["distance_km"] = np.round(haversine_m(clon[0], clat[0], lon, lat) / 1000.0, 1) if ok[0] else np.nan
    out["closest_km"] = np.round(ex.along_track(path, out[["lon", "lat"]])["closest_km"].to_numpy("float64"), 1)
    for c in ("rain_1h_mm", "rain_24h_mm", "storm_mm", "max_1h_mm"):
        out[c] = out[c].astype("float64").round(1)
    th = geo_queries.indicator_thresholds(store, "max_rainfall_24h")
    warn, alarm, direction = (th["warn"][0], th["alarm"][0], th["direction"][0]) if len(th["warn"]) else (np.nan, np.nan, "down")
    out["status"] = sem_status.classify(out["rain_24h_mm"].to_numpy("float64"), warn, alarm, direction)
    return out.sort_values(["storm_mm", "entity_id"], ascending=[False, True])[list(COLUMNS)].reset_index(drop=True)


def hourly(store: Store, track_id: str, region: str, at: datetime) -> pd.DataFrame:
    """Hourly rain (mm) from the storm's first fix to ``at``: one column per station and ``area``, the
    region's areal mean (面雨量); indexed by time."""
    obs, t0 = _window(store, track_id, region, at)
    obs = obs[obs["ts"] >= t0]
    if obs.empty:
        return pd.DataFrame()
    key = obs["entity_id"].fillna("area")
    return obs.assign(key=key).pivot_table(index="ts", columns="key", values="rain_mm", aggfunc="sum").sort_index()
