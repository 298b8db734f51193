"""CSRF in Chromium: a duty officer signed in with a session acknowledges an alarm on /alarms (a Dash
callback) and a page script creates a work order with a plain ``fetch`` — both carry the token that
``assets/csrf.js`` adds; the same write without the header (not from the page's scripts) is refused."""

from __future__ import annotations

import pytest

from citybrain import devserver
from citybrain.auth.users import UserStore
from tests.browser.conftest import PageWatch, start_server

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def session_server(built_store, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csrf")
    UserStore(tmp / "users.json").add("zhang", "duty", PASSWORD, list(built_store.role_clearance))
    port = devserver.free_port()
    proc = start_server(built_store, port, extra_env={
        "CITYBRAIN_AUTH": "local", "CITYBRAIN_USERS_FILE": str(tmp / "users.json"), "CITYBRAIN_COOKIE_SECURE": "false",
        "CITYBRAIN_OPS_DB": f"sqlite:///{tmp / 'ops.sqlite'}"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


def test_session_writes_from_the_page_carry_the_token(browser, session_server):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    try:
        w = PageWatch(ctx.new_page(), session_server)
        page = w.page
        w.goto("/login?next=/alarms%3Fregion%3D330225")
        page.fill("input[name=user]", "zhang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#alarms-grid .ag-row")
        cookies = {c["name"]: c for c in ctx.cookies()}
        assert not cookies["citybrain_csrf"]["httpOnly"] and cookies["citybrain_session"]["httpOnly"]
        page.locator("#alarms-grid .ag-row").first.locator("input[type=checkbox]").first.check()
        page.fill("#alarms-note", "已通知值班领导")
        page.click("#alarms-ack")
        page.wait_for_selector("#alarms-msg:has-text('已确认 1 条告警')")
        # a page script's own fetch, written without any CSRF code
        created = page.evaluate("""async () => {
            const r = await fetch('/api/v1/workorders', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({title: '井盖缺失', category: 'normal', region: '330225'})});
            return [r.status, await r.json()];
        }""")
        assert created[0] == 201 and created[1]["state"] == "received", created
        # the same cookie jar without the page's script: refused
        r = page.request.post(f"{session_server}/api/v1/workorders",
                              data={"title": "伪造", "category": "normal", "region": "330225"})
        assert r.status == 403 and r.json()["parameter"] == "X-CSRFToken"
        w.shot("csrf-session-ack")
        w.assert_clean()
    finally:
        ctx.close()
