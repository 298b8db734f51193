"""/d/typhoon and the wall's ``typhoon`` preset in headless Chromium at 1920×1080 and 3840×2160: the
wind circles are drawn, the whole track lies inside the map's view, the replay clock moves the page,
nothing leaves the host and the console stays clean."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

GRAPH = "#typhoon-graph .js-plotly-plot"
INSIDE = """(sel) => {
    const gd = document.querySelector(sel);
    const tr = gd._fullData.find(t => t.uid === 'typhoon-track');
    const b = gd._fullLayout.map._subplot.map.getBounds();
    const out = tr.lon.filter((x, i) => !b.contains([x, tr.lat[i]]));
    const m = gd._fullLayout.map._subplot.map, c = m.getCanvas();
    const px = tr.lon.map((x, i) => m.project([x, tr.lat[i]]));
    const fx = (Math.max(...px.map(p => p.x)) - Math.min(...px.map(p => p.x))) / c.clientWidth;
    const fy = (Math.max(...px.map(p => p.y)) - Math.min(...px.map(p => p.y))) / c.clientHeight;
    return {n: tr.lon.length, outside: out.length, fill: Math.max(fx, fy),
            wide: (gd.layout.map.layers || []).some(l => l.name === 'basemap-wide'),
            uids: gd._fullData.map(t => t.uid), r30: (gd._fullData.find(t => t.uid === 'typhoon-r30') || {lon: []}).lon.length};
}"""


def _ready(w, path: str = "/d/typhoon") -> dict:
    w.goto(path)
    w.page.wait_for_selector(f"{GRAPH} canvas", timeout=60000)
    w.page.wait_for_function(f"""() => {{ const gd = document.querySelector('{GRAPH}');
        return gd && gd._fullData && gd._fullData.some(t => t.uid === 'typhoon-r30'); }}""", timeout=60000)
    w.page.wait_for_timeout(1000)
    return w.page.evaluate(INSIDE, GRAPH)


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_typhoon_page(open_page, size):
    w = open_page(*size)
    info = _ready(w)
    assert info["r30"] == 73 and "typhoon-r50" in info["uids"]  # both circles drawn (closed 72-point rings)
    assert info["n"] > 50 and info["outside"] == 0, info  # the whole track inside the view
    assert info["fill"] > 0.75 and info["wide"], info  # drawn large; East Asia's land under the basemap
    assert w.page.locator("#typhoon-exposure-grid .ag-row").count() > 5
    assert "级" in w.page.inner_text("#typhoon-level")
    href = w.page.get_attribute("#typhoon-export-exposure", "href")
    assert href.startswith("/api/v1/dashboards/typhoon/views/exposure.csv?region=330225")  # the default moment
    assert w.page.locator("#typhoon-rainfall-grid .ag-row").count() >= 3  # rain at the region's stations
    assert w.page.get_attribute("#typhoon-export-rainfall", "href").startswith(
        "/api/v1/dashboards/typhoon/views/rainfall.csv?region=330225")
    w.shot(f"typhoon_{size[0]}x{size[1]}")
    w.assert_clean()


def test_replay_clock_moves_the_page(open_page):
    w = open_page(1920, 1080)
    _ready(w)
    before = w.page.inner_text("#typhoon-time")
    w.page.locator("#typhoon-speed").click()
    w.page.locator(".Select-menu-outer, [role=option]", has_text="3600×").first.click()
    w.page.click("#typhoon-play")
    w.page.wait_for_function("(b) => document.querySelector('#typhoon-time').innerText !== b", arg=before,
                             timeout=30000)
    w.page.click("#typhoon-play")  # pause
    assert w.page.inner_text("#typhoon-time") != before
    w.page.wait_for_function("() => document.querySelector('#typhoon-export-exposure').getAttribute('href')"
                             ".startsWith('/api/v1/typhoons/JMA-2106/exposure.csv?region=330225&at=')", timeout=30000)
    assert w.page.get_attribute("#typhoon-export-rainfall", "href").startswith(
        "/api/v1/typhoons/JMA-2106/rainfall.csv?region=330225&at=")
    w.assert_clean()


def test_cma_track_says_no_radii(open_page):
    w = open_page(1920, 1080)
    _ready(w)
    w.page.locator("#typhoon-storm").click()
    w.page.locator("[role=option]", has_text="CMA").last.click()
    w.page.wait_for_function("() => document.querySelector('#typhoon-note').innerText.includes('风圈半径')",
                             timeout=30000)
    info = w.page.evaluate(INSIDE, GRAPH)
    assert "typhoon-r30" not in info["uids"] and info["outside"] == 0
    w.assert_clean()


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_wall_typhoon_preset(open_page, size):
    w = open_page(*size)
    w.goto(f"/wall?playlist=typhoon&canvas={size[0]}x{size[1]}")
    sel = "#wall-step-typhoon .wall-graph .js-plotly-plot"
    w.page.wait_for_function(f"""() => {{ const gd = document.querySelector('{sel}');
        return gd && gd._fullData && gd._fullData.some(t => t.uid === 'typhoon-r30'); }}""", timeout=60000)
    w.page.wait_for_timeout(1000)
    info = w.page.evaluate(INSIDE, sel)
    assert info["r30"] == 73 and info["outside"] == 0, info
    assert info["fill"] > 0.75, info  # the track spans most of the panel, not a small figure in its middle
    assert info["wide"], "the land of East Asia under the basemap: no straight cut across the sea"
    assert "防台风回放" in w.page.inner_text("#wall-step-title")
    w.shot(f"wall_typhoon_{size[0]}x{size[1]}")
    w.assert_clean()
