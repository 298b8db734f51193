"""The asymmetric wind circles (30 kt ≈ 7-level, 50 kt ≈ 10-level) of a best track at any time.

Shape (stated in datasets/typhoon/manifest.yaml): at a fix, the radius toward bearing θ is
``r(θ) = short + (long − short) · (1 + cos(θ − θ_long)) / 2`` — the longest radius toward the
direction JMA gives, the shortest exactly opposite, a smooth limaçon in between; a symmetric circle
(code 9) is ``long`` all round. Between two fixes the centre moves linearly in longitude/latitude
with time and the radius toward each bearing is the linear blend in time of the two fixes' radii
toward that bearing. A circle is drawn only between two fixes that both report winds of that
threshold (and at a fix that reports them); nothing is extrapolated and nothing is invented for an
agency that gives no radii (CMA). Outline points are great-circle destination points on the sphere
of ``citybrain.geo.haversine_m`` (R = 6371.0088 km).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from citybrain.typhoon.radii import BEARINGS, NM_KM

R_KM = 6371.0088
THRESHOLDS = (30, 50)


def destination(lon: float, lat: float, bearing_deg: np.ndarray, dist_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Great-circle destination points from (lon, lat) toward ``bearing_deg`` over ``dist_km``."""
    p1, l1 = np.radians(lat), np.radians(lon)
    b = np.radians(np.asarray(bearing_deg, dtype="float64"))
    d = np.asarray(dist_km, dtype="float64") / R_KM
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return (np.degrees(l2) + 540.0) % 360.0 - 180.0, np.degrees(p2)


def bearing(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Initial great-circle bearing (degrees from north) from point 1 to point 2."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2, dtype="float64") - np.asarray(lon1, dtype="float64"))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0


def profile_km(direction: np.ndarray, long_nm: np.ndarray, short_nm: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Radius (km) toward bearings ``theta`` of circles given as (direction code, longest, shortest);
    arrays broadcast. Codes 0 give 0 km, code 9 the longest radius all round, NaN stays NaN."""
    direction = np.asarray(direction, dtype="float64")
    lg, sh = np.asarray(long_nm, dtype="float64"), np.asarray(short_nm, dtype="float64")
    table = np.full(10, np.nan)
    for code, b in BEARINGS.items():
        table[code] = b
    code = np.where(np.isnan(direction), 0, direction).astype(int)
    b_long = table[np.clip(code, 0, 9)]
    weight = np.where(np.isnan(b_long), 1.0, (1.0 + np.cos(np.radians(np.asarray(theta) - np.nan_to_num(b_long)))) / 2.0)
    r = (sh + (lg - sh) * weight) * NM_KM
    r = np.where(code == 0, 0.0, r)
    return np.where(np.isnan(direction), np.nan, r)


@dataclass(frozen=True)
class StormPath:
    """One agency's best track with its radii: ``radii[kt]`` is an (n, 3) array of (direction code,
    longest nm, shortest nm) per fix, NaN where the fix gives none (all NaN for CMA)."""

    ts: np.ndarray   # datetime64[us], China Standard Time, ascending
    lon: np.ndarray
    lat: np.ndarray
    radii: dict[int, np.ndarray]

    @property
    def has_radii(self) -> bool:
        return any(bool(np.isfinite(a[:, 0]).any()) for a in self.radii.values())

    def _bracket(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Index of the fix before each time, the blend weight toward the next, and whether inside the span."""
        ts = self.ts.astype("datetime64[us]").astype("int64")
        tt = np.asarray(t, dtype="datetime64[us]").astype("int64")
        ok = (tt >= ts[0]) & (tt <= ts[-1])
        i = np.clip(np.searchsorted(ts, tt, side="right") - 1, 0, max(len(ts) - 2, 0))
        j = np.minimum(i + 1, len(ts) - 1)
        span = (ts[j] - ts[i]).astype("float64")
        w = np.where(span > 0, (tt - ts[i]) / np.where(span > 0, span, 1.0), 0.0)
        return i, np.clip(w, 0.0, 1.0), ok

    def centre(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre (lon, lat) at each time and whether the time lies within the track (NaN outside)."""
        i, w, ok = self._bracket(t)
        j = np.minimum(i + 1, len(self.ts) - 1)
        lon = self.lon[i] + (self.lon[j] - self.lon[i]) * w
        lat = self.lat[i] + (self.lat[j] - self.lat[i]) * w
        return np.where(ok, lon, np.nan), np.where(ok, lat, np.nan), ok

    def radius_km(self, t: np.ndarray, kt: int, theta: np.ndarray) -> np.ndarray:
        """Radius (km) of the ``kt`` circle toward ``theta`` at times ``t`` (shape: t × theta after
        broadcasting ``t[:, None]`` with ``theta``); NaN where no circle is drawn."""
        i, w, ok = self._bracket(t)
        j = np.minimum(i + 1, len(self.ts) - 1)
        r = self.radii[kt]
        ra = profile_km(r[i, 0][:, None], r[i, 1][:, None], r[i, 2][:, None], theta)
        rb = profile_km(r[j, 0][:, None], r[j, 1][:, None], r[j, 2][:, None], theta)
        at_fix = (w <= 0.0)[:, None]
        # between fixes only when both report the winds (code 1-9); at a fix as that fix says
        both = ((r[i, 0] > 0) & (r[j, 0] > 0))[:, None]
        blend = np.where(at_fix, ra, np.where(both, ra * (1.0 - w[:, None]) + rb * w[:, None], np.nan))
        blend = np.where(ok[:, None], blend, np.nan)
        return np.where(blend > 0, blend, np.nan)

    def circle(self, t: datetime | np.datetime64, kt: int, n: int = 72) -> list[tuple[float, float]] | None:
        """Closed outline (lon, lat) of the ``kt`` circle at ``t``, or None when there is none."""
        theta = np.linspace(0.0, 360.0, n, endpoint=False)
        tt = np.array([np.datetime64(t, "us")])
        r = self.radius_km(tt, kt, theta[None, :])[0]
        if not np.isfinite(r).all():
            return None
        lon0, lat0, _ = self.centre(tt)
        lon, lat = destination(float(lon0[0]), float(lat0[0]), theta, r)
        pts = [(round(float(x), 5), round(float(y), 5)) for x, y in zip(lon, lat)]
        return pts + [pts[0]]

    def inside(self, t: np.ndarray, kt: int, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Whether each place (lon, lat) lies inside the ``kt`` circle at each time (t × places)."""
        clon, clat, _ = self.centre(t)
        from citybrain.geo import haversine_m

        d = haversine_m(clon[:, None], clat[:, None], np.asarray(lon)[None, :], np.asarray(lat)[None, :]) / 1000.0
        theta = bearing(clon[:, None], clat[:, None], np.asarray(lon)[None, :], np.asarray(lat)[None, :])
        r = self.radius_km(np.asarray(t), kt, theta)
        return np.isfinite(r) & (d <= r)
