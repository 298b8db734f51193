"""Sea is drawn as sea: 象山港, the long bay north of 象山 that the administrative polygons of 象山 and
its neighbours cover (their borders run down the middle of the water), is not inside any land
polygon the map draws, while the land on either side still is. Checked on the real built store,
through the figure the map sends to the browser (every MapLibre ``fill`` layer: the neighbours' land,
China's coarse land, the region's own land)."""

from __future__ import annotations

from datetime import datetime

import pytest
import shapely
from shapely.geometry import shape

from citybrain.store import get_store
from layers.figure import map_figure_dict

ANCHOR = datetime(2026, 7, 15, 12, 0)
#: Middle of 象山港 (WGS-84): between 西周/墙头 (象山) and 莼湖/松岙 (奉化), at its narrow middle, at
#: its mouth (between 贤庠 and 梅山), and in its inner arm 西沪港 (all sea on OpenStreetMap).
BAY = [(121.70, 29.555), (121.62, 29.52), (121.86, 29.64), (121.80, 29.49)]
#: Land: 象山's county town 丹城, 西周 town (on the bay's south shore), 宁海 town, 咸祥 (鄞州, north shore).
LAND = [(121.87, 29.47), (121.67, 29.47), (121.43, 29.29), (121.70, 29.66)]


@pytest.fixture(scope="module")
def xiangshan(built_store):
    store = get_store(built_store.db)
    fig = map_figure_dict("330225", ["boundaries"], ANCHOR, "zh", store=store)
    fills = [la for la in fig["layout"]["map"]["layers"] if la.get("type") == "fill"]
    drawn = shapely.union_all([shape(f["geometry"]) for la in fills for f in la["source"]["features"]])
    area = shapely.from_wkb(bytes(store.columns("SELECT geometry FROM regions WHERE region_code = '330225'")["geometry"][0]))
    return drawn, area


@pytest.mark.parametrize("point", BAY)
def test_xiangshan_bay_is_sea(xiangshan, point):
    drawn, _area = xiangshan
    assert not drawn.contains(shapely.Point(point)), point


def test_bay_lies_in_the_administrative_area(xiangshan):
    """The region's area (what 'in the region' means for places and scopes) still covers its half of
    the bay: only the drawing leaves the water out."""
    _drawn, area = xiangshan
    assert area.contains(shapely.Point(BAY[1])) and area.contains(shapely.Point(BAY[3]))


@pytest.mark.parametrize("point", LAND)
def test_land_around_the_bay_is_land(xiangshan, point):
    drawn, _area = xiangshan
    assert drawn.contains(shapely.Point(point)), point
