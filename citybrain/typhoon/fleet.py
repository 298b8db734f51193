"""The simulated fleet and shelters during a typhoon replay (deterministic, labelled simulated).

No vessel positions are stored for the historical typhoon windows (the fisheries feed covers the
last 7 days), so the replay simulates them from the store's fleet (vessel entities: home port,
moratorium exemption) and the real best track, the same way every time:

* Who is at sea. All four storms fall in the East China Sea moratorium (1 May – 16 Sep), so only
  moratorium-exempt boats (and from 1 August the special-permit ones) fish; 85 % of them are at
  sea when the replay window opens, the rest in port.
* Where. Each boat at sea fishes at a spot 25–min(permitted zone, 110) km from its home port,
  seaward (bearing 40°–170°), never on stored land (redrawn until off land).
* Back-to-port deadline per latitude band (configurable, ``Bands``): a band's deadline is the first
  time the 30-kt circle reaches the band (sampled along 121.5–123.5°E, the home fleets' grounds)
  minus the band's lead time
  (default 12 h). A boat obeys: it leaves its spot 2–8 h before that deadline minus its transit time
  (straight line at 9 kn to the quay; transit positions are not land-checked), so it is in port by
  the deadline. About 6 % are stragglers that leave only once the circle has reached their band
  (0–4 h after), so the board's alarm for a boat inside the circle has something to show.
* Shelters. Planned transfer per town = 60 % of its shelters' capacity; people moved follow a
  logistic ramp centred 18 h before the 30-kt circle reaches the town (95 % moved ~6 h before);
  each shelter fills with its share of the town's capacity.

Hash-seeded per (vessel or town, track): no random state, no dependence on call order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from citybrain.geo import haversine_m
from citybrain.typhoon.circles import StormPath, bearing, destination
from citybrain.typhoon.exposure import samples

KNOTS_KMH = 1.852
SPEED_KN = 9.0
AT_SEA_SHARE = 0.85
STRAGGLER_SHARE = 0.06
PLAN_SHARE = 0.6
#: Longitudes (°E) where a band is sampled: the home fleets fish within ~110 km of Xiangshan and Zhoushan.
BAND_LONS = np.arange(121.5, 123.51, 0.25)


@dataclass(frozen=True)
class Bands:
    """Latitude bands (lower edges, °N, ascending; the last band is open above) with the lead time (h)
    of each band's back-to-port deadline before the 30-kt circle reaches it."""

    edges: tuple[float, ...] = (27.0, 28.0, 29.0, 30.0, 31.0)
    lead_h: tuple[float, ...] = field(default=(12.0, 12.0, 12.0, 12.0, 12.0))

    def index(self, lat: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(np.asarray(self.edges), np.asarray(lat), side="right") - 1, 0, len(self.edges) - 1)

    def label(self, i: int) -> str:
        hi = self.edges[i + 1] if i + 1 < len(self.edges) else None
        return f"{self.edges[i]:g}–{hi:g}°N" if hi is not None else f"≥{self.edges[i]:g}°N"


def _u(key: str, n: int = 1) -> np.ndarray:
    """``n`` deterministic uniforms in [0, 1) from a text key."""
    h = hashlib.sha256(key.encode()).digest()
    return np.frombuffer(h[: 4 * n], dtype="<u4").astype("float64") / 2 ** 32


