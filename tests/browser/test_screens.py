"""Every screen: a phone at 390×844 never scrolls sideways on any page and gets the one-map at full
width, the cockpit's "what is red" list first and tables as cards; a 3840×2160 screen shows the
1920 design at twice the size (heading and KPI values ≥ 1.8× as tall, chart tick labels and grid rows
too, and no grid column on /alarms cut)."""

from __future__ import annotations

import pytest

PAGES = ["/", "/d/fisheries", "/d/traffic", "/d/water", "/d/emergency", "/d/targets", "/d/data", "/map",
         "/catalog", "/alarms", "/workorders"]
SIDEWAYS = "document.scrollingElement.scrollWidth - window.innerWidth"


def _name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "overview"


def _ready(w, path: str) -> None:
    w.goto(path)
    try:
        w.page.wait_for_selector(".cb-page", timeout=120000)
    except Exception as exc:  # name the page (a shared CI machine can be slow, never this slow)
        raise AssertionError(f"{path} did not render: {w.console_errors[:3]}") from exc
    w.page.wait_for_timeout(1200)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_never_scrolls_sideways(open_page, lang):
    w = open_page(390, 844)
    for path in PAGES:
        _ready(w, f"{path}?lang={lang}")
        over = w.page.evaluate(SIDEWAYS)
        assert over <= 0, f"{path} ({lang}) scrolls sideways by {over}px"
        if path == "/map":
            frac = w.page.evaluate("document.querySelector('#map-graph').getBoundingClientRect().width / innerWidth")
            assert frac >= 0.9, f"the map is {frac:.0%} of the phone's width"
        w.shot(f"screens-{_name(path)}-390-{lang}")
    # a drill-down opened on the phone stays inside the screen too
    _ready(w, f"/?lang={lang}")
    w.page.locator(".kpi-card").first.click(position={"x": 20, "y": 12})
    w.page.wait_for_selector(".kpi-drill-open .js-plotly-plot", timeout=30000)
    w.page.wait_for_timeout(800)
    assert w.page.evaluate(SIDEWAYS) <= 0
    w.assert_clean()


@pytest.mark.browser
def test_phone_cockpit_order_map_sheet_and_cards(open_page):
    w = open_page(390, 844)
    _ready(w, "/")
    tops = w.page.evaluate("""() => ['#overview-red', '#overview-cards', '#overview-changes'].map(
        s => document.querySelector(s).getBoundingClientRect().top)""")
    assert tops == sorted(tops), f"what is red, then the cards, then the rest: {tops}"
    assert w.page.locator("#overview-red").is_visible()
    # the map: layers in a drawer from the button, details and alerts in a bottom sheet
    _ready(w, "/map")
    assert not w.page.locator(".map-side").is_visible()
    w.page.locator(".map-layers-btn").click()
    w.page.wait_for_selector(".map-side", state="visible", timeout=5000)
    w.page.mouse.click(385, 420)  # a tap beside the drawer closes it
    w.page.wait_for_selector(".map-side", state="hidden", timeout=5000)
    w.page.locator(".map-sheet-handle").click()
    w.page.wait_for_selector(".map-sheet-open #map-alerts", state="visible", timeout=5000)
    sheet = w.page.evaluate("document.querySelector('.map-right').getBoundingClientRect().bottom")
    assert abs(sheet - 844) <= 1
    # tables become cards, one per row, built from the grid's rows
    _ready(w, "/d/targets")
    w.page.wait_for_selector("#targets-table-grid .cb-card", timeout=30000)
    n_cards = w.page.locator("#targets-table-grid .cb-card").count()
    n_rows = w.page.evaluate("dash_ag_grid.getApi('targets-table-grid').getDisplayedRowCount()")
    assert n_cards == min(n_rows, 60) and n_cards > 0
    assert not w.page.locator("#targets-table-grid .ag-root-wrapper").is_visible()
    w.assert_clean()


