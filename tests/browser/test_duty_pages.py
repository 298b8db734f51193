"""The duty room's pages in Chromium: the duty officer acknowledges an alarm on /alarms and opens a
work order on /workorders; a leader sees both pages read-only. Identities come from the gateway's
SSO headers (header auth), the operational database is a fresh SQLite file."""

from __future__ import annotations

import pytest

from citybrain import devserver
from tests.browser.conftest import PageWatch, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def duty_server(built_store, tmp_path_factory):
    port = devserver.free_port()
    ops = tmp_path_factory.mktemp("ops") / "ops.sqlite"
    proc = start_server(built_store, port, extra_env={"CITYBRAIN_AUTH": "header", "CITYBRAIN_OPS_DB": f"sqlite:///{ops}",
                                                      "CITYBRAIN_TRUSTED_PROXIES": '["127.0.0.1", "::1"]',
                                                      "CITYBRAIN_SSO_TRUST_ROLE_HEADER": "true"})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


def _page(browser, base, user, role):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000},
                              extra_http_headers={"X-Remote-User": user, "X-Remote-Role": role})
    return ctx, PageWatch(ctx.new_page(), base)


def test_duty_acknowledges_and_opens_an_order(browser, duty_server):
    ctx, w = _page(browser, duty_server, "duty-zhang", "duty")
    try:
        w.goto("/alarms?region=330225")
        page = w.page
        page.wait_for_selector("#alarms-grid .ag-row")
        first = page.locator("#alarms-grid .ag-center-cols-container .ag-row").first
        title = first.locator("[col-id=title]").inner_text()
        page.locator("#alarms-grid .ag-pinned-left-cols-container .ag-row, #alarms-grid .ag-row").first \
            .locator("input[type=checkbox]").first.check()
        page.fill("#alarms-note", "已通知值班领导")
        page.click("#alarms-ack")
        page.wait_for_selector("#alarms-msg:has-text('已确认 1 条告警')")
        row = page.locator("#alarms-grid .ag-row", has_text=title).first
        assert "已确认" in row.inner_text() and "duty-zhang" in row.inner_text()
        w.shot("alarms-acknowledged")
        w.goto("/workorders?region=330225")
        page.fill("#workorders-title", "Manhole cover missing")
        page.click("#workorders-create")
        page.wait_for_selector("#workorders-msg:has-text('已创建工单')")
        assert "Manhole cover missing" in page.locator("#workorders-board .ops-column").first.inner_text()
        w.shot("workorders-board")
        assert not w.console_errors and not w.external
    finally:
        ctx.close()


def test_leader_reads_only(browser, duty_server):
    ctx, w = _page(browser, duty_server, "li", "leader")
    try:
        w.goto("/alarms?region=330225")
        w.page.wait_for_selector("#alarms-readonly")
        assert w.page.locator("#alarms-ack").count() == 0
        w.goto("/workorders?region=330225")
        w.page.wait_for_selector("#workorders-readonly")
        assert w.page.locator("#workorders-create").count() == 0
    finally:
        ctx.close()
