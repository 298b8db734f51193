"""Voyages of the simulated fleet: trip schedules, then a position and status every 5 minutes.

All arrays, no per-vessel Python loops. A trip is: out along the port's exit route and straight to a
fishing spot at transit speed, a fishing pattern that starts and ends on the spot (trawlers tow
back and forth, other gear drift in a small box), and the same way home. Positions are computed in
the local km frame of :mod:`seaspace` and converted to degrees at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from citybrain.sim import in_moratorium

if TYPE_CHECKING:
    from .seaspace import Harbours

STATUS = ["in_port", "at_sea", "fishing", "alarm_left_zone", "alarm_lost"]
KN = 1.852                 # km/h per knot
LEAD_H = 8 * 24            # simulated history before the window, so the window opens mid-trip
STEP_H = 5.0 / 60.0
FISH_MIN = {True: 0.4, False: 0.5}   # least share of a day trip / multi-day trip spent fishing
VIOLATE_P = 0.03           # near-shore trips that fish beyond the permitted zone
LOST_P = 0.04              # trips with a BeiDou/AIS gap
FAR_MAX_KM = 135.0         # offshore spots: + 13 km of towing stays inside the 150 km zone


@dataclass
class Trips:
    """One row per trip (sorted by vessel, then start); times in hours from the window start."""

    vessel: np.ndarray
    start: np.ndarray
    dur: np.ndarray
    speed: np.ndarray | None = None      # transit, km/h
    spot: np.ndarray | None = None       # (m, 2) km
    ls: np.ndarray | None = None         # gate -> spot, km
    t_out: np.ndarray | None = None      # hours of each transit leg
    axis: np.ndarray | None = None       # (m, 2) unit vector of the fishing pattern
    amp: np.ndarray | None = None        # km, half-length of a tow / drift
    width: np.ndarray | None = None      # km, lateral drift
    cycles: np.ndarray | None = None
    lost_start: np.ndarray | None = None
    lost_dur: np.ndarray | None = None

    def subset(self, keep: np.ndarray) -> Trips:
        return Trips(**{k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()})


def schedule(fleet: pd.DataFrame, gears: dict, w0: pd.Timestamp, horizon_h: float,
             rng: np.random.Generator) -> Trips:
    """Trips of every vessel from ``LEAD_H`` before the window to its end, moratorium applied."""
    n = len(fleet)
    g = [gears[c] for c in fleet["gear"]]
    daily = np.array([x.daily for x in g])
    trip_lo, trip_hi = (np.array([x.trip_h[k] for x in g]) for k in (0, 1))
    rest_lo, rest_hi = (np.array([x.rest_h[k] for x in g]) for k in (0, 1))
    # Day trips: leave 02-06 h, 90 % of days.
    days = np.arange(-LEAD_H // 24 - 1, int(np.ceil(horizon_h / 24)) + 1)
    dv = np.repeat(np.flatnonzero(daily), len(days))
    dd = np.tile(days, int(daily.sum()))
    d_start = dd * 24.0 + rng.uniform(2.0, 6.0, len(dv))
    d_dur = rng.uniform(trip_lo[dv], trip_hi[dv])
    d_go = rng.random(len(dv)) < 0.9
    # Multi-day trips: alternate rest in port and trips from a random phase before the lead-in.
    mv_idx = np.flatnonzero(~daily)
    k = 16
    lo_r, hi_r, lo_t, hi_t = (a[mv_idx, None] for a in (rest_lo, rest_hi, trip_lo, trip_hi))
    rest = rng.uniform(lo_r, hi_r, (len(mv_idx), k))
    trip = rng.uniform(lo_t, hi_t, (len(mv_idx), k))
    cursor = -LEAD_H - rng.uniform(0.0, (hi_t + hi_r)[:, 0])
    m_start = cursor[:, None] + np.cumsum(rest + trip, axis=1) - trip
    vessel = np.concatenate([dv[d_go], np.repeat(mv_idx, k)])
    start = np.concatenate([d_start[d_go], m_start.ravel()])
    dur = np.concatenate([d_dur[d_go], trip.ravel()])
    keep = (start + dur > -2 * STEP_H) & (start <= horizon_h)
    vessel, start, dur = vessel[keep], start[keep], dur[keep]
    # Moratorium: a trip may not touch it unless the vessel may fish then.
    t0 = pd.DatetimeIndex(w0 + pd.to_timedelta(start, unit="h"))
    t1 = pd.DatetimeIndex(w0 + pd.to_timedelta(start + dur, unit="h"))
    exempt = fleet["exempt"].to_numpy()[vessel]
    august = fleet["august_permit"].to_numpy()[vessel]

    def allowed(t: pd.DatetimeIndex) -> np.ndarray:
        md = t.month.to_numpy() * 100 + t.day.to_numpy()
        return ~in_moratorium(t) | exempt | (august & (md >= 801))

    ok = allowed(t0) & allowed(t1)
    order = np.lexsort((start[ok], vessel[ok]))
    return Trips(vessel[ok][order], start[ok][order], dur[ok][order])


def plan(trips: Trips, fleet: pd.DataFrame, gears: dict, route_len: np.ndarray, pools: dict,
         rng: np.random.Generator) -> Trips:
    """Choose speed, fishing spot, fishing pattern and signal gaps of each trip; drop infeasible ones."""
    m = len(trips.vessel)
    home = fleet["home"].to_numpy()[trips.vessel]
    gear = [gears[c] for c in fleet["gear"].to_numpy()[trips.vessel]]
    near = np.array([x.near for x in gear], dtype=bool)
    daily = np.array([x.daily for x in gear], dtype=bool)
    zone = fleet["zone_km"].to_numpy()[trips.vessel]
    speed = rng.uniform(6.0, 12.0, m) * KN
    lr = route_len[home]
    ls_max = speed * trips.dur * (1.0 - np.where(daily, FISH_MIN[True], FISH_MIN[False])) / 2.0 - lr
    violate = near & (rng.random(m) < VIOLATE_P)
    lo = np.where(near, np.where(violate, zone + 5.0, 8.0), 25.0)
    hi = np.minimum(ls_max, np.where(near, np.where(violate, zone + 30.0, zone - 5.0), FAR_MAX_KM))
    # Pools are concatenated: pool id = 2 * port + (0 near / 1 far), distances offset by 1000 km per pool.
    pool_id = 2 * home + (~near).astype(int)
    flat_d, flat_xy = pools["dist"], pools["xy"]
    key = pools["pool"] * 1000.0 + flat_d
    i_lo = np.searchsorted(key, pool_id * 1000.0 + lo)
    i_hi = np.searchsorted(key, pool_id * 1000.0 + hi, side="right")
    fallback = violate & (i_hi <= i_lo)      # too short a trip to break the rules: fish legally
    lo2 = np.where(fallback, 8.0, lo)
    hi2 = np.where(fallback, np.minimum(ls_max, zone - 5.0), hi)
    i_lo = np.searchsorted(key, pool_id * 1000.0 + lo2)
    i_hi = np.searchsorted(key, pool_id * 1000.0 + hi2, side="right")
    feasible = i_hi > i_lo
    pick = i_lo + np.floor(rng.random(m) * np.maximum(i_hi - i_lo, 1)).astype(int)
    pick = np.clip(pick, 0, len(flat_d) - 1)
    t = trips
    t.speed, t.spot, t.ls = speed, flat_xy[pick], flat_d[pick]
    t.t_out = (lr + t.ls) / speed
    fish_h = t.dur - 2.0 * t.t_out
    v_fish = rng.uniform(2.0, 4.0, m) * KN
    c_lo, c_hi = (np.array([x.cycle_h[k] for x in gear]) for k in (0, 1))
    cycle0 = rng.uniform(c_lo, c_hi)
    t.cycles = np.maximum(1.0, np.ceil(fish_h / cycle0))
    t.amp = v_fish * (fish_h / t.cycles) / 4.0
    t.width = np.where(near, rng.uniform(0.2, 1.0, m), rng.uniform(0.5, 2.0, m))
    ang = rng.uniform(0.0, np.pi, m)
    t.axis = np.column_stack([np.cos(ang), np.sin(ang)])
    lost = rng.random(m) < LOST_P
    t.lost_start = t.start + rng.uniform(0.1, 0.8, m) * t.dur
    t.lost_dur = np.minimum(rng.uniform(0.5, 4.0, m), t.start + t.dur - 0.5 - t.lost_start)
    t.lost_dur = np.where(lost & (t.lost_dur > 0.1), t.lost_dur, 0.0)
    return t.subset(feasible & (fish_h > 0))


def positions(trips: Trips, fleet: pd.DataFrame, hb: Harbours, berth_xy: np.ndarray, hours: np.ndarray,
              rng: np.random.Generator) -> dict[str, np.ndarray]:
    """(vessel, step) grids of x, y (km), status code, speed (kn) and heading (deg); steps = ``hours``."""
    n, t1 = len(fleet), len(hours)
    # Rows each trip covers: steps j with start <= hours[j] < start + dur (trips never overlap).
    js = np.clip(np.ceil((trips.start - hours[0]) / STEP_H - 1e-9), 0, t1).astype(np.int64)
    je = np.clip(np.ceil((trips.start + trips.dur - hours[0]) / STEP_H - 1e-9), 0, t1).astype(np.int64)
    span = je - js
    first = np.cumsum(span) - span
    t = np.repeat(np.arange(len(span)), span)
    a = np.repeat(trips.vessel * t1 + js - first, span) + np.arange(int(span.sum()))
    xy = np.repeat(berth_xy, t1, axis=0) + (rng.random((n * t1, 2), dtype=np.float32) - 0.5) * 0.012
    status = np.zeros(n * t1, dtype=np.int8)
    h_a = hours[a % t1]
    tau = h_a - trips.start[t]
    out = tau < trips.t_out[t]
    back = tau > trips.dur[t] - trips.t_out[t]
    fish = ~(out | back)
    port = fleet["home"].to_numpy()[trips.vessel[t]]
    # Transit legs: distance from the quay along route + straight line to the spot.
    tr = ~fish
    s = np.where(out, trips.speed[t] * tau, trips.speed[t] * (trips.dur[t] - tau))[tr]
    pt, tt = port[tr], t[tr]
    lr = hb.length[pt]
    on_route = s <= lr
    frac = np.clip((s - lr) / np.maximum(trips.ls[tt], 1e-9), 0.0, 1.0)
    pos_tr = hb.gate[pt] + frac[:, None] * (trips.spot[tt] - hb.gate[pt])
    pos_tr[on_route] = hb.along(pt[on_route], s[on_route])
    # Fishing: back-and-forth along the axis (integer number of cycles) plus a lateral arc.
    tf = t[fish]
    u = tau[fish] - trips.t_out[tf]
    fish_h = trips.dur[tf] - 2.0 * trips.t_out[tf]
    period = fish_h / trips.cycles[tf]
    tri = (2.0 / np.pi) * np.arcsin(np.sin(2.0 * np.pi * u / period))
    lat = trips.width[tf] * np.sin(np.pi * u / fish_h)
    ax = trips.axis[tf]
    perp = np.column_stack([-ax[:, 1], ax[:, 0]])
    pos_f = trips.spot[tf] + (trips.amp[tf] * tri)[:, None] * ax + lat[:, None] * perp
    pos = np.empty((len(a), 2))
    pos[tr], pos[fish] = pos_tr, pos_f
    xy[a] = pos
    st = np.where(fish, 2, 1).astype(np.int8)
    rel = pos - hb.gate[port]
    off_zone = np.sqrt(rel[:, 0] ** 2 + rel[:, 1] ** 2) > fleet["zone_km"].to_numpy()[trips.vessel[t]]
    st[off_zone] = 3
    status[a] = st
    # Motion from the previous step (course and speed over ground).
    grid = xy.reshape(n, t1, 2)
    d = np.diff(grid, axis=1)
    speed = np.zeros((n, t1), dtype="float64")
    heading = np.zeros((n, t1), dtype="float64")
    speed[:, 1:] = np.hypot(d[..., 0], d[..., 1]) / STEP_H / KN
    heading[:, 1:] = np.degrees(np.arctan2(d[..., 0], d[..., 1])) % 360.0
    speed, heading = speed.ravel(), heading.ravel()
    moored = status == 0
    speed[moored] = np.minimum(speed[moored], 0.3)     # moored: GPS noise only, not the arrival leg
    # Signal gaps: keep the last fix (position, speed, heading) while the signal is lost.
    lost = (trips.lost_dur[t] > 0) & (h_a >= trips.lost_start[t]) & (h_a < trips.lost_start[t] + trips.lost_dur[t])
    rows = a[lost]
    if rows.size:
        j0 = np.clip(np.ceil((trips.lost_start[t[lost]] - hours[0]) / STEP_H - 1e-9), 0, t1 - 1).astype(int)
        src = trips.vessel[t[lost]] * t1 + j0
        xy[rows], speed[rows], heading[rows] = xy[src], speed[src], heading[src]
        status[rows] = 4
    return {"xy": xy, "status": status, "speed": speed, "heading": heading, "n": n, "t1": t1}


def keep_off_land(lon: np.ndarray, lat: np.ndarray, land: shapely.Geometry, n: int, t1: int,
                  berth_lon: np.ndarray, berth_lat: np.ndarray, check: np.ndarray) -> int:
    """Replace positions on land (in place) by the vessel's previous position at sea, else its berth.

    Only rows where ``check`` is true are tested (moored rows sit >= 25 m off land by construction).
    """
    rows = np.flatnonzero(check)
    bad = np.zeros(len(lon), dtype=bool)
    bad[rows] = shapely.contains_xy(land, lon[rows], lat[rows])
    if not bad.any():
        return 0
    good = ~bad.reshape(n, t1)
    idx = np.where(good, np.arange(t1)[None, :], -1)
    idx = np.maximum.accumulate(idx, axis=1).ravel()
    rows = np.flatnonzero(bad)
    src = idx[rows]
    has = src >= 0
    v = rows // t1
    lon[rows[has]] = lon[v[has] * t1 + src[has]]
    lat[rows[has]] = lat[v[has] * t1 + src[has]]
    lon[rows[~has]], lat[rows[~has]] = berth_lon[v[~has]], berth_lat[v[~has]]
    return int(rows.size)
