"""A batch pushed to a running server shows on an open /map and an open cockpit with no page reload
(``assets/live.js``: the pages poll the served data version and draw again when it moves)."""

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
#: The issue's budget from a push to the screen; the asserts allow twice that for CI load.
VISIBLE_S = 10


def push(base: str, token: str, line: str) -> None:
    body = f"indicator_id,region_code,entity_id,ts,value,quality\n{line}\n".encode()
    req = urllib.request.Request(f"{base}/api/v1/ingest/water?kind=observations", data=body, method="POST",
                                 headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200


def test_map_and_cockpit_follow_a_push_without_a_reload(browser, store):  # noqa: F811
    port = devserver.free_port()
    proc = start_server(store, port)
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        token = tokens.add(make_engine(store), "gauges", "water")
        m = PageWatch(ctx.new_page(), f"http://127.0.0.1:{port}")
        m.goto("/map?region=330225")
        m.page.wait_for_function("(document.querySelector('#map-time-label') || {}).innerText > ''", timeout=60000)
        before = m.page.inner_text("#map-time-label")
        c = PageWatch(ctx.new_page(), m.base)
        c.goto("/?region=330225")
        c.page.wait_for_selector("#overview-cards .kpi-card")
        for w in (m, c):
            w.page.evaluate("window.__notReloaded = true")
        history_before = c.page.evaluate("history.length")
        shown_before = c.page.get_attribute("#overview-page", "data-live-version")
        assert "99" not in c.page.inner_text("#overview-cards")

        later = TEST_ANCHOR + timedelta(hours=1)
        push(m.base, token, f"stations_over_warning,330225,,{later:%Y-%m-%dT%H:00:00},99,good")
        t0 = time.monotonic()
        want = f"{later:%Y-%m-%d %H}:00"
        m.page.wait_for_function(f"document.querySelector('#map-time-label').innerText.startsWith('{want}')",
                                 timeout=VISIBLE_S * 2000)
        map_s = time.monotonic() - t0
        c.page.wait_for_function("document.querySelector('#overview-page').getAttribute('data-live-version') !== "
                                 f"'{shown_before}' && document.querySelector('#overview-cards').innerText.includes('99')",
                                 timeout=VISIBLE_S * 2000)
        cockpit_s = time.monotonic() - t0
        assert before != m.page.inner_text("#map-time-label")
        for w in (m, c):
            assert w.page.evaluate("window.__notReloaded === true"), "the page was not reloaded"
            assert w.page.evaluate("cbLive.refreshes") >= 1
        # the cockpit's soft refresh left no history entry behind (Back still leaves the page)
        assert c.page.evaluate("history.length") == history_before
        print(f"pushed batch on /map after {map_s:.1f} s, on the cockpit after {cockpit_s:.1f} s")
        m.shot("map-live-pushed")
        c.shot("cockpit-live-pushed")
        for w in (m, c):
            w.assert_clean()
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=30)
