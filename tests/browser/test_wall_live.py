"""A batch pushed to a running server shows on an open wall with no reload, long before the panel's
own timer (60 s for an hourly feed) would fetch it: the wall's 3 s status poll sees the data version
move and every panel asks for its data at once (``assets/wall.js``: ``kick``)."""

from __future__ import annotations

import time
import urllib.request
from datetime import timedelta

import pytest

from citybrain import devserver
from citybrain.feeds import tokens
from citybrain.ops.db import make_engine
from tests.citybrain.feeds.conftest import feeds_template, store  # noqa: F401  (fixtures)
from tests.conftest import TEST_ANCHOR

from .conftest import PageWatch, start_server

pytestmark = pytest.mark.browser
#: The hourly rain panel's own timer (``dashboards/wall/view.refresh_ms``: a quarter of the cadence, at most 60 s).
PANEL_TIMER_S = 60


def test_a_pushed_batch_is_on_an_open_wall_without_waiting_for_the_panel_timer(browser, store):  # noqa: F811
    port = devserver.free_port()
    proc = start_server(store, port)
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        w = PageWatch(ctx.new_page(), f"http://127.0.0.1:{port}")
        w.goto("/wall?playlist=kpi-rainfall_1h&region=330225")
        w.page.wait_for_selector("#wall-root .wall-kpi-big")
        w.page.wait_for_function("window.cbWall && cbWall.version && cbWall.acks >= 0", timeout=30000)
        assert "87.6" not in w.page.inner_text("#wall-root")
        token = tokens.add(make_engine(store), "gauges", "water")
        ts = (TEST_ANCHOR + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00")
        body = f"indicator_id,region_code,entity_id,ts,value,quality\nrainfall_1h,330225,,{ts},87.6,good\n".encode()
        req = urllib.request.Request(f"{w.base}/api/v1/ingest/water?kind=observations", data=body, method="POST",
                                     headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
        t0 = time.monotonic()
        w.page.wait_for_function("document.querySelector('#wall-root .wall-kpi-big .wall-kpi-value')"
                                 ".innerText === '87.6mm'", timeout=PANEL_TIMER_S * 1000 // 3)
        seen = time.monotonic() - t0
        assert seen < PANEL_TIMER_S / 3, seen
        assert w.page.evaluate("cbWall.reloads") == 0, "no page reload"
        # the hero value fits its card (it used to end in '87.6…' at 1920 px)
        fits = w.page.evaluate("(() => { const e = document.querySelector('#wall-root .wall-kpi-big .wall-kpi-value');"
                               " return e.scrollWidth <= e.clientWidth; })()")
        assert fits, w.page.evaluate("(() => { const e = document.querySelector('#wall-root .wall-kpi-big .wall-kpi-value'); return [e.scrollWidth, e.clientWidth, getComputedStyle(e).fontSize, e.getAttribute('style'), e.parentElement.clientWidth]; })()")
        w.shot("wall-live-pushed")
        w.assert_clean()
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=30)
