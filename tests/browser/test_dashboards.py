"""Every dashboard at 1920x1080 and 375x812: loads clean (no console errors, nothing leaves the
host), no horizontal scrolling on the phone, and a KPI click opens the drill-down."""

from __future__ import annotations

import pytest

PAGES = ["/", "/d/fisheries", "/d/traffic", "/d/water", "/d/emergency",
         "/d/targets", "/d/data"]
SIZES = [(1920, 1080), (375, 812)]


def _name(path: str) -> str:
    return "overview" if path == "/" else path.rsplit("/", 1)[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("path", PAGES, ids=_name)
def test_dashboard_page(open_page, path, size):
    w = open_page(*size)
    w.goto(path)
    w.page.wait_for_selector(".dash-page", timeout=30000)
    w.page.wait_for_timeout(800)
    w.shot(f"dashboard-{_name(path)}-{size[0]}")
    if size[0] < 500:
        overflow = w.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"page scrolls horizontally by {overflow}px"
    cards = w.page.locator(".kpi-card")
    if cards.count():
        cards.first.click(position={"x": 20, "y": 12})
        w.page.wait_for_selector(".kpi-drill-open", timeout=20000)
        w.page.wait_for_timeout(500)
        w.page.locator(".kpi-range input[value='30d']").check()
        w.page.wait_for_timeout(800)
        w.shot(f"dashboard-{_name(path)}-{size[0]}-drill")
        assert w.page.locator(".kpi-drill-open .js-plotly-plot").count() == 2
    w.assert_clean()


def test_not_applicable_and_english(open_page):
    w = open_page(1920, 1080)
    w.goto("/d/fisheries?region=341623")
    w.page.wait_for_selector("#fisheries-na", timeout=30000)
    assert "本地区不适用" in w.page.inner_text("#fisheries-na")
    w.shot("dashboard-fisheries-lixin")
    w.goto("/d/water?lang=en")
    w.page.wait_for_selector(".dash-page", timeout=30000)
    assert "Water and flood defence" in w.page.inner_text(".dash-page h1")
    w.assert_clean()
