"""Work orders through the HTTP API on SQLite and on PostgreSQL: every step, 409, 403, 400, 404,
history, time limits, the filtered list and its CSV, the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from citybrain.ops.tables import workorders

URL = "/api/v1/workorders"
NEW = {"title": "井盖缺失 · 丹东街道", "category": "urgent", "region": "330225", "lon": 121.87, "lat": 29.48}


def create(callers, **kw) -> dict:
    r = callers["duty"].post(URL, {**NEW, **kw})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def step(caller, oid: int, to: str, version: int, **kw):
    return caller.post(f"{URL}/{oid}/transition", {"to": to, "version": version, **kw})


def walk(callers, oid: int, steps: list[tuple[str, str, dict]]) -> int:
    version = 1
    for who, to, kw in steps:
        r = step(callers[who], oid, to, version, **kw)
        assert r.status_code == 200, (to, r.get_json())
        body = r.get_json()
        assert body["state"] == to and body["version"] == version + 1
        version = body["version"]
    return version


def test_create_answers_id_state_version(callers):
    body = create(callers)
    assert set(body) == {"id", "state", "version"} and body["state"] == "received" and body["version"] == 1


def test_whole_loop_with_history(callers):
    oid = create(callers)["id"]
    walk(callers, oid, [("duty", "registered", {"note": "立案"}), ("duty", "dispatched", {"department": "城管局"}),
                        ("handler", "handled", {"note": "已补装井盖"}), ("duty", "verified", {}),
                        ("duty", "closed", {"note": "结案"})])
    r = callers["duty"].get(f"{URL}/{oid}")
    body = r.get_json()
    assert r.status_code == 200 and body["state"] == "closed" and body["version"] == 6
    assert body["closed_at"] and body["department"] == "城管局" and body["overdue"] is False
    hist = body["history"]
    assert [h["to"] for h in hist] == ["received", "registered", "dispatched", "handled", "verified", "closed"]
    assert [h["user"] for h in hist] == ["值班员张", "值班员张", "值班员张", "chen", "值班员张", "值班员张"]
    assert hist[3]["note"] == "已补装井盖" and all(h["at"] for h in hist)
    assert len(hist) == body["version"]


def test_rework_goes_back_to_dispatched(callers):
    oid = create(callers, category="normal")["id"]
    v = walk(callers, oid, [("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"}),
                            ("handler", "handled", {})])
    r = step(callers["duty"], oid, "dispatched", v)
    assert r.status_code == 400 and r.get_json()["parameter"] == "note"  # 返工 needs the reason
    r = step(callers["duty"], oid, "dispatched", v, note="未修复，返工")
    assert r.status_code == 200 and r.get_json()["department"] == "城管局"
    r = step(callers["handler"], oid, "handled", v + 1)
    assert r.status_code == 200
    r = step(callers["admin"], oid, "verified", v + 2)
    assert r.status_code == 200 and r.get_json()["version"] == v + 3


def test_reject_is_final(callers):
    oid = create(callers)["id"]
    r = step(callers["duty"], oid, "rejected", 1, note="重复上报")
    assert r.status_code == 200
    r = step(callers["duty"], oid, "registered", 2)
    assert r.status_code == 400 and "illegal step" in r.get_json()["error"]
    assert r.get_json()["expected"].startswith("one of: none")


@pytest.mark.parametrize("state_steps,to", [
    ([], "closed"), ([], "dispatched"), ([], "verified"),
    ([("duty", "registered", {})], "verified"),
    ([("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"})], "closed"),
])
def test_illegal_steps_are_400(callers, state_steps, to):
    oid = create(callers)["id"]
    v = walk(callers, oid, state_steps)
    r = step(callers["admin"], oid, to, v, department="城管局", note="x")
    assert r.status_code == 400 and r.get_json()["parameter"] == "to", r.get_json()


def test_stale_version_is_409(callers):
    oid = create(callers)["id"]
    assert step(callers["duty"], oid, "registered", 1).status_code == 200
    r = step(callers["admin"], oid, "rejected", 1, note="late")
    assert r.status_code == 409
    body = r.get_json()
    assert body["parameter"] == "version" and body["expected"] == "2" and body["state"] == "registered"
    assert callers["duty"].get(f"{URL}/{oid}").get_json()["version"] == 2


@pytest.mark.parametrize("who,to,prep", [
    ("leader", "registered", []), ("analyst", "registered", []), ("handler", "registered", []),
    ("duty", "handled", [("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"})]),
    ("other_handler", "handled", [("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"})]),
    ("handler", "verified", [("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"}),
                             ("handler", "handled", {})]),
])
def test_roles_that_may_not_are_403(callers, who, to, prep):
    oid = create(callers)["id"]
    v = walk(callers, oid, prep)
    r = step(callers[who], oid, to, v, department="城管局", note="x")
    assert r.status_code == 403, r.get_json()
    assert callers["duty"].get(f"{URL}/{oid}").get_json()["version"] == v  # nothing changed


def test_only_duty_and_admin_create(callers):
    for who in ("leader", "analyst", "handler"):
        assert callers[who].post(URL, NEW).status_code == 403
    assert callers["admin"].post(URL, NEW).status_code == 201


def test_wall_may_not_write(ops_app):
    from tests.citybrain.ops.conftest import Caller

    r = Caller(ops_app, "wall", "wall").post(URL, NEW)
    assert r.status_code == 403 and r.is_json


def test_handler_sees_only_its_department(callers):
    oid = create(callers)["id"]
    walk(callers, oid, [("duty", "registered", {}), ("duty", "dispatched", {"department": "城管局"})])
    assert callers["handler"].get(f"{URL}/{oid}").status_code == 200
    assert callers["other_handler"].get(f"{URL}/{oid}").status_code == 404
    r = step(callers["other_handler"], oid, "handled", 3)
    assert r.status_code == 403
    ids = {row["id"] for row in callers["other_handler"].get(URL).get_json()["rows"]}
    assert oid not in ids
    assert oid in {row["id"] for row in callers["handler"].get(URL).get_json()["rows"]}


@pytest.mark.parametrize("body,field", [
    ({"version": 1}, "to"), ({"to": "registered"}, "version"), ({"to": "registered", "version": "1"}, "version"),
    ({"to": "registered", "version": True}, "version"), ({"to": "registered", "version": 0}, "version"),
    ({"to": "registered", "version": 1.5}, "version"), ({"to": "done", "version": 1}, "to"),
    ({"to": "registered", "version": 1, "extra": 1}, "extra"), ([1, 2], "body"), ("x", "body"),
    ({"to": "registered", "version": 1, "note": "x" * 5000}, "note"),
    ({"to": "registered", "version": 1, "note": 5}, "note"),
    ({"to": "registered", "version": 10**30}, "version"),
])
def test_bad_transition_bodies_are_400_naming_the_field(callers, body, field):
    oid = create(callers)["id"]
    r = callers["duty"].post(f"{URL}/{oid}/transition", body)
    assert r.status_code == 400 and r.get_json()["parameter"] == field, r.get_json()


@pytest.mark.parametrize("patch,field", [
    ({"title": ""}, "title"), ({"title": "x" * 201}, "title"), ({"category": "critical"}, "category"),
    ({"region": "999999"}, "region"), ({"lon": 500}, "lon"), ({"lat": "29"}, "lat"), ({"lat": float("nan")}, "lat"),
    ({"alarm_id": "<script>"}, "alarm_id"), ({"title": None, "x": 1}, "x"), ({"title": "a\x00b"}, "title"),
])
def test_bad_create_bodies_are_400_naming_the_field(callers, patch, field):
    body = {**NEW, **patch}
    r = callers["duty"].post(URL, data=json.dumps(body), content_type="application/json")
    assert r.status_code == 400 and r.get_json()["parameter"] == field, r.get_json()


def test_not_json_and_unknown_ids(callers):
    r = callers["duty"].post(URL, data="title=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and r.get_json()["parameter"] == "body"
    r = callers["duty"].post(URL, data="{bad json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["parameter"] == "body"
    assert callers["duty"].get(f"{URL}/987654").status_code == 404
    r = step(callers["duty"], 987654, "registered", 1)
    assert r.status_code == 404 and r.is_json
    assert callers["duty"].get(f"{URL}/abc").status_code == 404
    assert callers["duty"].post(f"{URL}/{'9' * 40}/transition", {"to": "registered", "version": 1}).status_code == 404


def test_cross_site_write_refused(callers):
    r = callers["duty"].post(URL, NEW, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_list_filters_and_overdue_first(callers, ops_app):
    late = create(callers, title="超时工单")["id"]
    fresh = create(callers, title="新工单")["id"]
    engine = ops_app.server.extensions["citybrain"].ops
    with engine.begin() as conn:  # the order entered its state long ago
        row = conn.execute(sa.select(workorders.c.state_since).where(workorders.c.id == late)).scalar_one()
        conn.execute(sa.update(workorders).where(workorders.c.id == late).values(
            state_since=row - timedelta(days=2), due_at=row - timedelta(days=2) + timedelta(minutes=10)))
    rows = callers["leader"].get(URL + "?state=received").get_json()["rows"]
    ids = [r["id"] for r in rows]
    assert ids.index(late) < ids.index(fresh) and rows[0]["overdue"] is True
    assert late in [r["id"] for r in callers["leader"].get(URL + "?overdue=true").get_json()["rows"]]
    assert fresh not in [r["id"] for r in callers["leader"].get(URL + "?overdue=true").get_json()["rows"]]
    assert fresh in [r["id"] for r in callers["leader"].get(URL + "?overdue=false").get_json()["rows"]]
    got = callers["leader"].get(URL + "?state=closed&state=rejected&category=urgent&region=330225").get_json()
    assert all(r["state"] in ("closed", "rejected") for r in got["rows"])
    assert callers["leader"].get(URL + "?state=nope").status_code == 400
    assert callers["leader"].get(URL + "?bogus=1").get_json()["parameter"] == "bogus"


def test_csv_is_excel_safe_and_audited(callers, ops_settings):
    oid = create(callers, title="=HYPERLINK(\"http://evil\")")["id"]
    assert step(callers["duty"], oid, "registered", 1).status_code == 200
    r = callers["admin"].get(URL + ".csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeffid,title,category")
    assert "'=HYPERLINK" in text
    assert callers["leader"].get(URL + ".csv").status_code == 403  # not an export role
    lines = (ops_settings.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    assert any(e["event"] == "export" and e.get("what") == "workorders" for e in events)
    assert any(e["event"] == "workorder_create" for e in events)
    assert any(e["event"] == "workorder_transition" for e in events)


@pytest.mark.parametrize("query", ["department=%00", "department=" + "x" * 300, "state=" + "a" * 300,
                                   "overdue=maybe", "region=330225%00", "x" * 3000 + "=1", "state=closed&state=%ED%A0%80",
                                   "encoding=latin-1"])
def test_hostile_queries_are_4xx_json(callers, query):
    for path in (URL, URL + ".csv"):
        r = callers["admin"].get(f"{path}?{query}")
        if path == URL and query.startswith("encoding"):
            assert r.status_code == 400  # not a parameter of the JSON list
        assert 400 <= r.status_code < 500 and r.is_json, (path, query, r.status_code)
