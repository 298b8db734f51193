"""Wall mode in headless Chromium at 1920×1080 and 3840×2160: the playlist advances by itself, a
stale feed shows its stale state (``now=`` puts the clock 30 minutes after the store's last data,
so the 5-minute feeds are overdue and the hourly ones are not), interaction pauses the rotation,
the canvas scales to 4K with the same composition, and a wall shown with the read-only wall token
survives a server restart: "connection lost" appears, then goes away by itself (no page reload)."""

from __future__ import annotations

import re
import time

from citybrain import devserver

from .conftest import PageWatch, start_server

Q = "?playlist=traffic,water,map&interval=4&refresh=5&now=2026-07-15T12:30"


def active(w: PageWatch) -> str:
    return w.page.evaluate("document.getElementById('wall-root').getAttribute('data-active-step')")


def wait_for(fn, timeout: float = 20.0, step: float = 0.25):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def wait_fitted(w: PageWatch) -> None:
    """The wall script fits the canvas on its first tick after Dash renders #wall-root."""
    w.page.wait_for_function("window.cbWall && cbWall.root && cbWall.root === document.getElementById('wall-root')"
                             " && cbWall.root.style.transform !== ''", timeout=60000)


def check_wall(w: PageWatch, name: str) -> None:
    p = w.page
    p.wait_for_selector("#wall-root")
    wait_fitted(w)
    assert not p.locator(".cb-header").is_visible(), "the shell's navigation must be hidden on the wall"
    assert p.locator(".cb-export").count() == 0, "the wall has no export buttons"
    assert active(w) in ("traffic", "water", "map")
    p.evaluate("cbWall.show(0)")  # start the rotation over: traffic shows for its 4 s
    # truthful time: every panel says when its data is from; the overdue 5-minute feed is stale
    traffic = p.locator("#wall-step-traffic")
    assert traffic.locator(".wall-panel-stale").count() == 3
    banner = traffic.locator(".wall-stale-banner").first
    assert banner.is_visible() and "数据超时" in banner.inner_text() and "12:00" in banner.inner_text()
    assert traffic.locator(".wall-panel-time").first.inner_text().startswith("数据时间")
    w.shot(f"{name}-traffic-stale")
    assert re.fullmatch(r"\d\d:\d\d:\d\d", p.locator("#wall-clock-time").inner_text())
    assert re.search(r"星期[一二三四五六日]", p.locator("#wall-clock-date").inner_text())
    assert p.locator(".wall-ticker-track .wall-tick").count() >= 2
    # the playlist advances by itself: water (hourly feed, fresh at 12:30)
    assert wait_for(lambda: active(w) == "water", 12), "the playlist did not advance"
    water = p.locator("#wall-step-water")
    assert water.locator(".wall-panel-fresh").count() == 3 and water.locator(".wall-panel-stale").count() == 0
    time.sleep(1)
    w.shot(f"{name}-water-fresh")
    # someone touches the wall as soon as the map shows (in the page itself: at 4K the map's first
    # paint can take longer than its 4 s step, so a touch sent from here would land on the next step)
    p.wait_for_function("""() => {
        if (document.getElementById('wall-root').getAttribute('data-active-step') !== 'map') { return false; }
        document.dispatchEvent(new MouseEvent('mousemove', {clientX: 300, clientY: 300}));
        return true;
    }""", timeout=20000)
    p.mouse.move(320, 310)  # and a real pointer move too
    assert wait_for(lambda: p.locator("#wall-root.wall-is-paused").count() == 1, 3)
    # it stays on the map for longer than the map's 4 s step (checked before anything slow, so the
    # 30 s idle time after the touch, when the rotation rightly resumes, cannot run out first)
    held = active(w)
    time.sleep(5)
    assert active(w) == held == "map", "rotation must pause while someone interacts"
    assert p.locator("#wall-paused").is_visible()
    w.shot(f"{name}-map")
    # panels refresh on their own timers, never two requests of one panel in flight
    stats = wait_for(lambda: (s := p.evaluate("({...cbWall, root: null, steps: null, dots: null})"))["acks"] > 0
                     and s, 15)
    panels = p.locator(".wall-panel").count()
    assert stats["acks"] > 0 and stats["requests"] - stats["acks"] <= panels
    assert len(stats["inflight"]) <= panels
    w.assert_clean()


def test_wall_1080(open_page):
    w = open_page(1920, 1080)
    w.goto("/wall" + Q)
    wait_fitted(w)
    assert w.page.evaluate("cbWall.scale") == 1
    check_wall(w, "wall-1080")
    # Dash may render the page again (a URL or shell update): the rotation keeps its place
    p = w.page
    p.evaluate("cbWall.show(1)")
    assert active(w) == "water"
    p.evaluate("(() => { const r = document.getElementById('wall-root'); r.replaceWith(r.cloneNode(true)); })()")
    assert wait_for(lambda: p.evaluate("cbWall.root === document.getElementById('wall-root')"), 5)
    assert active(w) == "water", "a re-rendered wall must not start its playlist over"


