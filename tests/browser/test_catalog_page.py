"""The catalog page in headless Chromium: renders Chinese, lists every dataset, switches language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_catalog_renders_every_dataset(open_page, built_store):
    from citybrain.manifest import discover

    names = [m.name for m in discover(built_store.datasets_dir)]
    w = open_page(1920, 1080)
    w.goto("/catalog")
    w.page.wait_for_selector("#catalog-datasets-grid .ag-row")
    text = w.page.inner_text("#catalog-datasets-grid")
    for n in names:
        assert n in text
    assert "数据资源目录" in w.page.inner_text("h1")
    assert "象山县" in w.page.inner_text("#catalog-summary")
    w.shot("catalog-1920x1080")
    w.assert_clean()


def test_catalog_region_and_language(open_page):
    w = open_page(1920, 1080)
    w.goto("/catalog?region=341623&lang=en")
    w.page.wait_for_selector("#catalog-datasets-grid .ag-row")
    assert "Data catalog" in w.page.inner_text("h1")
    assert "Lixin County" in w.page.inner_text("#catalog-summary")
    w.page.click("#shell-lang")
    w.page.wait_for_function("document.querySelector('h1').innerText.includes('数据资源目录')")
    assert "lang=zh" in w.page.url and "region=341623" in w.page.url
    w.assert_clean()


def test_catalog_on_a_phone(open_page):
    w = open_page(375, 812, scale=2)
    w.goto("/catalog")
    w.page.wait_for_selector("#catalog-datasets-grid .cb-card")  # a phone shows the grid's rows as cards
    width = w.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"page scrolls sideways on a phone: {width}px"
    w.shot("catalog-phone-375")
    w.assert_clean()


def test_root_serves_the_leaders_cockpit(open_page):
    w = open_page()
    w.goto("/")
    w.page.wait_for_selector("[id^='overview-']")
    w.assert_clean()
