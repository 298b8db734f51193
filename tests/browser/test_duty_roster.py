"""/duty and /duty/handover in Chromium: the duty officer is on today's roster, writes a log entry and
sees it, opens the shift's handover summary, which lists it; a leader reads without the form.
Identities come from the gateway's SSO headers (header auth); the operational database is new."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from citybrain.store.files import CST
from tests.browser.test_duty_pages import _page, duty_server  # noqa: F401  (the same header-auth server)

pytestmark = pytest.mark.browser
TEXT = "交接：东门闸站水位偏高，已通知水利局"


def test_duty_officer_logs_and_hands_over(browser, duty_server):
    ctx, w = _page(browser, duty_server, "duty-zhang", "duty")
    try:
        now = datetime.now(CST).replace(tzinfo=None, microsecond=0)
        r = ctx.request.post(duty_server + "/api/v1/duty/roster", data={
            "user": "duty-zhang", "role": "duty", "region": "330225",
            "starts_at": (now - timedelta(hours=2)).isoformat(), "ends_at": (now + timedelta(hours=10)).isoformat()})
        assert r.status == 201, r.text()
        shift = r.json()["id"]
        w.goto("/duty?region=330225")
        page = w.page
        page.wait_for_selector("#duty-roster-table tr.duty-on:has-text('在岗')")
        page.fill("#duty-text", "  ")
        page.click("#duty-add")
        page.wait_for_selector("#duty-msg:has-text('请填写')")
        page.fill("#duty-text", TEXT)
        page.click("#duty-add")
        page.wait_for_selector("#duty-msg:has-text('已写入值班日志')")
        entry = page.locator("#duty-log .duty-entry").first
        assert TEXT in entry.inner_text() and "duty-zhang" in entry.inner_text()
        assert page.input_value("#duty-text") == ""
        w.shot("duty-log-added")
        page.click(f"#duty-handover-{shift}")
        page.wait_for_selector("#handover-log-table")
        assert TEXT in page.inner_text("#handover-log-table")
        assert page.inner_text("#handover-count-log_entries").startswith("1")
        assert "班次进行中" in page.inner_text("#handover-facts")
        w.shot("duty-handover")
        page.emulate_media(media="print")
        assert page.locator(".cb-header").is_hidden() and page.locator("#handover-print").is_hidden()
        page.emulate_media(media="screen")
        w.assert_clean()
    finally:
        ctx.close()


def test_leader_reads_the_log_without_the_form(browser, duty_server):
    ctx, w = _page(browser, duty_server, "li", "leader")  # a context of the zh-CN app, English by ?lang=en
    try:
        w.goto("/duty?region=330225&lang=en")
        w.page.wait_for_selector("#duty-readonly")
        assert w.page.locator("#duty-add").count() == 0
        assert "Today's roster" in w.page.inner_text("#duty-roster")
        w.goto("/duty/handover?shift=424242&lang=en")
        w.page.wait_for_selector("#handover-error:has-text('No such shift')")
        w.assert_clean()
    finally:
        ctx.close()
