"""/map in headless Chromium: loads, toggles every layer, moves and plays the slider, clicks an
entity and an alert, replays a typhoon; zero external requests and no console errors."""

from __future__ import annotations

import pytest

from layers.registry import layer_ids

pytestmark = pytest.mark.browser

GRAPH = "#map-graph .js-plotly-plot"


def _ready(w, path: str = "/map") -> None:
    w.goto(path)
    w.page.wait_for_selector(f"{GRAPH} canvas", timeout=30000)
    w.page.wait_for_selector("#map-counts .map-count", timeout=30000)
    w.page.wait_for_timeout(800)


def _label(w) -> str:
    return w.page.inner_text("#map-time-label")


def _click_first_alert(w) -> str:
    """Click the first alert of a place on the map (indicator rows are text) and return its name,
    read from the very element clicked (the list may re-render a moment later)."""
    full = w.page.evaluate("""() => {
        const b = document.querySelector('button.map-alert');
        const n = b.querySelector('.map-alert-name').innerText;
        b.click();
        return n;
    }""")
    return full.split(" · ", 1)[1].split("：", 1)[0]


def _wait_detail(w, name: str) -> None:
    w.page.wait_for_function(
        f"document.querySelector('#map-detail-name') && document.querySelector('#map-detail-name').innerText === {name!r}",
        timeout=15000)


def _settled(w) -> None:
    """Wait until the time label and the alert list stop changing (a paused replay's last step landed)."""
    w.page.wait_for_function("""() => {
        const s = document.querySelector('#map-time-label').innerText + '|' + document.querySelector('#map-alerts').innerHTML;
        const now = Date.now();
        if (window.__cbSeen !== s) { window.__cbSeen = s; window.__cbSince = now; return false; }
        return now - window.__cbSince > 1500;
    }""", polling=250, timeout=20000)


def test_map_page_end_to_end(open_page):
    w = open_page(1920, 1080)
    _ready(w)
    assert "一张图" in w.page.inner_text("#map-title")
    assert w.page.locator(".map-alert").count() >= 1
    n_traces = w.page.evaluate(f"document.querySelector('{GRAPH}').data.length")
    assert n_traces >= 20
    style = w.page.evaluate(f"JSON.stringify(document.querySelector('{GRAPH}')._fullLayout.map.style)")
    assert "http" not in style and "glyphs" not in style and "sprite" not in style
    w.shot("map_1920x1080")

    # toggle each layer off and on again: its legend block goes and comes back
    for lid in layer_ids():
        if lid == "boundaries":
            continue
        box = w.page.locator(f"#map-layers input[value='{lid}']")
        box.click()
        w.page.wait_for_selector(f"#map-legend-{lid}", state="detached", timeout=15000)
        box.click()
        w.page.wait_for_selector(f"#map-legend-{lid}", timeout=15000)

    # click an entity on the map (the Xiangshan Harbour Bridge checkpoint): the detail panel shows it with a sparkline
    xy = w.page.evaluate(f"""() => {{
        const gd = document.querySelector('{GRAPH}');
        const tr = gd._fullData.find(t => t.uid === 'traffic-checkpoints');
        const i = tr.customdata.indexOf('traffic|TRF-330225-CP01');
        const m = gd._fullLayout.map._subplot.map;
        const p = m.project([tr.lon[i], tr.lat[i]]);
        const r = m.getCanvas().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }}""")
    w.page.wait_for_timeout(1500)  # let the last replay update settle
    w.page.mouse.move(xy[0] - 30, xy[1] - 30)
    w.page.mouse.move(xy[0], xy[1], steps=6)
    w.page.wait_for_timeout(300)
    w.page.mouse.click(xy[0], xy[1])
    w.page.wait_for_selector("#map-detail-name", timeout=20000)
    assert "象山港大桥南岸卡口" in w.page.inner_text("#map-detail")
    w.page.wait_for_selector("#map-spark", timeout=15000)

    # move the slider to the start of the window
    before = _label(w)
    w.page.locator("#map-slider [role='slider']").first.focus()
    w.page.keyboard.press("Home")
    w.page.wait_for_function(f"document.querySelector('#map-time-label').innerText !== {before!r}", timeout=15000)
    moved = _label(w)
    assert moved < before

    # play: time advances, and an alert clicked while the list re-renders at every step still opens
    w.page.click("#map-play")
    w.page.wait_for_function(f"document.querySelector('#map-time-label').innerText !== {moved!r}", timeout=15000)
    name = _click_first_alert(w)
    _wait_detail(w, name)
    # pause: the time stays where it is
    w.page.click("#map-play")
    assert _label(w) > moved
    _settled(w)

    # click an alert: the detail panel shows it and the map zooms to it
    name = _click_first_alert(w)
    _wait_detail(w, name)
    w.page.wait_for_function(f"document.querySelector('{GRAPH}')._fullLayout.map.zoom >= 11.9", timeout=15000)
    w.shot("map_alert_zoom")
    w.assert_clean()


def test_map_page_typhoon_replay_and_4k(open_page):
    w = open_page(3840, 2160)
    _ready(w)
    w.page.click("#map-window")
    w.page.get_by_text("CMA-1909").first.click()
    w.page.wait_for_function("document.querySelector('#map-time-label').innerText.includes('CMA-1909')", timeout=20000)
    before = _label(w)
    w.page.locator("#map-slider [role='slider']").first.focus()
    w.page.keyboard.press("End")
    w.page.wait_for_function(f"document.querySelector('#map-time-label').innerText !== {before!r}", timeout=20000)
    w.page.wait_for_timeout(1500)
    w.page.wait_for_function(
        f"(document.querySelector('{GRAPH}')._fullData.find(t => t.uid === 'emergency-typhoon') || {{lon: []}}).lon.length === 1",
        timeout=20000)
    w.shot("map_3840x2160_typhoon")
    w.assert_clean()


def test_map_page_lixin_and_english(open_page):
    w = open_page(1920, 1080)
    _ready(w, "/map?region=341623&lang=en")
    assert "One map" in w.page.inner_text("#map-title")
    legend = w.page.inner_text("#map-legend-fisheries")
    assert "Not applicable" in legend and "Lixin" in legend and "利辛" not in legend  # the reason, in English
    # the English header stays one line at 1920 px, so the whole time bar (marks included) is on screen
    nav = w.page.locator("#shell-nav").bounding_box()
    assert nav["height"] < 50, nav
    bar = w.page.locator(".map-timebar").bounding_box()
    assert bar["y"] + bar["height"] <= 1080, bar
    w.shot("map_lixin_en")
    w.assert_clean()
