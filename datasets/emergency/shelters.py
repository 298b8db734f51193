"""Simulated shelter occupancy (hourly, 14 days) and depot stock (daily, 30 days).

Shelters stand empty outside events. During the region's alert episode people from exposed
places (islands, the coast, river banks) move in: a smooth ramp, a plateau, then a return home
after the alert is lifted; each shelter has its own peak share of capacity and a small time
shift. People displaced by single incidents (a house fire, a landslide) stay a few days in the
nearest shelter. Occupancy never exceeds 1.1 × capacity (the overcrowding limit assumed here).

Depots start from a stock between 1.15 and 1.8 times their minimum reserve (定额储备), issue
supplies when the episode's evacuation starts, get reusable items (tents, quilts, beds, life
jackets) partly back a few days after it ends, and are replenished to the starting stock by
procurement 4–10 days after it ends; small routine issues and restocks happen in between.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # sibling module loaded by path (see loader.py)
    from .scenario import Episode

#: id: (name_zh, unit, county-level minimum reserve, need per evacuee per episode, reusable)
CATEGORIES: dict[str, tuple[str, str, float, float, bool]] = {
    "tent": ("帐篷", "顶", 300, 0.01, True),
    "quilt": ("棉被", "件", 3000, 0.5, True),
    "folding_bed": ("折叠床", "张", 1000, 0.3, True),
    "life_jacket": ("救生衣", "件", 1500, 0.05, True),
    "sandbag": ("编织袋", "条", 20000, 2.0, False),
    "food": ("方便食品", "吨", 10.0, 0.001, False),
    "water": ("饮用水", "吨", 20.0, 0.002, False),
}
LEVEL_FACTOR = {"市级": 1.6, "县级": 1.0, "乡镇级": 0.12}
EXPOSURE_WEIGHT = {"island": 1.1, "coastal": 0.9, "riverside": 0.9, "inland": 0.25}
OVERCROWD = 1.1


def min_reserve(level: str, cat: str) -> float:
    """Minimum reserve of one category at a depot of the given level (an assumed norm)."""
    v = CATEGORIES[cat][2] * LEVEL_FACTOR[level]
    return round(v, 1) if CATEGORIES[cat][1] == "吨" else float(round(v))


def episode_occupancy(rng: np.random.Generator, shelters: pd.DataFrame, ep: Episode,
                      ts: np.ndarray) -> np.ndarray:
    """(n_shelters, n_ts) people in each shelter due to the episode (before incident placements)."""
    cap = shelters["capacity"].to_numpy(dtype="float64")
    w = shelters["exposure"].map(EXPOSURE_WEIGHT).fillna(0.25).to_numpy(dtype="float64")
    peak = np.clip(ep.scale * w * rng.uniform(0.6, 1.7, len(cap)), 0.0, 1.08)
    shift = rng.uniform(-1.5, 1.5, len(cap))
    prof = np.vstack([ep.profile(ts, s) for s in shift])
    noise = 1.0 + rng.normal(0.0, 0.02, prof.shape)
    return np.round(peak[:, None] * cap[:, None] * prof * noise).clip(0, None)


def add_placements(occ: np.ndarray, shelters: pd.DataFrame, ts: np.ndarray, placements: pd.DataFrame) -> np.ndarray:
    """Add people displaced by incidents (shelter_id, people, start, end) and cap at 1.1 × capacity."""
    occ = occ.copy()
    idx = {s: i for i, s in enumerate(shelters["facility_id"])}
    for p in placements.itertuples(index=False):
        i = idx[p.shelter_id]
        occ[i] += np.where((ts >= p.start) & (ts < p.end), p.people, 0)
    cap = shelters["capacity"].to_numpy(dtype="float64")
    return np.minimum(occ, np.floor(cap * OVERCROWD)[:, None])


def occupancy_obs(code: str, shelters: pd.DataFrame, ts: np.ndarray, occ: np.ndarray) -> pd.DataFrame:
    """Observations: per-shelter occupancy and rate, region rate and region capacity."""
    cap = shelters["capacity"].to_numpy(dtype="float64")
    ids = ("EM-" + shelters["facility_id"].astype(str)).to_numpy(dtype=object)
    n, t = occ.shape
    ent = np.repeat(ids, t)
    tsr = np.tile(ts, n)
    frames = [
        pd.DataFrame({"indicator_id": "shelter_occupancy", "entity_id": ent, "ts": tsr, "value": occ.ravel()}),
        pd.DataFrame({"indicator_id": "shelter_occupancy_rate", "entity_id": ent, "ts": tsr,
                      "value": np.round(occ / cap[:, None] * 100.0, 1).ravel()}),
        pd.DataFrame({"indicator_id": "shelter_occupancy_rate", "entity_id": None, "ts": ts,
                      "value": np.round(occ.sum(axis=0) / cap.sum() * 100.0, 2)}),
    ]
    days = np.unique(ts.astype("datetime64[D]")).astype("datetime64[us]")
    frames.append(pd.DataFrame({"indicator_id": "shelter_capacity_total", "entity_id": None, "ts": days,
                                "value": float(cap.sum())}))
    out = pd.concat(frames, ignore_index=True)
    out["region_code"] = code
    return out


def depot_obs(rng: np.random.Generator, code: str, depots: pd.DataFrame, ep: Episode, evacuees: float,
              days: np.ndarray) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Daily stock per depot and category, reserve ratio per depot and region; also the reserves."""
    lv = depots["level"].map(LEVEL_FACTOR).to_numpy(dtype="float64")
    holds = [set(s.split("|")) for s in depots["stock_categories"]]
    frames, reserves = [], {}
    ratio = np.full((len(depots), len(days)), np.inf)
    span = (days[-1] - days[0]).astype("int64") + 86_400_000_000
    for cat, (_zh, unit, _base, need, reusable) in CATEGORIES.items():
        has = np.array([cat in h for h in holds])
        share = np.where(has, lv, 0.0)
        share = share / share.sum() if share.sum() else share
        for j in np.flatnonzero(has):
            dep = depots.iloc[j]
            mr = min_reserve(dep["level"], cat)
            reserves.setdefault("EM-" + dep["facility_id"], {})[cat] = mr
            base = mr * rng.uniform(1.15, 1.8)
            t_ev, d_ev = [], []
            issue = min(evacuees * need * share[j] * rng.uniform(0.8, 1.2), 0.6 * base)
            if issue > 0:
                t_ev.append(ep.evac_start + np.timedelta64(int(rng.integers(1, 5)), "h"))
                d_ev.append(-issue)
                back = issue * rng.uniform(0.6, 0.9) if reusable else 0.0
                t_ev.append(ep.end_at + np.timedelta64(int(rng.integers(24, 73)), "h"))
                d_ev.append(back)
                t_ev.append(ep.end_at + np.timedelta64(int(rng.integers(4 * 24, 10 * 24)), "h"))
                d_ev.append(issue - back)
            for _ in range(int(rng.poisson(0.08 * len(days)))):   # routine issues and restocks
                q = base * rng.uniform(0.01, 0.04)
                t0 = days[0] + np.timedelta64(int(rng.integers(0, span)), "us")
                t_ev += [t0, t0 + np.timedelta64(int(rng.integers(5, 13)), "D")]
                d_ev += [-q, q]
            t_a = np.asarray(t_ev, dtype="datetime64[us]")
            d_a = np.asarray(d_ev, dtype="float64")
            stock = base + (d_a[:, None] * (t_a[:, None] <= days[None, :])).sum(axis=0) if len(t_a) else \
                np.full(len(days), base)
            stock = np.round(stock, 1) if unit == "吨" else np.round(stock)
            stock = np.maximum(stock, 0.0)
            ratio[j] = np.minimum(ratio[j], stock / mr * 100.0)
            frames.append(pd.DataFrame({"indicator_id": f"depot_stock_{cat}", "entity_id": "EM-" + dep["facility_id"],
                                        "ts": days, "value": stock}))
    ids = ("EM-" + depots["facility_id"].astype(str)).to_numpy(dtype=object)
    frames.append(pd.DataFrame({"indicator_id": "depot_reserve_ratio", "entity_id": np.repeat(ids, len(days)),
                                "ts": np.tile(days, len(ids)), "value": np.round(ratio, 1).ravel()}))
    frames.append(pd.DataFrame({"indicator_id": "depot_reserve_ratio", "entity_id": None, "ts": days,
                                "value": np.round(ratio.min(axis=0), 1)}))
    out = pd.concat(frames, ignore_index=True)
    out["region_code"] = code
    return out, reserves
