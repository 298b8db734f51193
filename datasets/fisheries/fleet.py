"""The simulated fishing fleet: registration numbers, owners, home ports, gear, size, terminals.

Every number here is an assumption of the generator (listed in the manifest), not a statistic. The
registration numbers carry an ``X`` that real Chinese fishing-vessel numbers never have, so no
simulated vessel can be mistaken for a real one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Simulated home fleet per port (sums: Xiangshan 1,030, Zhoushan 1,230).
FLEET_SIZE = {
    "shipu": 520, "dongmen": 110, "hepu": 200, "gaotang": 110, "juexi": 90,
    "shenjiamen": 560, "taimen": 110, "dinghai": 80, "gaoting": 230, "qushan": 100,
    "caiyuan": 70, "shengshan": 80,
}
#: Registration prefix by port district (象山 / 普陀 / 定海 / 岱山 / 嵊泗).
PREFIX = {"330225": "浙象渔", "330903": "浙普渔", "330902": "浙定渔", "330921": "浙岱渔", "330922": "浙嵊渔"}


@dataclass(frozen=True)
class Gear:
    """One gear type and how it is worked."""

    code: str
    zh: str
    share: float
    daily: bool            # day trips (True) or multi-day trips
    near: bool             # near-shore licence (permitted zone 60 km) or offshore
    length_m: tuple[float, float, float, float]  # median, sigma (log), min, max
    trip_h: tuple[float, float]
    rest_h: tuple[float, float]
    cycle_h: tuple[float, float]   # one back-and-forth fishing cycle (two tows / one set-and-haul)
    exempt: float          # share allowed at sea during the whole moratorium
    august: float          # share with a special permit from 1 August


GEARS = [
    # code, zh, share, daily, near, length_m (median, log-sigma, min, max), trip_h, rest_h, cycle_h, exempt, august
    Gear("trawl", "拖网", 0.36, False, False, (36.0, 0.15, 22.0, 55.0), (48.0, 120.0), (12.0, 40.0), (3.0, 6.0),
         0.0, 0.0),
    Gear("gillnet", "刺网", 0.21, True, True, (24.0, 0.20, 12.0, 40.0), (10.0, 18.0), (0.0, 0.0), (0.8, 1.6),
         0.0, 0.2),
    Gear("stownet", "张网", 0.15, True, True, (15.0, 0.25, 8.0, 30.0), (10.0, 18.0), (0.0, 0.0), (0.8, 1.6),
         0.0, 0.0),
    Gear("pots", "笼壶", 0.09, True, True, (20.0, 0.20, 10.0, 35.0), (10.0, 18.0), (0.0, 0.0), (0.8, 1.6),
         0.0, 0.2),
    Gear("purse", "围网", 0.06, False, False, (45.0, 0.12, 30.0, 60.0), (24.0, 72.0), (12.0, 40.0), (1.5, 3.0),
         0.0, 0.0),
    Gear("hook", "钓具", 0.06, True, True, (25.0, 0.20, 12.0, 40.0), (10.0, 18.0), (0.0, 0.0), (0.8, 1.6),
         1.0, 0.0),
    Gear("aux", "捕捞辅助船", 0.07, False, False, (40.0, 0.15, 25.0, 60.0), (48.0, 144.0), (12.0, 40.0), (3.0, 6.0),
         0.3, 0.0),
]
GEAR_BY_CODE = {g.code: g for g in GEARS}

#: BeiDou terminal share (the plan asks for >= 95 % of vessels under digital supervision).
BEIDOU_SHARE = 0.97
NEAR_ZONE_KM = 60.0
FAR_ZONE_KM = 150.0

SURNAMES = list("陈王林张李周徐杨黄吴刘郑胡朱应俞孙金贺史邵叶鲍蒋何钱赖童顾汪傅沈丁方戴")
SURNAME_W = np.array([9, 8, 7, 7, 6, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                      2, 2, 2, 2, 2, 2], dtype="float64")
GIVEN = list("国建伟海军明华平勇强志永林德宏忠祥兴福荣东波峰杰浩良春庆如芳红美丽燕玲秀英")


def make_fleet(ports: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per simulated vessel. ``ports`` needs port_id and region_code (district)."""
    port_ids = ports["port_id"].tolist()
    missing = [p for p in port_ids if p not in FLEET_SIZE]
    if missing:
        raise ValueError(f"no simulated fleet size for port(s) {missing}")
    home = np.repeat(np.arange(len(port_ids)), [FLEET_SIZE[p] for p in port_ids])
    n = len(home)
    district = ports["region_code"].astype(str).to_numpy()[home]
    shares = np.array([g.share for g in GEARS])
    gear_i = rng.choice(len(GEARS), size=n, p=shares / shares.sum())
    med, sig, lo, hi = (np.array([g.length_m[k] for g in GEARS])[gear_i] for k in range(4))
    length = np.clip(np.round(med * np.exp(rng.normal(0.0, sig)), 1), lo, hi)
    power = np.round(0.28 * length ** 2 * rng.uniform(0.85, 1.15, n)).astype(int)
    reg = np.empty(n, dtype=object)
    for code, prefix in PREFIX.items():
        sel = np.flatnonzero(district == code)
        nums = rng.choice(np.arange(10000, 100000), size=len(sel), replace=False)
        reg[sel] = [f"{prefix}X{k:05d}" for k in nums]
    sur = rng.choice(len(SURNAMES), size=n, p=SURNAME_W / SURNAME_W.sum())
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.8
    owner = [SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "") for s, a, b, t in zip(sur, g1, g2, two)]
    exempt = rng.random(n) < np.array([g.exempt for g in GEARS])[gear_i]
    august = rng.random(n) < np.array([g.august for g in GEARS])[gear_i]
    near = np.array([g.near for g in GEARS])[gear_i]
    return pd.DataFrame({
        "vessel_id": reg.astype(str),
        "home": home,
        "port_id": np.asarray(port_ids, dtype=object)[home],
        "district": district,
        "region_code": district,  # a vessel belongs to its home port's district (Zhoushan's four, or Xiangshan)
        "gear": np.array([g.code for g in GEARS], dtype=object)[gear_i],
        "gear_zh": np.array([g.zh for g in GEARS], dtype=object)[gear_i],
        "length_m": length,
        "power_kw": power,
        "owner_name": owner,
        "beidou": rng.random(n) < BEIDOU_SHARE,
        "ais": (length >= 24.0) | (rng.random(n) < 0.3),
        "exempt": exempt,
        "august_permit": august & ~exempt,
        "zone_km": np.where(near, NEAR_ZONE_KM, FAR_ZONE_KM),
    })
