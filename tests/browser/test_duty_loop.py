"""The whole duty loop in Chromium, two users in two browser contexts (and a wall in a third):

the wall flashes while an alarm of its region is unacknowledged; the duty officer acknowledges an
alarm on /map, opens a work order from it, registers it and dispatches it to the handler's
department; the handler handles it with a photo; the duty officer verifies and closes it. A stale
page gets the 409 message instead of overwriting. The wall stops flashing once every alarm of the
region is acknowledged. Identities come from the gateway's SSO headers; the operational database is
a fresh SQLite file.
"""

from __future__ import annotations

import struct
import zlib

import pytest

from citybrain import devserver
from tests.browser.conftest import PageWatch, start_server

pytestmark = pytest.mark.browser
REGION = "330225"
DEPT = "citymgmt"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x20\x80\xff" * 8 for _ in range(6))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 6, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def loop_server(built_store, tmp_path_factory):
    port = devserver.free_port()
    ops = tmp_path_factory.mktemp("ops")
    proc = start_server(built_store, port, extra_env={
        "CITYBRAIN_AUTH": "header", "CITYBRAIN_OPS_DB": f"sqlite:///{ops / 'ops.sqlite'}",
        "CITYBRAIN_OPS_PHOTO_DIR": str(ops / "photos"),
        "CITYBRAIN_TRUSTED_PROXIES": '["127.0.0.1", "::1"]', "CITYBRAIN_SSO_TRUST_ROLE_HEADER": "true"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


def _user(browser, base, user, role, department=None, width=1600, height=1000):
    headers = {"X-Remote-User": user, "X-Remote-Role": role}
    if department:
        headers["X-Remote-Department"] = department
    ctx = browser.new_context(viewport={"width": width, "height": height}, extra_http_headers=headers,
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    return ctx, PageWatch(ctx.new_page(), base)


def _wall_flashing(page) -> bool:
    return page.evaluate("() => !!document.querySelector('#wall-root.wall-unacked')")


def _step(w: PageWatch, name: str, state: str) -> None:
    w.page.get_by_role("button", name=name, exact=True).click()
    w.page.wait_for_selector(f"#workorder-state:has-text('{state}')")


def test_duty_loop(browser, loop_server, tmp_path):
    contexts = []
    try:
        wctx, wall = _user(browser, loop_server, "wall-1", "wall", width=1920, height=1080)
        dctx, duty = _user(browser, loop_server, "duty-zhang", "duty")
        hctx, handler = _user(browser, loop_server, "chen", "handler", DEPT)
        contexts += [wctx, dctx, hctx]

        # the wall: flashing while anything is unacknowledged, and no acknowledge button anywhere
        wall.goto(f"/wall?region={REGION}&refresh=3&playlist=overview")
        wall.page.wait_for_function("() => !!document.querySelector('#wall-root.wall-unacked')")
        assert wall.page.locator("#wall-unacked").inner_text().startswith("▲ 未确认告警")
        assert wall.page.locator(".duty-ack, button:has-text('确认')").count() == 0
        wall.shot("duty_wall_unacked")

        # the duty officer acknowledges an alarm on /map
        page = duty.page
        duty.goto(f"/map?region={REGION}")
        page.wait_for_selector(".map-alert-item .duty-ack")
        item = page.locator(".map-alert-item:has(button.map-alert):has(.duty-ack)").first
        alarm_id = item.get_attribute("data-alarm")
        item.locator(".duty-ack").click()
        page.wait_for_selector("#map-ack-msg:has-text('已确认告警')")
        acked = page.locator(f".map-alert-item[data-alarm='{alarm_id}']")
        acked.locator(".duty-acked").wait_for()
        assert "duty-zhang" in acked.inner_text() and acked.locator(".duty-ack").count() == 0
        # ... and opens a work order from it: title, place and alarm prefilled
        acked.locator(".duty-order").click()
        page.wait_for_selector("#map-order:not(.map-order-hidden)")
        assert page.input_value("#map-order-title")
        assert alarm_id in page.locator("#map-order-info").inner_text()
        assert "°E" in page.locator("#map-order-info").inner_text()
        duty.shot("duty_map_order_form")
        page.click("#map-order-create")
        page.wait_for_selector("#map-ack-msg:has-text('已创建工单')")
        page.click("#map-order-link")
        page.wait_for_selector("#workorder-timeline")
        order_url = page.url.split("?")[0]
        oid = int(order_url.rsplit("/", 1)[1])
        assert alarm_id in page.locator("#workorder-fact-alarm").inner_text()

        # a second, stale page of the same officer: its step must not overwrite (409 message)
        sctx, stale = _user(browser, loop_server, "duty-wang", "duty")
        contexts.append(sctx)
        stale.goto(f"/workorders/{oid}")
        stale.page.wait_for_selector("#workorder-timeline")

        _step(duty, "立案", "立案")
        page.fill("#workorder-dept", DEPT)
        page.fill("#workorder-note", "请城管局处置")
        _step(duty, "派遣", "派遣")
        stale.page.get_by_role("button", name="不予立案", exact=True).click()
        stale.page.wait_for_selector("#workorder-msg:has-text('刚被他人更新')")
        stale.page.wait_for_selector("#workorder-state:has-text('派遣')")  # reloaded, nothing taken

        # the handler handles it with a photo
        photo = tmp_path / "scene.png"
        photo.write_bytes(png())
        handler.goto(f"/workorders/{oid}")
        hp = handler.page
        hp.wait_for_selector("#workorder-timeline")
        assert hp.get_by_role("button", name="核查通过", exact=True).count() == 0  # not the handler's step
        hp.locator("#workorder-photo input[type=file]").set_input_files(str(photo))
        hp.wait_for_selector(".wo-photo-name:has-text('scene.png')")
        hp.fill("#workorder-note", "已补装井盖")
        _step(handler, "处置完成", "处置")
        hp.wait_for_selector("#workorder-timeline img.wo-thumb")
        hp.wait_for_function("() => { const i = document.querySelector('img.wo-thumb'); "
                             "return i && i.complete && i.naturalWidth === 8; }")
        handler.shot("duty_order_handled")

        # the duty officer verifies and closes it
        duty.goto(f"/workorders/{oid}")
        page.wait_for_selector("#workorder-timeline img.wo-thumb")
        _step(duty, "核查通过", "核查")
        _step(duty, "结案", "结案")
        steps = page.locator("#workorder-timeline .wo-step-item")
        assert steps.count() == 6
        text = page.locator("#workorder-timeline").inner_text()
        for word in ("受理", "立案", "派遣", "处置完成", "核查通过", "结案", "chen", "duty-zhang", "已补装井盖", DEPT):
            assert word in text, word
        page.wait_for_selector("#workorder-readonly:has-text('已办结')")
        duty.shot("duty_order_closed")
        api = dctx.request.get(f"{loop_server}/api/v1/workorders/{oid}").json()
        assert api["state"] == "closed" and api["version"] == 6 and api["alarm_id"] == alarm_id
        assert [s["to"] for s in api["history"]] == ["received", "registered", "dispatched", "handled", "verified",
                                                     "closed"]
        assert len(api["history"][3]["photos"]) == 1 and api["history"][3]["user"] == "chen"

        # the wall flashes until every alarm of the region is acknowledged, then clears by itself
        assert _wall_flashing(wall.page)
        rows = dctx.request.get(f"{loop_server}/api/v1/alarms?region={REGION}&state=active").json()["rows"]
        for r in rows:
            res = dctx.request.post(f"{loop_server}/api/v1/alarms/{r['id']}/ack", data={"note": "批量确认"})
            assert res.status == 200, res.text()
        wall.page.wait_for_function("() => !document.querySelector('#wall-root.wall-unacked')", timeout=60_000)
        assert wall.page.locator("#wall-unacked").inner_text() == ""
        wall.shot("duty_wall_cleared")
        for w in (wall, duty, handler, stale):
            w.assert_clean()
    finally:
        for c in contexts:
            c.close()
