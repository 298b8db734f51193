"""Escalation of unacknowledged alarms and notifications of escalations and urgent work orders, on
SQLite and on PostgreSQL, delivered to a real local SMTP server (aiosmtpd) and a real local HTTP
receiver; the messages' contents (Chinese text, region, alarm or order, link) are checked."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from citybrain.app_factory import create_app
from citybrain.ops import escalation, notify
from citybrain.ops.db import ensure, make_engine
from citybrain.ops.tables import alarm_events, alarm_states
from tests.citybrain.ops.conftest import Caller
from tests.citybrain.ops.receivers import Hooks, smtp_server
from tests.conftest import GATEWAY

T0 = datetime(2026, 7, 15, 12, 5)
STEPS = {"alarm": [15, 60], "warning": [60]}
PUBLIC = "https://citybrain.example.cn"
URGENT = {"title": "主干道积水 · 丹东街道", "category": "urgent", "region": "330225"}


@pytest.fixture(scope="module")
def hooks():
    h = Hooks()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def mail():
    ctl, box = smtp_server()
    yield ctl, box
    ctl.stop()


@pytest.fixture(scope="module")
def site(ops_settings, hooks, mail):
    """Settings notifying the receivers, the clock at T0; (settings, engine)."""
    ctl, _box = mail
    s = ops_settings.model_copy(update={
        "clock": T0, "escalation_minutes": STEPS, "public_url": PUBLIC, "notify_webhook_url": hooks.url(),
        "smtp_host": "127.0.0.1", "smtp_port": ctl.port, "smtp_from": "citybrain@example.cn",
        "smtp_to": ["duty-lead@example.cn", "leader@example.cn"], "notify_timeout_seconds": 5})
    return s, ensure(make_engine(s))


def app_at(settings, minutes: float):
    return create_app(settings.model_copy(update={"clock": T0 + timedelta(minutes=minutes)}))


def alarms(app) -> dict[str, dict]:
    r = Caller(app, "值班员张", "duty").get("/api/v1/alarms?region=330225")
    assert r.status_code == 200
    return {row["id"]: row for row in r.get_json()["rows"]}


def test_steps_and_levels(site):
    s, _ = site
    assert escalation.steps_for(s, "water", "alarm") == [15, 60]  # the test's table has no domain keys
    assert escalation.steps_for(s.model_copy(update={"escalation_minutes": {"alarm": [15], "water:alarm": [5, 9]}}),
                                "water", "alarm") == [5, 9]
    assert [escalation.level_due([15, 60], m) for m in (0, 14.9, 15, 59, 60, 600)] == [0, 0, 1, 1, 2, 2]


def test_alarms_escalate_once_per_level_and_notify(site, hooks, mail):
    s, engine = site
    _ctl, box = mail
    first = alarms(app_at(s, 0))  # synced at T0: every alarm active, level 0
    assert first and all(r["escalation_level"] == 0 for r in first.values())
    sev = {i: r["severity"] for i, r in first.items()}
    n_hooks, n_mail = len(hooks.posts), len(box.messages)
    later = alarms(app_at(s, 20))  # the app's sync runs the check: alarms reach level 1
    assert all(later[i]["escalation_level"] == (1 if sev[i] == "alarm" else 0) for i in later)
    assert any(v == "alarm" for v in sev.values())
    hook = hooks.wait(n_hooks + 1)[n_hooks]
    body = hook["json"]
    assert hook["path"] == "/hook" and body["kind"] == "escalation" and body["region"] == "330225"
    assert "告警升级" in body["title"] and "象山县" in body["text"] and "未确认" in body["text"]
    escalated = [i for i in first if sev[i] == "alarm"]
    assert {it["alarm_id"] for it in body["items"]} == set(escalated)
    assert first[escalated[0]]["title_zh"] in body["text"]
    assert body["link"] == f"{PUBLIC}/alarms?region=330225" and body["link"] in body["text"]
    msg = box.wait(n_mail + 1)[n_mail]
    assert "告警升级" in msg["Subject"] and msg["To"] == "duty-lead@example.cn, leader@example.cn"
    text = msg.get_content()
    assert "象山县" in text and first[escalated[0]]["title_zh"] in text and f"{PUBLIC}/alarms?region=330225" in text
    # again at the same level: nothing new; the history shows one escalated event
    assert escalation.run(engine, s, T0 + timedelta(minutes=25)).escalated == []
    hist = Caller(app_at(s, 25), "li", "leader").get(f"/api/v1/alarms/{escalated[0]}/history").get_json()
    events = [h["event"] for h in hist["history"]]
    assert events.count("escalated") == 1 and hist["escalation_level"] == 1
    assert "level 1" in next(h["note"] for h in hist["history"] if h["event"] == "escalated")
    # level 2 for alarms, level 1 for warnings: one event each, once
    out = escalation.run(engine, s, T0 + timedelta(minutes=70))
    assert {e.alarm_id: e.level for e in out.escalated} == {i: 2 if sev[i] == "alarm" else 1 for i in first}
    out.wait(10)
    assert escalation.run(engine, s, T0 + timedelta(minutes=75)).escalated == []
    rows = notify.outcomes(engine, "escalation:")
    assert rows and all(r["status"] == "sent" for r in rows) and {r["channel"] for r in rows} == {"webhook", "email"}


def test_racing_checks_escalate_each_alarm_once(site):
    """Four workers run the check at once on alarms of a region nobody listed yet: one event per alarm."""
    from citybrain.ops import alarms as life
    from tests.conftest import app_context

    s, engine = site
    with app_context(s):
        _r, _at, frame = life.refresh(engine, "210800", T0, escalate=False)
    ids = set(frame.loc[frame["severity"] == "alarm", "id"])
    assert ids
    results: list = []
    barrier = threading.Barrier(4)

    def check():
        barrier.wait()
        results.append(escalation.run(engine, s, T0 + timedelta(minutes=16)))

    threads = [threading.Thread(target=check) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [e.alarm_id for out in results for e in out.escalated if e.alarm_id in ids]
    assert len(results) == 4 and sorted(won) == sorted(ids)
    with engine.connect() as conn:
        events = conn.execute(sa.select(alarm_events.c.alarm_id).where(
            alarm_events.c.event == "escalated", alarm_events.c.alarm_id.in_(ids))).scalars().all()
    assert sorted(events) == sorted(ids)  # one escalated event per alarm
    for out in results:
        out.wait(10)


def test_acknowledged_and_silenced_alarms_do_not_escalate(site):
    s, engine = site
    app = app_at(s, 80)
    rows = alarms(app)
    duty = Caller(app, "值班员张", "duty")
    ids = list(rows)[:2]
    # a resolved then returning alarm starts again at level 0; acknowledged and silenced ones stay put
    with engine.begin() as conn:
        conn.execute(sa.update(alarm_states).where(alarm_states.c.alarm_id.in_(ids))
                     .values(escalation_level=0, active_since=T0 + timedelta(minutes=80)))
    assert duty.post(f"/api/v1/alarms/{ids[0]}/ack", {"note": "收到"}).status_code == 200
    assert duty.post(f"/api/v1/alarms/{ids[1]}/silence", {"minutes": 600, "reason": "检修"}).status_code == 200
    out = escalation.run(engine, s, T0 + timedelta(minutes=300))
    assert not {e.alarm_id for e in out.escalated} & set(ids)
    out.wait(10)


def test_urgent_order_created_and_overdue_is_announced_once(site, hooks, mail):
    s, engine = site
    _ctl, box = mail
    app = app_at(s, 0)
    n_hooks, n_mail = len(hooks.posts), len(box.messages)
    r = Caller(app, "值班员张", "duty").post("/api/v1/workorders", URGENT)
    assert r.status_code == 201
    oid = r.get_json()["id"]
    body = hooks.wait(n_hooks + 1)[n_hooks]["json"]
    assert body["kind"] == "urgent_order" and body["order"]["id"] == oid
    assert "紧急工单" in body["title"] and URGENT["title"] in body["text"] and "象山县" in body["text"]
    assert body["link"] == f"{PUBLIC}/workorders/{oid}" and body["link"] in body["text"]
    msg = box.wait(n_mail + 1)[n_mail]
    assert "紧急工单" in msg["Subject"] and URGENT["title"] in msg.get_content()
    assert Caller(app, "值班员张", "duty").post("/api/v1/workorders", {**URGENT, "category": "normal"}).status_code == 201
    # received for more than 10 min: overdue, announced once per step
    out = escalation.run(engine, s, T0 + timedelta(minutes=11))
    assert oid in out.overdue_orders
    out.wait(10)
    late = [p["json"] for p in hooks.posts[n_hooks:] if p["json"]["kind"] == "overdue_order"]
    assert late and late[-1]["order"]["id"] == oid and "超时" in late[-1]["title"] and "受理" in late[-1]["text"]
    assert oid not in escalation.run(engine, s, T0 + timedelta(minutes=12)).overdue_orders
    kinds = [p["json"]["kind"] for p in hooks.posts[n_hooks:]]
    assert kinds.count("urgent_order") == 1  # the normal order was not announced


def test_delivery_never_blocks_the_request(site, hooks):
    """The receiver holds its answer: the request that created the order has answered already."""
    s, engine = site
    hooks.gate = threading.Event()
    try:
        n = len(hooks.posts)
        r = Caller(app_at(s, 0), "值班员张", "duty").post("/api/v1/workorders", URGENT)
        assert r.status_code == 201
        hooks.wait(n + 1)
        assert not hooks.gate.is_set()  # the delivery is still waiting for the receiver's answer
    finally:
        hooks.gate.set()
        hooks.gate = None


def test_failed_delivery_is_recorded_and_the_request_succeeds(site):
    from tests.citybrain.ops.receivers import devserver

    s, engine = site
    dead = s.model_copy(update={"notify_webhook_url": f"http://127.0.0.1:{devserver.free_port()}/gone",
                                "smtp_host": None})
    r = Caller(app_at(dead, 0), "值班员张", "duty").post("/api/v1/workorders", URGENT)
    assert r.status_code == 201
    oid = r.get_json()["id"]
    key = f"order:{oid}:created"
    for _ in range(200):
        rows = notify.outcomes(engine, key)
        if rows and rows[0]["status"] != "queued":
            break
        threading.Event().wait(0.05)
    assert rows[0]["status"] == "failed" and "Connection refused" in rows[0]["error"] and rows[0]["channel"] == "webhook"


def test_dingtalk_body_and_signature(site, hooks):
    s, engine = site
    ding = s.model_copy(update={"notify_webhook_format": "dingtalk", "notify_webhook_url": hooks.url("/robot/send?access_token=abc"),
                                "notify_webhook_secret": "SEC123", "smtp_host": None})
    n = len(hooks.posts)
    r = Caller(app_at(ding, 0), "值班员张", "duty").post("/api/v1/workorders", URGENT)
    assert r.status_code == 201
    post = hooks.wait(n + 1)[n]
    assert set(post["json"]) == {"msgtype", "markdown"} and post["json"]["msgtype"] == "markdown"
    md = post["json"]["markdown"]
    assert set(md) == {"title", "text"} and "紧急工单" in md["title"] and "象山县" in md["text"]
    assert f"({PUBLIC}/workorders/" in md["text"]
    assert post["path"].startswith("/robot/send?access_token=abc&timestamp=") and "&sign=" in post["path"]
    ts = post["path"].split("timestamp=")[1].split("&")[0]
    assert notify.signed_url("/robot/send?access_token=abc", "SEC123", int(ts)) == post["path"]
    assert post["type"] == "application/json; charset=utf-8"


def test_escalate_command(site, hooks, tmp_path):
    from citybrain import context
    from citybrain.cli import main
    from citybrain.settings import get_settings

    s, engine = site
    env = {"CITYBRAIN_DB": str(s.db), "CITYBRAIN_OPS_DB": s.ops_db, "CITYBRAIN_CLOCK": "2026-07-15T20:00:00",
           "CITYBRAIN_ESCALATION_MINUTES": '{"alarm": [15, 60, 400], "warning": [60]}',
           "CITYBRAIN_NOTIFY_WEBHOOK_URL": hooks.url("/cron"), "CITYBRAIN_PUBLIC_URL": PUBLIC}

    def escalate(*args: str, **more: str):
        get_settings.cache_clear()  # each run reads its own environment
        context.cli.cache_clear()
        try:
            return CliRunner().invoke(main, ["escalate", *args], env={**env, **more})
        finally:
            get_settings.cache_clear()
            context.cli.cache_clear()

    n = len(hooks.posts)
    first = escalate(CITYBRAIN_CLOCK=T0.isoformat())  # synced at T0 (when run alone; else known since then)
    assert first.exit_code == 0, first.output
    r = escalate()
    again = escalate()
    loop = escalate("--every", "1", "--max-runs", "2")
    assert r.exit_code == 0, r.output
    assert " alarm(s) escalated" in r.output and not r.output.startswith("2026-07-15 20:00:00: 0 alarm")
    assert "2026-07-15 20:00:00: 0 alarm(s) escalated" in again.output
    assert loop.exit_code == 0 and loop.output.count("0 alarm(s) escalated") == 2, loop.output
    cron = [p for p in hooks.posts[n:] if p["path"] == "/cron"]
    assert cron and any("三级" in p["json"]["text"] for p in cron if p["json"]["kind"] == "escalation")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.max(alarm_states.c.escalation_level))).scalar() == 3