def band_deadlines(path: StormPath, bands: Bands) -> pd.DataFrame:
    """Per band: the first time the 30-kt circle reaches it and the back-to-port deadline (NaT when never)."""
    ts = samples(path)
    rows = []
    for i, lo in enumerate(bands.edges):
        hi = bands.edges[i + 1] if i + 1 < len(bands.edges) else lo + 1.0
        lat = np.repeat(np.arange(lo, hi + 1e-9, 0.25), len(BAND_LONS))
        lon = np.tile(BAND_LONS, len(lat) // len(BAND_LONS))
        hit = path.inside(ts, 30, lon, lat).any(axis=1) if path.has_radii else np.zeros(len(ts), bool)
        first = ts[np.argmax(hit)] if hit.any() else np.datetime64("NaT")
        dl = first - np.timedelta64(int(bands.lead_h[i] * 60), "m") if hit.any() else np.datetime64("NaT")
        rows.append({"band": bands.label(i), "lat_min": lo, "reach": pd.Timestamp(first), "deadline": pd.Timestamp(dl)})
    return pd.DataFrame(rows)


def plan_fleet(path: StormPath, track_id: str, vessels: pd.DataFrame, ports: pd.DataFrame,
               land: shapely.Geometry | None, bands: Bands, month: int) -> pd.DataFrame:
    """One row per vessel of ``vessels`` (entity_id, home_port_id, exempt, aug_permit): at sea or not,
    spot, home quay, band, departure and arrival times (NaT for boats in port all along)."""
    quay = ports.set_index("entity_id")[["lon", "lat"]]
    dl = band_deadlines(path, bands)
    start = pd.Timestamp(path.ts[0])
    rows = []
    for v in vessels.itertuples(index=False):
        if v.home_port_id not in quay.index:
            continue
        qlon, qlat = (float(x) for x in quay.loc[v.home_port_id])
        u = _u(f"{track_id}:{v.entity_id}", 8)
        allowed = bool(v.exempt) or (bool(v.aug_permit) and month >= 8)
        at_sea = allowed and u[0] < AT_SEA_SHARE
        slon = slat = np.nan
        depart = arrive = pd.NaT
        band = int(bands.index(np.array([qlat]))[0])
        straggler = False
        if at_sea:
            reach = min(110.0, float(v.permitted_zone_km or 110.0))
            for k in range(6):  # redraw off land (deterministic)
                uu = _u(f"{track_id}:{v.entity_id}:spot{k}", 2)
                lon_, lat_ = destination(qlon, qlat, 40.0 + 130.0 * uu[0], 25.0 + (max(reach, 30.0) - 25.0) * uu[1])
                if land is None or not shapely.contains_xy(land, float(lon_), float(lat_)):
                    slon, slat = float(lon_), float(lat_)
                    break
            if np.isnan(slon):
                at_sea = False
        if at_sea:
            band = int(bands.index(np.array([slat]))[0])
            deadline = dl["deadline"].iloc[band]
            km = float(haversine_m(slon, slat, qlon, qlat)) / 1000.0
            transit = pd.Timedelta(hours=km / (SPEED_KN * KNOTS_KMH))
            straggler = bool(u[1] < STRAGGLER_SHARE)
            if pd.isna(deadline):
                depart = pd.NaT  # no circle ever reaches the band: the boat keeps fishing
            elif straggler:
                depart = dl["reach"].iloc[band] + pd.Timedelta(hours=4 * u[2])
            else:
                depart = max(start, deadline - transit - pd.Timedelta(hours=2 + 6 * u[3]))
            arrive = depart + transit if not pd.isna(depart) else pd.NaT
        rows.append({"entity_id": v.entity_id, "home_port_id": v.home_port_id, "at_sea_start": at_sea,
                     "spot_lon": slon, "spot_lat": slat, "quay_lon": qlon, "quay_lat": qlat, "band": band,
                     "straggler": straggler, "depart": depart, "arrive": arrive})
    return pd.DataFrame(rows)


def fleet_at(plan: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Where every planned vessel is at ``at``: state (fishing / returning / in_port) and position."""
    at = pd.Timestamp(at)
    sea = plan["at_sea_start"].to_numpy(bool)
    dep = plan["depart"].to_numpy("datetime64[us]")
    arr = plan["arrive"].to_numpy("datetime64[us]")
    t = np.datetime64(at.to_datetime64(), "us")
    fishing = sea & (np.isnat(dep) | (t < dep))
    returning = sea & ~fishing & (t < arr)
    state = np.where(fishing, "fishing", np.where(returning, "returning", "in_port"))
    span = (arr - dep).astype("timedelta64[s]").astype("float64")
    w = np.where(returning & (span > 0), (t - dep).astype("timedelta64[s]").astype("float64") / np.where(span > 0, span, 1), 0.0)
    lon = np.where(state == "in_port", plan["quay_lon"], plan["spot_lon"] + (plan["quay_lon"] - plan["spot_lon"]) * w)
    lat = np.where(state == "in_port", plan["quay_lat"], plan["spot_lat"] + (plan["quay_lat"] - plan["spot_lat"]) * w)
    return plan.assign(state=state, lon=lon, lat=lat)


def distance_to_circle_km(path: StormPath, at: pd.Timestamp, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance (km) from each point to the edge of the 30-kt circle at ``at``: negative inside, NaN
    when there is no circle then."""
    tt = np.array([np.datetime64(pd.Timestamp(at).to_datetime64(), "us")])
    clon, clat, ok = path.centre(tt)
    if not ok[0] or len(lon) == 0:
        return np.full(len(lon), np.nan)
    d = haversine_m(clon[0], clat[0], lon, lat) / 1000.0
    r = path.radius_km(tt, 30, bearing(clon[0], clat[0], lon, lat)[None, :])[0]
    return np.round(d - r, 1)


def moved_share(hours_to_arrival: np.ndarray) -> np.ndarray:
    """Share of a town's planned transfer moved, by hours left before the 30-kt circle arrives."""
    x = np.clip((np.asarray(hours_to_arrival, dtype="float64") - 18.0) / 4.0, -50.0, 50.0)
    return 1.0 / (1.0 + np.exp(x))
