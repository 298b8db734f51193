"""Sea-space geometry of the fisheries generator: a local km frame, harbour routes, berths, fishing spots.

Everything geometric is done in a local equirectangular frame in kilometres (origin 122.3 E,
29.8 N): over the 2.5 degrees of latitude the dataset spans the scale error stays below 2 %, far
below the precision of the port markers, and distances, speeds and buffers become plain numbers.
Land is the union of the boundaries dataset's polygons of Xiangshan and the Zhoushan districts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from citybrain.sim import random_points_in

LON0, LAT0 = 122.3, 29.8
KX = 111.320 * np.cos(np.radians(LAT0))
KY = 110.574
#: Fishing spots lie in this bearing sector from the port's open-sea gate (degrees from north).
BEARING_DEG = (30.0, 150.0)


def to_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (degrees) -> local x/y (km)."""
    return (np.asarray(lon, dtype="float64") - LON0) * KX, (np.asarray(lat, dtype="float64") - LAT0) * KY


def to_deg(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local x/y (km) -> longitude/latitude (degrees)."""
    return np.asarray(x) / KX + LON0, np.asarray(y) / KY + LAT0


def geom_to_km(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.column_stack(to_km(c[:, 0], c[:, 1])))


@dataclass
class Harbours:
    """Per-port harbour geometry in km: quay, exit route (padded polyline) and open-sea gate."""

    ids: list[str]
    quay: np.ndarray    # (P, 2)
    route: np.ndarray   # (P, V, 2), padded by repeating the last vertex
    cum: np.ndarray     # (P, V) cumulative length along the route
    length: np.ndarray  # (P,)
    gate: np.ndarray    # (P, 2)

    def along(self, port: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Points at distance ``s`` (km) from the quay along each row's port route, shape (n, 2)."""
        cum = self.cum[port]
        s = np.clip(s, 0.0, self.length[port])
        seg = np.clip((cum <= s[:, None]).sum(axis=1) - 1, 0, cum.shape[1] - 2)
        c0 = np.take_along_axis(cum, seg[:, None], 1)[:, 0]
        c1 = np.take_along_axis(cum, seg[:, None] + 1, 1)[:, 0]
        frac = np.where(c1 > c0, (s - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0)
        p0 = self.route[port, seg]
        p1 = self.route[port, seg + 1]
        return p0 + np.clip(frac, 0.0, 1.0)[:, None] * (p1 - p0)


def harbours(ids: list[str], quay_km: np.ndarray, routes: pd.DataFrame) -> Harbours:
    """Build the padded route table; ``routes`` has port_id, seq, x, y (km), starting at the quay."""
    polys = []
    for i, pid in enumerate(ids):
        r = routes.loc[routes["port_id"] == pid].sort_values("seq")
        pts = r[["x", "y"]].to_numpy(dtype="float64")
        if len(pts) < 2:
            raise ValueError(f"port {pid}: exit route needs at least two points")
        pts[0] = quay_km[i]
        polys.append(pts)
    v = max(len(p) for p in polys)
    route = np.stack([np.vstack([p, np.repeat(p[-1:], v - len(p), axis=0)]) for p in polys])
    seg = np.hypot(*np.moveaxis(np.diff(route, axis=1), 2, 0))
    cum = np.concatenate([np.zeros((len(ids), 1)), np.cumsum(seg, axis=1)], axis=1)
    return Harbours(ids, quay_km, route, cum, cum[:, -1], route[:, -1])


class Coast:
    """Land in the km frame with a spatial index, for fast "within d km of land" tests.

    With ``simplify_km`` the outline is simplified (much faster for long lines) and every distance
    test is widened by that tolerance, so a simplified coast never lets a point come closer.
    """

    def __init__(self, land_km: shapely.Geometry, simplify_km: float = 0.0) -> None:
        self.slack = simplify_km
        if simplify_km:
            land_km = shapely.simplify(land_km, simplify_km)
        self.parts = shapely.get_parts(land_km)
        self.tree = shapely.STRtree(self.parts)

    def near(self, geoms: np.ndarray, km: float) -> np.ndarray:
        """True for each geometry within ``km`` of land (0 = touching or crossing it)."""
        if km > 0:
            idx = self.tree.query(geoms, predicate="dwithin", distance=km + self.slack)
        else:
            idx = self.tree.query(geoms, predicate="intersects")
        hit = np.zeros(len(geoms), dtype=bool)
        hit[idx[0]] = True
        return hit


def berths(coast: Coast, quay: np.ndarray, n: int, rng: np.random.Generator,
           clearance_km: float = 0.025) -> np.ndarray:
    """``n`` mooring points in the harbour water around one quay (km), >= ``clearance_km`` off land and
    reachable from the quay in a straight line."""
    radius = 0.15 + 0.01 * np.sqrt(n)
    out = np.empty((0, 2))
    for _ in range(20):
        disc = shapely.Point(*quay).buffer(radius)
        cand = random_points_in(disc, max(4 * n, 64), rng)
        lines = shapely.linestrings(np.stack([np.broadcast_to(quay, cand.shape), cand], axis=1))
        ok = ~coast.near(shapely.points(cand), clearance_km) & ~coast.near(lines, 0.0)
        out = np.vstack([out, cand[ok]])[:n]
        if len(out) == n:
            return out
        radius *= 1.15
    raise ValueError(f"no room for {n} berths near quay {quay}")


def spot_pool(coast: Coast, gate: np.ndarray, r_km: tuple[float, float], margin_km: float,
              n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fishing spots east of ``gate``: >= ``margin_km`` from land, the line from the gate >= 1 km off land.

    Returns (spots (m, 2), distance from gate (m,)) sorted by distance.
    """
    cand_n = 4 * n
    r = np.sqrt(rng.uniform(r_km[0] ** 2, r_km[1] ** 2, cand_n))
    theta = np.radians(rng.uniform(*BEARING_DEG, cand_n))
    pts = gate + np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    lines = shapely.linestrings(np.stack([np.broadcast_to(gate, pts.shape), pts], axis=1))
    ok = ~coast.near(shapely.points(pts), margin_km) & ~coast.near(lines, 1.0)
    pts, r = pts[ok][:n], r[ok][:n]
    order = np.argsort(r, kind="stable")
    return pts[order], r[order]
