"""GCJ-02 <-> WGS-84 conversion against published pairs; round trip under a metre."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, Polygon

from citybrain.geo import gcj02_to_wgs84, geometry_gcj02_to_wgs84, haversine_m, wgs84_to_gcj02

# Published test vectors (WGS-84 lat, lon -> GCJ-02 lat, lon) used by the open eviltransform
# implementations in several languages: Shanghai, Shenzhen, Beijing.
PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize("wlat,wlon,glat,glon", PAIRS)
def test_forward_matches_published(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert haversine_m(lon, lat, glon, glat) < 0.01


@pytest.mark.parametrize("wlat,wlon,glat,glon", PAIRS)
def test_inverse_matches_published(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, wlon, wlat) < 1.0


def test_round_trip_over_seed_regions_under_one_metre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(115, 123, 2000)   # Lixin .. Zhoushan
    lat = rng.uniform(28.5, 41, 2000)   # Xiangshan .. Yingkou
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert haversine_m(lon, lat, *back).max() < 1.0


def test_offset_near_shipu_is_half_a_kilometre():
    # Shipu fishing port, Xiangshan: the GCJ-02 shift is about 0.4–0.6 km there.
    lon, lat = 121.945, 29.21
    d = haversine_m(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert 400 < float(d) < 600


def test_geometry_conversion_moves_every_vertex():
    sq = Polygon([(121.9, 29.2), (122.0, 29.2), (122.0, 29.3), (121.9, 29.2)])
    moved = geometry_gcj02_to_wgs84(sq)
    for (x0, y0), (x1, y1) in zip(sq.exterior.coords, moved.exterior.coords):
        assert 300 < float(haversine_m(x0, y0, x1, y1)) < 700
    assert geometry_gcj02_to_wgs84(Point(121.9, 29.2)).distance(Point(121.9, 29.2)) > 0.003