def test_wall_4k_same_composition(open_page):
    w = open_page(3840, 2160)
    w.goto("/wall" + Q)
    wait_fitted(w)
    box = w.page.locator("#wall-root").bounding_box()
    assert w.page.evaluate("cbWall.scale") == 2
    assert round(box["width"]) == 3840 and round(box["height"]) == 2160
    title = w.page.locator(".wall-title").bounding_box()
    assert title["height"] > 80, "type scales with the canvas"
    check_wall(w, "wall-2160")


def test_wall_canvas_parameter_letterboxes(open_page):
    w = open_page(1920, 1080)
    w.goto("/wall?playlist=water&canvas=1280x1024&refresh=2&now=2026-07-15T12:05")
    wait_fitted(w)
    box = w.page.locator("#wall-root").bounding_box()
    assert abs(box["height"] - 1080) < 1 and abs(box["width"] - 1280 * 1080 / 1024) < 1
    w.shot("wall-canvas-1280x1024")
    p = w.page
    assert wait_for(lambda: p.evaluate("window.cbWall ? cbWall.acks : -1") > 0, 20)
    # the tab is hidden: a clientside callback disables every panel timer (no tick reaches the gate)
    p.evaluate("Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
               "document.dispatchEvent(new Event('visibilitychange'))")
    time.sleep(1)
    r0, t0 = p.evaluate("[cbWall.requests, cbWall.idleTicks]")
    time.sleep(6)
    assert p.evaluate("[cbWall.requests, cbWall.idleTicks]") == [r0, t0], "timers must stop while hidden"
    p.evaluate("Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});"
               "document.dispatchEvent(new Event('visibilitychange'))")
    assert wait_for(lambda: p.evaluate("cbWall.requests") > r0, 15), "timers must resume when shown"
    w.assert_clean()


#: While the server is down the browser logs the failed requests; only those are expected.
EXPECTED_OFFLINE = re.compile(r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|Failed to fetch|"
                              r"Failed to load resource|NetworkError|Callback failed: the server did not respond")


def test_wall_token_connection_lost_and_recovery(browser, built_store):
    port = devserver.free_port()
    env = {"CITYBRAIN_AUTH": "local", "CITYBRAIN_WALL_TOKENS": '["wall-token-for-tests"]',
           "CITYBRAIN_COOKIE_SECURE": "false"}
    proc = start_server(built_store, port, extra_env=env)
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        w = PageWatch(ctx.new_page(), f"http://127.0.0.1:{port}")
        p = w.page
        # without the token the wall is refused; with it the wall shows, and nothing else does
        r = p.request.get(f"{w.base}/api/v1/wall/status")
        assert r.status == 401
        w.goto("/wall?token=wall-token-for-tests&playlist=water,emergency&interval=30&refresh=3"
               "&now=2026-07-15T12:05")
        p.wait_for_selector("#wall-root")
        assert p.locator(".wall-panel").count() >= 6 and p.locator(".cb-export").count() == 0
        assert wait_for(lambda: p.evaluate("window.cbWall ? cbWall.acks : -1") > 0, 15), "panels did not refresh with the wall token"
        assert p.request.get(f"{w.base}/d/traffic", max_redirects=0).status == 403
        assert p.request.get(f"{w.base}/api/v1/observations.csv?indicator=rainfall_1h").status == 403
        w.shot("wall-online")
        proc.terminate()
        proc.wait(timeout=30)
        assert wait_for(lambda: p.locator("#wall-root.wall-is-lost").count() == 1, 20), "no connection-lost state"
        lost = p.locator("#wall-lost")
        assert lost.is_visible() and "连接中断" in lost.inner_text()  # a Chinese wall speaks Chinese only
        assert "连接中断" in p.locator("#wall-conn").inner_text()
        w.shot("wall-connection-lost")
        proc = start_server(built_store, port, extra_env=env)
        assert wait_for(lambda: p.locator("#wall-root.wall-is-lost").count() == 0, 30), "the wall did not recover"
        assert not p.locator("#wall-lost").is_visible()
        # a restarted server with another build makes the page reload itself: wait until it runs again
        assert wait_for(lambda: p.evaluate("!!window.cbWall && document.readyState === 'complete'"), 30)
        before = p.evaluate("window.cbWall ? cbWall.acks : -1")
        assert wait_for(lambda: p.evaluate("window.cbWall ? cbWall.acks : -1") > before, 20), "refresh did not resume after recovery"
        assert "在线" in p.locator("#wall-conn").inner_text()
        w.shot("wall-recovered")
        assert not w.external
        unexpected = [e for e in w.console_errors if not EXPECTED_OFFLINE.search(e)]
        assert not unexpected, unexpected[:5]
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=30)
