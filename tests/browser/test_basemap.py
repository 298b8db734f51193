"""The basemap in headless Chromium: land beyond the region (a point of a neighbouring county lies
in a drawn land polygon), the region (islands included) fits the view on /map, the cockpit's map
panel and the wall, labels drawn locally, the selected item ringed; nothing leaves the host and
the console stays clean."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

pytestmark = pytest.mark.browser

GRAPH = "#map-graph .js-plotly-plot"
#: A point in each region's neighbourhood, on land, outside the region: 宁海县 town (Ninghai), 上海
#: 浦东 (Pudong), 莱西 (Laixi), 涡阳 (Guoyang), 盘山 (Panshan; Panjin).
NEIGHBOUR = {"330225": (121.43, 29.29), "330900": (121.60, 31.15), "370215": (120.52, 36.87),
             "341623": (116.21, 33.50), "210800": (121.98, 41.18)}

FIT = """(sel) => {
    const gd = document.querySelector(sel);
    const m = gd._fullLayout.map._subplot.map;
    const b = m.getBounds();
    const f = gd.layout.meta.cb_fit;
    return {fit: f, view: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()],
            w: m.getContainer().clientWidth, h: m.getContainer().clientHeight};
}"""


def _wait_fitted(w, sel: str) -> None:
    w.page.wait_for_selector(f"{sel}[data-cb-basemap=fitted]", timeout=60000)
    w.page.wait_for_timeout(600)


def _fits(w, sel: str) -> dict:
    r = w.page.evaluate(FIT, sel)
    f, v = r["fit"], r["view"]
    assert v[0] <= f[0] and v[1] <= f[1] and v[2] >= f[2] and v[3] >= f[3], r  # the whole region in view
    # ... and fills it: the region spans most of the map's width or height (not a dot in the middle)
    share = max((f[2] - f[0]) / (v[2] - v[0]), (f[3] - f[1]) / (v[3] - v[1]))
    assert share > 0.6, r
    return r


def _land(w, sel: str) -> shapely.Geometry:
    layers = w.page.evaluate(f"document.querySelector('{sel}').layout.map.layers")
    src = [la["source"] for la in layers if la.get("name") == "basemap-land"]
    assert src, [la.get("name") for la in layers]
    return shapely.union_all([shape(f["geometry"]) for f in src[0]["features"]])


@pytest.mark.parametrize("region", ["330225", "330900"])
def test_map_draws_land_beyond_the_region_and_fits_it(open_page, region):
    w = open_page(1920, 1080)
    w.goto(f"/map?region={region}")
    _wait_fitted(w, GRAPH)
    land = _land(w, GRAPH)
    assert land.contains(shapely.Point(*NEIGHBOUR[region]))
    _fits(w, GRAPH)
    labels = w.page.evaluate("""() => [...document.querySelectorAll('.cb-map-label')]
        .filter(e => e.style.visibility === 'visible').map(e => e.textContent)""")
    assert len(labels) >= 8, labels
    want = {"330225": {"石浦镇", "宁海县"}, "330900": {"舟山市", "嵊泗县", "岱山县"}}[region]
    assert want <= set(labels), labels
    w.shot(f"basemap_map_{region}")
    w.assert_clean()


def test_selected_item_is_ringed_and_english_labels(open_page):
    w = open_page(1920, 1080)
    w.goto("/map?region=330225&lang=en")
    _wait_fitted(w, GRAPH)
    labels = w.page.evaluate("[...document.querySelectorAll('.cb-map-label')].map(e => e.textContent)")
    assert "Ninghai County" in labels and "Shipu" in labels and not any("县" in t for t in labels)
    first = w.page.locator("button.map-alert").first
    first.click()
    w.page.wait_for_selector(".cb-map-selected", state="visible", timeout=20000)
    ring = w.page.locator(".cb-map-selected").bounding_box()
    graph = w.page.locator(GRAPH).bounding_box()
    # the ring sits on the item, which the map centres after the click
    cx, cy = ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2
    w.page.wait_for_function(f"document.querySelector('{GRAPH}')._fullLayout.map.zoom >= 11.9", timeout=15000)
    w.page.wait_for_timeout(800)
    ring = w.page.locator(".cb-map-selected").bounding_box()
    cx, cy = ring["x"] + ring["width"] / 2, ring["y"] + ring["height"] / 2
    assert abs(cx - (graph["x"] + graph["width"] / 2)) < 30 and abs(cy - (graph["y"] + graph["height"] / 2)) < 30
    assert w.page.inner_text(".cb-map-label-selected")
    w.shot("basemap_selected_en")
    w.assert_clean()


@pytest.mark.parametrize("size", [(390, 844), (3840, 2160)])
def test_cockpit_map_panel_fits_zhoushan(open_page, size):
    w = open_page(*size)
    w.goto("/?region=330900")
    sel = ".js-plotly-plot[data-cb-basemap]"
    _wait_fitted(w, sel)
    _fits(w, sel)
    assert _land(w, sel).contains(shapely.Point(*NEIGHBOUR["330900"]))
    w.assert_clean()


def test_wall_map_fits_and_draws_land(open_page):
    w = open_page(1920, 1080)
    w.goto("/wall?playlist=map&region=210800&now=2026-07-15T12:05")
    sel = ".js-plotly-plot[data-cb-basemap]"
    _wait_fitted(w, sel)
    _fits(w, sel)
    assert _land(w, sel).contains(shapely.Point(*NEIGHBOUR["210800"]))
    w.shot("basemap_wall_210800")
    w.assert_clean()
