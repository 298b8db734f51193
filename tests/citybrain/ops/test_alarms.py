"""The alarm life cycle through the HTTP API on SQLite and on PostgreSQL: states on the one alarm set,
acknowledge, silence, resolve, 403/400/404, and (on the service) clearing by itself when an alarm
leaves the set, coming back, and silences that expire."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from citybrain.ops import alarms as life

REGION = "330225"
URL = "/api/v1/alarms"


@pytest.fixture(scope="module")
def alarm_ids(callers) -> list[str]:
    r = callers["leader"].get(f"{URL}?region={REGION}")
    ids = [row["id"] for row in r.get_json()["rows"]]
    assert len(ids) >= 8, "the test region needs a few alarms"
    return ids


def test_ack_before_anyone_listed(ops_app, callers):
    """An alarm of the set that nobody has listed yet is known to the write (synced on a miss)."""
    from citybrain.semantics.alarms import alarm_set
    from tests.conftest import app_context

    settings = ops_app.server.config["CITYBRAIN_SETTINGS"]
    with app_context(settings) as ctx:
        from citybrain.kpi import resolve

        store, _r, _l, at = resolve("330900", None)
        first = alarm_set(store, "330900", at)["id"].iloc[0]
    r = callers["duty"].post(f"{URL}/{first}/ack", {"note": "先确认"})
    assert r.status_code == 200 and r.get_json()["state"] == "acknowledged", r.get_json()


def test_rows_keep_the_set_and_add_the_life_cycle(callers, alarm_ids):
    from citybrain.semantics.alarms import COLUMNS

    body = callers["leader"].get(f"{URL}?region={REGION}").get_json()
    assert [r["id"] for r in body["rows"]] == alarm_ids  # the same rows, in the same order
    for row in body["rows"]:
        assert set(row) == set(COLUMNS) | {"state", "acknowledged_by", "acknowledged_at", "silenced_until",
                                           "escalation_level", "escalated_at"}
        assert row["state"] in ("active", "acknowledged", "cleared")
    assert body["count"] == len(alarm_ids)


def test_acknowledge(callers, alarm_ids):
    aid = alarm_ids[0]
    r = callers["duty"].post(f"{URL}/{aid}/ack", {"note": "已通知水利值班"})
    body = r.get_json()
    assert r.status_code == 200 and body["state"] == "acknowledged" and body["acknowledged_by"] == "值班员张"
    assert datetime.fromisoformat(body["acknowledged_at"])
    acked = callers["leader"].get(f"{URL}?region={REGION}&state=acknowledged").get_json()["rows"]
    assert aid in [x["id"] for x in acked]
    active = callers["leader"].get(f"{URL}?region={REGION}&state=active").get_json()["rows"]
    assert aid not in [x["id"] for x in active] and all(x["state"] == "active" for x in active)
    again = callers["admin"].post(f"{URL}/{aid}/ack", {"note": "补充说明"}).get_json()
    assert again["acknowledged_by"] == "值班员张"  # the first acknowledgement is kept
    assert callers["admin"].post(f"{URL}/{alarm_ids[1]}/ack").status_code == 200  # the note is optional


def test_silence(callers, alarm_ids):
    aid = alarm_ids[2]
    r = callers["duty"].post(f"{URL}/{aid}/silence", {"minutes": 30, "reason": "维修中"})
    assert r.status_code == 200, r.get_json()
    until = datetime.fromisoformat(r.get_json()["silenced_until"])
    row = next(x for x in callers["leader"].get(f"{URL}?region={REGION}").get_json()["rows"] if x["id"] == aid)
    assert datetime.fromisoformat(row["silenced_until"]) == until and row["state"] == "active"


@pytest.mark.parametrize("action,body,field", [
    ("silence", {"minutes": 0, "reason": "x"}, "minutes"), ("silence", {"minutes": "30", "reason": "x"}, "minutes"),
    ("silence", {"minutes": 30}, "reason"), ("silence", {"minutes": 30, "reason": " "}, "reason"),
    ("silence", {"minutes": 10**9, "reason": "x"}, "minutes"), ("silence", [30], "body"),
    ("ack", {"note": 1}, "note"), ("ack", {"comment": "x"}, "comment"), ("resolve", {"note": ["x"]}, "note"),
])
def test_bad_bodies_are_400_naming_the_field(callers, alarm_ids, action, body, field):
    r = callers["duty"].post(f"{URL}/{alarm_ids[3]}/{action}", data=json.dumps(body),
                             content_type="application/json")
    assert r.status_code == 400 and r.get_json()["parameter"] == field, r.get_json()


def test_resolve_by_hand(callers, alarm_ids):
    aid = alarm_ids[4]
    r = callers["duty"].post(f"{URL}/{aid}/resolve", {"note": "现场已处置"})
    assert r.status_code == 200 and r.get_json()["state"] == "cleared"
    cleared = callers["leader"].get(f"{URL}?region={REGION}&state=cleared").get_json()["rows"]
    assert aid in [x["id"] for x in cleared]
    # still in the set with the same occurrence: it stays cleared
    row = next(x for x in callers["leader"].get(f"{URL}?region={REGION}").get_json()["rows"] if x["id"] == aid)
    assert row["state"] == "cleared"
    r = callers["duty"].post(f"{URL}/{aid}/ack", {"note": "x"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "id"


@pytest.mark.parametrize("who", ["leader", "analyst", "handler"])
def test_roles_that_may_not_write_are_403(callers, alarm_ids, who):
    for action, body in (("ack", {}), ("silence", {"minutes": 5, "reason": "x"}), ("resolve", {})):
        r = callers[who].post(f"{URL}/{alarm_ids[5]}/{action}", body)
        assert r.status_code == 403 and r.is_json, (who, action)


def test_wall_may_not_acknowledge(ops_app, alarm_ids):
    from tests.conftest import app_context  # noqa: F401
    from tests.citybrain.ops.conftest import Caller

    assert Caller(ops_app, "wall", "wall").post(f"{URL}/{alarm_ids[5]}/ack", {}).status_code == 403


def test_unknown_alarm_is_404(callers):
    for aid in ("kpi:330225:nope", "x" * 300, "%00"):
        r = callers["duty"].post(f"{URL}/{aid}/ack", {"note": "x"})
        assert r.status_code == 404 and r.is_json, aid


def test_bad_state_filter_is_400(callers):
    r = callers["leader"].get(f"{URL}?region={REGION}&state=open")
    assert r.status_code == 400 and r.get_json()["parameter"] == "state"


def test_writes_are_audited(callers, alarm_ids, ops_settings):
    callers["duty"].post(f"{URL}/{alarm_ids[6]}/ack", {"note": "审计"})
    lines = [json.loads(x) for x in (ops_settings.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert any(e["event"] == "alarm_acknowledge" and e["alarm_id"] == alarm_ids[6] and e["note"] == "审计"
               for e in lines)


def test_cleared_by_itself_when_it_leaves_the_set_and_back_when_it_returns(ops_app, alarm_ids):
    from tests.conftest import app_context

    settings = ops_app.server.config["CITYBRAIN_SETTINGS"]
    with app_context(settings) as ctx:
        from citybrain.ops.db import ensure

        engine = ensure(ctx.ops)
        now = datetime(2030, 1, 1, 8, 0)
        region, _at, frame = life.refresh(engine, REGION, now)
        aid = alarm_ids[7]
        assert life.states(engine, [aid], now)[aid]["state"] == "active"
        counts = life.sync(engine, region, frame[frame["id"] != aid], now)  # the value is back to normal
        assert counts["cleared"] == 1
        assert life.states(engine, [aid], now)[aid]["state"] == "cleared"
        assert aid in [r["id"] for r in life.cleared(engine, region, now, 100)]
        assert life.sync(engine, region, frame, now + timedelta(minutes=5))["again"] == 1  # it returns
        assert life.states(engine, [aid], now)[aid]["state"] == "active"
        assert [e["event"] for e in life.history(engine, aid)][-2:] == ["cleared", "raised_again"]
        assert life.sync(engine, region, frame, now) == {"raised": 0, "again": 0, "cleared": 0}  # nothing to do


def test_silence_expires_by_itself(ops_app, alarm_ids):
    from tests.conftest import app_context

    settings = ops_app.server.config["CITYBRAIN_SETTINGS"]
    with app_context(settings) as ctx:
        from citybrain.ops.db import ensure

        engine = ensure(ctx.ops)
        aid = alarm_ids[1]
        t0 = datetime(2030, 1, 1, 8, 0)
        out = life.silence(engine, aid, "值班员张", t0, 15, "施工")
        assert out["silenced_until"] == t0 + timedelta(minutes=15)
        assert life.states(engine, [aid], t0 + timedelta(minutes=14))[aid]["silenced_until"] is not None
        assert life.states(engine, [aid], t0 + timedelta(minutes=16))[aid]["silenced_until"] is None
