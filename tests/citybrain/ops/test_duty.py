"""The duty roster, the duty log and the handover summary, on SQLite and on PostgreSQL: through the
HTTP API (roles, 400 naming the field, audit) and a hand-built shift whose summary is worked out
by hand below."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from citybrain.ops import alarms as life
from citybrain.ops import duty, handover, workorders
from citybrain.ops.db import ensure

ROSTER, LOG, HANDOVER = "/api/v1/duty/roster", "/api/v1/duty/log", "/api/v1/duty/handover"
SHIFT = {"user": "值班员张", "role": "duty", "region": "330225", "starts_at": "2026-03-01T08:00",
         "ends_at": "2026-03-01T20:00"}


def _audit(settings) -> list[dict]:
    return [json.loads(x) for x in (settings.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()]


def test_roster_written_by_duty_read_by_leader(callers, ops_settings):
    r = callers["duty"].post(ROSTER, SHIFT)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["user"] == "值班员张" and body["starts_at"] == "2026-03-01T08:00:00" and body["created_by"] == "值班员张"
    got = callers["leader"].get(ROSTER + "?region=330225&since=2026-03-01T12:00&until=2026-03-01T13:00").get_json()
    assert [x["id"] for x in got["rows"]] == [body["id"]]
    assert callers["leader"].get(ROSTER + "?region=330225&since=2026-03-02").get_json()["count"] == 0
    assert callers["leader"].post(ROSTER, SHIFT).status_code == 403
    assert callers["analyst"].post(ROSTER, SHIFT).status_code == 403
    assert callers["handler"].get(ROSTER + "?region=330225").status_code == 403
    events = _audit(ops_settings)
    assert any(e["event"] == "duty_roster_add" and e["id"] == body["id"] and e["shift"]["user"] == "值班员张" for e in events)
    assert any(e["event"] == "denied" and e.get("path") == ROSTER for e in events)


def test_roster_removed_by_admin_only(callers, ops_settings):
    sid = callers["duty"].post(ROSTER, {**SHIFT, "user": "tmp"}).get_json()["id"]
    c = callers["leader"]
    assert c.client.delete(f"{ROSTER}/{sid}", headers=c.headers).status_code == 403
    c = callers["admin"]
    assert c.client.delete(f"{ROSTER}/{sid}", headers=c.headers).status_code == 200
    assert c.client.delete(f"{ROSTER}/{sid}", headers=c.headers).status_code == 404
    assert any(e["event"] == "duty_roster_remove" and e["id"] == sid for e in _audit(ops_settings))


@pytest.mark.parametrize("change, field", [
    ({"user": None}, "user"), ({"user": "x" * 65}, "user"), ({"role": "handler"}, "role"),
    ({"region": "999999"}, "region"), ({"starts_at": "2026-13-01T08:00"}, "starts_at"),
    ({"starts_at": "tomorrow"}, "starts_at"), ({"ends_at": "2026-03-01T07:00"}, "ends_at"),
    ({"ends_at": "2026-03-09T08:00"}, "ends_at"), ({"extra": 1}, "extra"), ({"starts_at": 20260301}, "starts_at")])
def test_bad_shift_is_400_naming_the_field(callers, change, field):
    body = {k: v for k, v in {**SHIFT, **change}.items() if v is not None}
    r = callers["duty"].post(ROSTER, body)
    assert r.status_code == 400 and r.get_json()["parameter"] == field, r.get_json()


def test_bad_ranges_and_bodies_are_400(callers):
    c = callers["leader"]
    assert c.get(ROSTER + "?since=2026-03-02&until=2026-03-01").get_json()["parameter"] == "since"
    assert c.get(LOG + "?region=12").get_json()["parameter"] == "region"
    assert c.get(HANDOVER + "/abc").status_code == 404
    assert c.get(HANDOVER + "/99999").status_code == 404
    assert c.get(HANDOVER + "/" + "9" * 40).status_code == 404
    r = callers["duty"].post(LOG, data="not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "body"


def test_log_written_by_duty_read_by_leader(callers, ops_settings):
    oid = callers["duty"].post("/api/v1/workorders", {"title": "路灯不亮", "category": "normal",
                                                       "region": "330225"}).get_json()["id"]
    r = callers["duty"].post(LOG, {"region": "330225", "text": "  接班：夜间巡查正常  ", "workorder_id": oid})
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()
    assert entry["text"] == "接班：夜间巡查正常" and entry["author"] == "值班员张" and entry["workorder_id"] == oid
    assert callers["duty"].post(LOG, {"region": "330225", "text": " "}).get_json()["parameter"] == "text"
    assert callers["duty"].post(LOG, {"region": "330225", "text": "x", "workorder_id": 987654}).get_json()[
        "parameter"] == "workorder_id"
    assert callers["duty"].post(LOG, {"region": "330225", "text": "x", "workorder_id": 0}).get_json()[
        "parameter"] == "workorder_id"
    assert callers["leader"].post(LOG, {"region": "330225", "text": "x"}).status_code == 403
    assert callers["handler"].post(LOG, {"region": "330225", "text": "x"}).status_code == 403
    since = entry["at"][:10]
    rows = callers["leader"].get(f"{LOG}?region=330225&since={since}").get_json()["rows"]
    assert [x["id"] for x in rows] == [entry["id"]]
    assert callers["leader"].get(f"{LOG}?region=330900&since={since}").get_json()["rows"] == []
    assert any(e["event"] == "duty_log_add" and e["id"] == entry["id"] for e in _audit(ops_settings))


def _t(hhmm: str, day: int = 10) -> datetime:
    return datetime(2026, 1, day, int(hhmm[:2]), int(hhmm[3:]))


def _alarm(i: str, severity: str = "alarm") -> dict:
    return {"id": i, "severity": severity, "region_code": "330225", "domain": "water", "indicator_id": None,
            "entity_id": i, "value": 1.0, "threshold": 0.5, "raised_at": None, "title_zh": f"告警{i}",
            "title_en": f"Alarm {i}"}


def _step(engine, oid, to, version, at, role="duty", **kw):
    dept = kw.pop("user_department", None)
    return workorders.transition(engine, oid, to=to, version=version, user=f"{role}-u", role=role,
                                 user_department=dept, now=at, **kw)


@pytest.fixture(scope="module")
def shift_day(ops_app):
    """One day shift of 330225 (2026-01-10 08:00–20:00) and what happened around it (worked out by
    hand in ``test_handover_summary``)."""
    engine = ensure(ops_app.server.extensions["citybrain"].ops)
    region = "330225"

    def sync(at, *ids):
        life.sync(engine, region, pd.DataFrame([_alarm(i) for i in ids], columns=["id", *life.CONTENT]), at)

    sync(_t("07:00"), "hx:A1")                 # raised before the shift
    life.acknowledge(engine, "hx:A1", "值班员张", _t("09:00"), "已通知")
    sync(_t("10:00"), "hx:A1", "hx:A2")        # A2 raised in the shift ...
    sync(_t("15:00"), "hx:A1")                 # ... and cleared by itself
    sync(_t("19:00"), "hx:A1", "hx:A3")        # A3 raised, still active at 20:00
    life.resolve(engine, "hx:A3", "值班员王", _t("21:00"), "夜班处理")  # after the shift: not in it

    def new(title, category, at, reg=region):
        return workorders.create(engine, user="duty-u", role="duty", title=title, category=category, region=reg,
                                 now=at)["id"]

    o1 = new("O1 before", "normal", _t("06:00"))
    _step(engine, o1, "registered", 1, _t("06:05"))
    _step(engine, o1, "dispatched", 2, _t("06:20"), department="城管局")
    o2 = new("O2 closed", "urgent", _t("09:00"))
    _step(engine, o2, "registered", 1, _t("09:05"))
    _step(engine, o2, "dispatched", 2, _t("09:10"), department="水利局")
    _step(engine, o2, "handled", 3, _t("10:00"), role="handler", user_department="水利局")
    _step(engine, o2, "verified", 4, _t("10:20"))
    _step(engine, o2, "closed", 5, _t("10:30"))
    o3 = new("O3 waiting", "urgent", _t("11:00"))  # received, due 11:10: overdue at 20:00
    o4 = new("O4 rejected", "normal", _t("12:00"))
    _step(engine, o4, "rejected", 1, _t("12:30"), note="重复")
    o5 = new("O5 late", "normal", _t("19:50"))    # received, due 20:50
    _step(engine, o5, "registered", 1, _t("20:30"))
    new("elsewhere", "urgent", _t("13:00"), reg="330900")
    for at, text in ((_t("07:59"), "早"), (_t("08:30"), "接班，系统正常"), (_t("20:00"), "交班")):
        duty.add_entry(engine, author="值班员张", role="duty", region=region, text=text, now=at)
    sid = duty.add_shift(engine, user="值班员张", role="duty", region=region, starts_at=_t("08:00"),
                         ends_at=_t("20:00"), created_by="admin1", now=_t("07:00"))["id"]
    duty.add_shift(engine, user="李", role="leader", region=region, starts_at=_t("08:00"), ends_at=_t("20:00"),
                   created_by="admin1", now=_t("07:00"))
    duty.add_shift(engine, user="王", role="duty", region=region, starts_at=_t("20:00"), ends_at=_t("08:00", 11),
                   created_by="admin1", now=_t("07:00"))
    return engine, sid, {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5}


def test_handover_summary(shift_day):
    engine, sid, o = shift_day
    s = handover.summary(engine, sid, now=datetime(2026, 2, 1))
    assert s["as_of"] == _t("20:00") and s["ongoing"] is False
    assert sorted((m["user"], m["role"]) for m in s["team"]) == [("值班员张", "duty"), ("李", "leader")]
    assert [(a["id"], a["state"], a["acknowledged_by"]) for a in s["open_alarms"]] == [
        ("hx:A1", "acknowledged", "值班员张"), ("hx:A3", "active", None)]
    assert [x["id"] for x in s["open_orders"]] == [o["o3"], o["o5"], o["o1"]]  # overdue first, then by due time
    assert [x["overdue"] for x in s["open_orders"]] == [True, False, False]
    assert [x["state"] for x in s["open_orders"]] == ["received", "received", "dispatched"]
    assert [(e["id"], e["event"]) for e in s["alarm_events"]] == [
        ("hx:A1", "acknowledged"), ("hx:A2", "raised"), ("hx:A2", "cleared"), ("hx:A3", "raised")]
    assert [x["id"] for x in s["orders_created"]] == [o["o2"], o["o3"], o["o4"], o["o5"]]
    assert [x["id"] for x in s["orders_closed"]] == [o["o2"]]
    assert [x["text"] for x in s["log"]] == ["接班，系统正常"]
    assert s["counts"] == {"open_alarms": 2, "open_orders": 3, "overdue_orders": 1, "alarms_raised": 2,
                           "alarms_acknowledged": 1, "alarms_silenced": 0, "alarms_cleared": 1,
                           "orders_created": 4, "orders_closed": 1, "log_entries": 1}


def test_handover_while_the_shift_runs(shift_day):
    """Read during the shift, overdue flags are judged now (10:15: O3's 11:10 limit is not reached)."""
    engine, sid, o = shift_day
    s = handover.summary(engine, sid, now=_t("10:15"))
    assert s["ongoing"] is True and s["as_of"] == _t("10:15")
    assert s["counts"]["overdue_orders"] == 0


def test_handover_over_http(shift_day, callers):
    _engine, sid, o = shift_day
    r = callers["leader"].get(f"{HANDOVER}/{sid}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["counts"]["orders_closed"] == 1 and body["shift"]["starts_at"] == "2026-01-10T08:00:00"
    assert body["open_orders"][0]["id"] == o["o3"]
    assert callers["handler"].get(f"{HANDOVER}/{sid}").status_code == 403


def test_duty_pages_admit_staff_but_handlers(callers, shift_day):
    """The page guard: a handler may not open /duty or a handover (the log speaks of every department)."""
    _engine, sid, _o = shift_day
    for path in ("/duty", f"/duty/handover?shift={sid}"):
        assert callers["leader"].get(path).status_code == 200
        assert callers["handler"].get(path).status_code == 403


def test_pages_render_the_summary_and_the_form(ops_app, shift_day):
    """The layouts themselves (the browser test clicks through them): the handover sheet's counts and
    the log form only for a duty role."""
    from flask import g

    from dashboards import duty as page
    from dashboards import handover as sheet

    _engine, sid, o = shift_day
    with ops_app.server.test_request_context("/"):
        g.user, g.role = "li", "leader"
        text = str(sheet.layout(shift=str(sid), lang="en"))
        assert "Alarms open at the end of the shift" in text and f"#{o['o3']}" in text and "Overdue" in text
        assert "duty-add" not in str(page.layout(region="330225", lang="zh"))
        assert "No such shift" in str(sheet.layout(shift="abc", lang="en"))
        assert "No such shift" in str(sheet.layout(shift="999999", lang="en"))
        g.user, g.role = "zhang", "duty"
        assert "duty-add" in str(page.layout(region="330225", lang="zh"))
        g.role = "handler"
        assert "may not read" in str(sheet.layout(shift=str(sid), lang="en"))


def test_cli_roster_add_list_remove_and_handover(tmp_path):
    from tests.citybrain.ops.test_cli_and_concurrency import _cli, _env

    env = _env(tmp_path)
    r = _cli(["duty", "roster", "add", "值班员刘", "--role", "duty", "--region", "330900",
              "--start", "2026-05-01T08:00", "--end", "2026-05-01T20:00"], env)
    assert r.exit_code == 0 and r.output.startswith("roster entry 1: 值班员刘 (duty) 330900"), r.output
    bad = _cli(["duty", "roster", "add", "x", "--role", "duty", "--start", "2026-05-01T08:00",
                "--end", "2026-05-01T07:00"], env)
    assert bad.exit_code == 2 and "--end" in bad.output and "ends after it starts" in bad.output
    assert "not a date-time" in _cli(["duty", "roster", "add", "x", "--role", "duty", "--start", "soon",
                                      "--end", "2026-05-01T07:00"], env).output
    listed = _cli(["duty", "roster", "list", "--region", "330900", "--date", "2026-05-01"], env)
    assert listed.output.split("\t")[:3] == ["1", "duty", "值班员刘"]
    summary = json.loads(_cli(["duty", "handover", "1"], env).output)
    assert summary["counts"]["open_orders"] == 0 and summary["shift"]["user"] == "值班员刘"
    assert _cli(["duty", "roster", "remove", "1"], env).exit_code == 0
    assert _cli(["duty", "roster", "remove", "1"], env).exit_code == 2
    lines = [json.loads(x) for x in (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in lines] == ["duty_roster_add", "duty_roster_remove"]