def _heights(w, path: str) -> dict:
    _ready(w, path)
    w.page.wait_for_timeout(600)
    return w.page.evaluate("""() => { const h = s => { const e = document.querySelector(s);
        return e ? e.getBoundingClientRect().height : null; };
        return {h1: h('h1'), kpi: h('.kpi-value'), sw: document.scrollingElement.scrollWidth - innerWidth}; }""")


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/map", "/d/water", "/d/targets"], ids=_name)
def test_4k_is_the_1920_design_at_twice_the_size(open_page, path):
    hd = _heights(open_page(1920, 1080), path)
    big = open_page(3840, 2160)
    uhd = _heights(big, path)
    big.shot(f"screens-{_name(path)}-3840")
    assert uhd["h1"] >= 1.8 * hd["h1"], (hd, uhd)
    if hd["kpi"]:
        assert uhd["kpi"] >= 1.8 * hd["kpi"], (hd, uhd)
    assert uhd["sw"] <= 0 and hd["sw"] <= 0
    big.assert_clean()


@pytest.mark.browser
def test_bad_progress_upload_names_row_and_field(open_page, tmp_path):
    """An analyst (the role of a server without sign-in) sees the recording form; a bad CSV is refused
    with its row and field named, and nothing is stored."""
    w = open_page(1920, 1080)
    _ready(w, "/d/targets")
    w.page.wait_for_selector("#targets-record:not(.tg-hidden)", timeout=30000)
    bad = tmp_path / "progress.csv"
    bad.write_text("region_code,indicator_id,year,value,source,note\n"
                   "330225,mobile_service_rate,2021,九十,统计公报,\n", encoding="utf-8")
    w.page.locator("#targets-record-upload input[type=file]").set_input_files(str(bad))
    w.page.wait_for_function("document.querySelector('#targets-record-msg').innerText.includes('未保存')",
                             timeout=30000)
    msg = w.page.inner_text("#targets-record-msg")
    assert "第 2 行" in msg and "value" in msg
    w.assert_clean()


MEASURE = """() => {
    const q = s => Array.from(document.querySelectorAll(s));
    const tick = q('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text')[0];
    const row = q('.cb-grid .ag-center-cols-container .ag-row')[0];
    const cut = e => e.scrollWidth > e.clientWidth + 1;
    return {tick: tick ? parseFloat(getComputedStyle(tick).fontSize) : null,
            row: row ? row.getBoundingClientRect().height : null,
            headers: q('.cb-grid .ag-header-cell-text').filter(cut).map(e => e.textContent),
            cells: q(['severity', 'state', 'raised'].map(c => `.cb-grid .ag-cell[col-id=${c}] .ag-cell-value`).join(', '))
                .filter(cut).map(e => e.textContent)};
}"""


def _measure(w, path: str) -> dict:
    _ready(w, path)
    w.page.wait_for_selector(".cb-grid .ag-row", timeout=60000)
    w.page.wait_for_timeout(800)
    return w.page.evaluate(MEASURE)


@pytest.mark.browser
def test_4k_charts_and_grids_scale_with_the_page(open_page):
    """assets/scale.js: a chart's tick labels and a grid's rows at 3840×2160 are the 1920 design's at
    twice the size, and on /alarms no header nor a narrow column (severity, state, raised) is cut."""
    hd = _measure(open_page(1920, 1080), "/d/water")
    big = open_page(3840, 2160)
    uhd = _measure(big, "/d/water")
    assert hd["tick"] and uhd["tick"] >= 1.8 * hd["tick"], (hd, uhd)
    assert hd["row"] and uhd["row"] >= 1.8 * hd["row"], (hd, uhd)
    for lang in ("zh", "en"):
        alarms = _measure(big, f"/alarms?lang={lang}")
        big.shot(f"screens-alarms-3840-{lang}")
        assert not alarms["headers"] and not alarms["cells"], alarms
    big.assert_clean()
