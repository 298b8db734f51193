"""Shared helpers of the simulated-data generators (deterministic given the LoadContext rng).

Every simulated row is marked ``simulated = True``; every generator documents its assumptions in
its manifest. Times are China Standard Time, naive.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import shapely

#: East China Sea summer fishing moratorium (伏季休渔), 1 May 12:00 – 16 Sep 12:00.
MORATORIUM_START = (5, 1)
MORATORIUM_END = (9, 16)


def time_index(anchor: datetime, days: float, freq: str) -> pd.DatetimeIndex:
    """Regular timestamps ending at ``anchor`` (inclusive) covering ``days`` days."""
    end = pd.Timestamp(anchor).floor(freq)
    start = end - pd.Timedelta(days=days) + pd.Timedelta(freq)
    return pd.date_range(start, end, freq=freq).astype("datetime64[us]")


def in_moratorium(ts: pd.DatetimeIndex | pd.Series | datetime) -> np.ndarray | bool:
    """True where the East China Sea moratorium (1 May – 16 Sep) is in force."""
    if isinstance(ts, (datetime, date)):
        md = (ts.month, ts.day)
        return MORATORIUM_START <= md < MORATORIUM_END
    t = pd.DatetimeIndex(ts)
    md = t.month * 100 + t.day
    return np.asarray((md >= 501) & (md < 916))


def traffic_profile(ts: pd.DatetimeIndex) -> np.ndarray:
    """Relative road traffic by time of day (morning and evening peaks), lower on weekends."""
    h = ts.hour.to_numpy() + ts.minute.to_numpy() / 60.0
    base = 0.15 + 0.85 * np.clip(np.sin((h - 5.0) / 19.0 * np.pi), 0, None) ** 1.5
    peaks = 0.9 * np.exp(-((h - 8.0) ** 2) / 1.2) + 0.8 * np.exp(-((h - 17.8) ** 2) / 1.6)
    weekend = ts.day_of_week.to_numpy() >= 5
    return np.where(weekend, 0.8 * base + 0.25 * peaks, base + peaks)


def random_points_in(geom: shapely.Geometry, n: int, rng: np.random.Generator,
                     outside: shapely.Geometry | None = None) -> np.ndarray:
    """``n`` uniform random points (lon, lat) inside ``geom`` and, if given, outside ``outside``."""
    x0, y0, x1, y1 = geom.bounds
    shapely.prepare(geom)
    if outside is not None:
        shapely.prepare(outside)
    out = np.empty((0, 2))
    while len(out) < n:
        cand = np.column_stack([rng.uniform(x0, x1, n * 3), rng.uniform(y0, y1, n * 3)])
        ok = shapely.contains_xy(geom, cand[:, 0], cand[:, 1])
        if outside is not None:
            ok &= ~shapely.contains_xy(outside, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[ok]])
    return out[:n]
