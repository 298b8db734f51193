"""A typhoon replay for a region: which storms, the default storm and moment, and every board's rows
(exposure, fleet, people moved, shelters, reservoirs, response level) at a replay time.

Each function takes the store first and returns a DataFrame; the page, its exports, the wall and the
API call these and nothing else. Simulated rows (fleet, people moved, shelters) come from
``citybrain.typhoon.fleet`` and say so in a ``simulated`` column.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import shapely

from citybrain.cache import cached_query
from citybrain.queries import core as core_queries
from citybrain.queries import geo as geo_queries
from citybrain.queries import typhoon as tq
from citybrain.semantics import status as sem_status
from citybrain.store import Store
from citybrain.typhoon import exposure as ex
from citybrain.typhoon import fleet as fl

#: Distance (km) to the 30-kt circle's edge below which a boat still at sea is a warning; inside is an alarm.
BOAT_WARN_KM = 50.0
#: A live replay whose latest position is older than this (before the store's now) is over.
LIVE_STALE = pd.Timedelta(hours=1)
#: Response levels, lowest first (IV 蓝 → I 红), and the hours before the circle's arrival that start each.
LEVELS = (("IV", 72.0, 30), ("III", 48.0, 30), ("II", 24.0, 30), ("I", 12.0, 50))


def region_storms(store: Store, region: str) -> pd.DataFrame:
    """The stored tracks of the storms that affected a region (oldest first), with their agency and radii."""
    tp = geo_queries.typhoons(store, region)
    ids = [str(x) for x in tp["track_id"]]
    s = tq.storms(store)
    return s[s["track_id"].isin(ids)].reset_index(drop=True)


def live_replay(store: Store, region: str) -> tuple[str, pd.Timestamp] | None:
    """The stored track a live replay (``citybrain simulate --typhoon``) is playing for a region and the
    storm time of its latest live position; None when no replay is live (its latest position older
    than ``LIVE_STALE`` before the store's now)."""
    lv = tq.live_replays(store, region)
    lv = lv[lv["track_id"].notna() & lv["offset_s"].notna()]
    if lv.empty:
        return None
    r = lv.iloc[0]
    now = pd.Timestamp(core_queries.anchor(store))
    if pd.Timestamp(r["last_ts"]) < now - LIVE_STALE or storm_meta(store, str(r["track_id"])) is None:
        return None
    return str(r["track_id"]), (pd.Timestamp(r["last_ts"]) - pd.Timedelta(seconds=int(r["offset_s"]))).floor("min")


def default_track(store: Store, region: str) -> str | None:
    """The storm a live replay is playing, else the most recent storm of the region, its JMA track
    (with wind radii) when there is one."""
    live = live_replay(store, region)
    if live is not None:
        return live[0]
    s = region_storms(store, region)
    if s.empty:
        return None
    jma = s[s["has_radii"]]
    return str((jma if not jma.empty else s).iloc[-1]["track_id"])


def default_time(meta: pd.Series) -> pd.Timestamp:
    """The moment a replay opens at: the landfall when it lies on the track, else the track's middle."""
    lf = meta["landfall"]
    if lf is not None and not pd.isna(lf) and meta["first_ts"] <= lf <= meta["last_ts"]:
        return pd.Timestamp(lf).floor("10min")
    return pd.Timestamp(meta["first_ts"] + (meta["last_ts"] - meta["first_ts"]) / 2).floor("10min")


def storm_meta(store: Store, track_id: str) -> pd.Series | None:
    s = tq.storms(store)
    hit = s[s["track_id"] == track_id]
    return None if hit.empty else hit.iloc[0]


@cached_query
def along_track(store: Store, track_id: str, region: str) -> pd.DataFrame:
    """``citybrain.typhoon.exposure.along_track`` of a region's places (the same for every moment)."""
    return ex.along_track(tq.storm_path(store, track_id), tq.places(store, region))


def exposure_frame(store: Store, track_id: str, region: str, at: datetime) -> pd.DataFrame:
    """The exposure rows (``citybrain.typhoon.exposure``) of a region's places for one track at ``at``."""
    return ex.exposure(tq.storm_path(store, track_id), tq.places(store, region), at,
                       along_track(store, track_id, region))


@cached_query
def fleet_plan(store: Store, track_id: str, region: str, edges: tuple[float, ...], lead_h: tuple[float, ...]) -> pd.DataFrame:
    """The simulated fleet's plan for a storm (``citybrain.typhoon.fleet.plan_fleet``)."""
    path = tq.storm_path(store, track_id)
    land = shapely.union_all([shapely.from_wkb(g) for g in tq.land_wkb(store)])
    month = int(pd.Timestamp(path.ts[0]).month)
    return fl.plan_fleet(path, track_id, tq.vessels(store, region), tq.ports(store), land,
                         fl.Bands(edges, lead_h), month)


def fleet_frame(store: Store, track_id: str, region: str, at: datetime, bands: fl.Bands) -> pd.DataFrame:
    """Every vessel's state at ``at`` with its distance to the 30-kt circle and the one status rule
    (inside the circle: alarm; within ``BOAT_WARN_KM``: warning) for boats at sea."""
    plan = fleet_plan(store, track_id, region, bands.edges, bands.lead_h)
    if plan.empty:
        return plan.assign(state=[], lon=[], lat=[], to_circle_km=[], status=[])
    now = fl.fleet_at(plan, pd.Timestamp(at))
    d = fl.distance_to_circle_km(tq.storm_path(store, track_id), pd.Timestamp(at), now["lon"].to_numpy("float64"),
                                 now["lat"].to_numpy("float64"))
    st = sem_status.classify(d, BOAT_WARN_KM, 0.0, "up", missing="none")
    at_sea = now["state"].to_numpy() != "in_port"
    return now.assign(to_circle_km=np.where(at_sea, d, np.nan), status=np.where(at_sea, st, "none"))


def fleet_series(store: Store, track_id: str, region: str, bands: fl.Bands, step_h: int = 3) -> pd.DataFrame:
    """Boats at sea and in port every ``step_h`` hours over the storm's track (the board's chart)."""
    return _fleet_series(store, track_id, region, bands.edges, bands.lead_h, step_h)


@cached_query
def _fleet_series(store: Store, track_id: str, region: str, edges: tuple[float, ...], lead_h: tuple[float, ...],
                  step_h: int) -> pd.DataFrame:
    plan = fleet_plan(store, track_id, region, edges, lead_h)
    path = tq.storm_path(store, track_id)
    ts = pd.date_range(pd.Timestamp(path.ts[0]).ceil("h"), pd.Timestamp(path.ts[-1]), freq=f"{step_h}h")
    rows = []
    for t in ts:
        st = fl.fleet_at(plan, t)["state"] if not plan.empty else pd.Series([], dtype=object)
        rows.append({"ts": t, "at_sea": int((st != "in_port").sum()), "in_port": int((st == "in_port").sum())})
    return pd.DataFrame(rows, columns=["ts", "at_sea", "in_port"])


def towns_moved(store: Store, track_id: str, region: str, at: datetime) -> pd.DataFrame:
    """People moved per town (simulated): planned transfer, moved by ``at``, the 30-kt arrival there."""
    exp = exposure_frame(store, track_id, region, at)
    pl = tq.places(store, region)
    cap = pl[pl["kind"] == "shelter"].groupby("town_zh")["capacity"].sum()
    towns = exp[exp["kind"] == "town"].copy()
    towns["town_zh"] = towns["name_zh"]
    towns["planned"] = [float(np.round(cap.get(z, 0.0) * fl.PLAN_SHARE)) for z in towns["town_zh"]]
    hours = (towns["arrival_30kt"] - pd.Timestamp(at)).dt.total_seconds() / 3600.0
    share = np.where(hours.isna(), 0.0, fl.moved_share(hours.fillna(1e9)))
    towns["moved"] = np.round(towns["planned"] * share)
    return towns[towns["planned"] > 0][["entity_id", "name_zh", "name_en", "arrival_30kt", "planned", "moved"]] \
        .assign(simulated=True).reset_index(drop=True)


def shelters(store: Store, track_id: str, region: str, at: datetime) -> pd.DataFrame:
    """Shelter occupancy (simulated): each shelter holds its capacity's share of its town's people moved."""
    pl = tq.places(store, region)
    sh = pl[pl["kind"] == "shelter"].copy()
    moved = towns_moved(store, track_id, region, at).set_index("name_zh")
    cap_town = sh.groupby("town_zh")["capacity"].sum()
    occ = [float(np.round(moved["moved"].get(z, 0.0) * c / cap_town.get(z, np.nan))) if cap_town.get(z, 0) else 0.0
           for z, c in zip(sh["town_zh"], sh["capacity"])]
    sh["occupants"] = occ
    sh["rate"] = np.round(100.0 * sh["occupants"] / sh["capacity"], 1)
    return sh[["entity_id", "name_zh", "name_en", "town_zh", "capacity", "occupants", "rate"]] \
        .assign(simulated=True).sort_values(["rate", "entity_id"], ascending=[False, True]).reset_index(drop=True)


def reservoirs(store: Store, region: str, at: datetime) -> pd.DataFrame:
    """Reservoir levels against their flood-limit level at ``at`` (the water feed's simulated series;
    the one status rule: at or over the flood limit is a warning)."""
    r = tq.reservoir_levels(store, region, pd.Timestamp(at).to_pydatetime())
    over = (r["level_m"] - r["flood_limit_m"]).round(2)
    st = sem_status.classify(r["level_m"].to_numpy("float64"), r["flood_limit_m"].to_numpy("float64"), np.nan, "down")
    return r.assign(over_m=over, status=st).sort_values(["over_m", "entity_id"], ascending=[False, True],
                                                        na_position="last").reset_index(drop=True)


@cached_query
def response_levels(store: Store, track_id: str, region: str) -> pd.DataFrame:
    """The response level (IV → I) over the replay, derived from the best track as a perfect
    forecast: IV from 72 h before the 30-kt circle first reaches a place of the region, III from
    48 h, II from 24 h, I from 12 h before the 50-kt circle does; lifted 6 h after the 30-kt circle
    last covers one. A rule of this product, not the historical orders. Empty without wind radii."""
    path = tq.storm_path(store, track_id)
    if path is None or not path.has_radii:
        return pd.DataFrame(columns=["level", "start", "end"])
    pl = tq.places(store, region)
    ts = ex.samples(path)
    lon, lat = pl["lon"].to_numpy("float64"), pl["lat"].to_numpy("float64")
    in30 = path.inside(ts, 30, lon, lat).any(axis=1)
    in50 = path.inside(ts, 50, lon, lat).any(axis=1)
    if not in30.any():
        return pd.DataFrame(columns=["level", "start", "end"])
    first30, last30 = ts[np.argmax(in30)], ts[len(in30) - 1 - np.argmax(in30[::-1])]
    first50 = ts[np.argmax(in50)] if in50.any() else None
    end = last30 + np.timedelta64(6, "h")
    rows = []
    for level, lead, kt in LEVELS:
        ref = first30 if kt == 30 else first50
        if ref is None:
            continue
        rows.append({"level": level, "start": pd.Timestamp(max(ts[0], ref - np.timedelta64(int(lead), "h"))),
                     "end": pd.Timestamp(end)})
    out = pd.DataFrame(rows)
    out["end"] = list(out["start"].iloc[1:]) + [pd.Timestamp(end)]
    return out


def level_at(levels: pd.DataFrame, at: datetime) -> str | None:
    """The response level in force at ``at`` (None before IV and after it is lifted)."""
    t = pd.Timestamp(at)
    hit = levels[(levels["start"] <= t) & (t < levels["end"])]
    return None if hit.empty else str(hit.iloc[-1]["level"])


def deadlines(store: Store, track_id: str, bands: fl.Bands) -> pd.DataFrame:
    """Back-to-port deadline per latitude band (``citybrain.typhoon.fleet.band_deadlines``), memoised."""
    return _deadlines(store, track_id, bands.edges, bands.lead_h)


@cached_query
def _deadlines(store: Store, track_id: str, edges: tuple[float, ...], lead_h: tuple[float, ...]) -> pd.DataFrame:
    return fl.band_deadlines(tq.storm_path(store, track_id), fl.Bands(edges, lead_h))
