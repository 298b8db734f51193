"""The ``/api/v1/duty`` routes: the roster, the duty log and the handover summary of a shift.

Reads are for every staff role but a handler (``duty.check_read``: a handover speaks of every
department); writes for the duty roles (``duty``, ``admin``). Bodies and parameters are checked
field by field (400 naming the field), every write is audited (``citybrain.audit``), errors are
JSON as in ``citybrain.ops.api``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, jsonify, request

from citybrain import audit, context
from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route
from citybrain.auth.policy import STAFF
from citybrain.ops import duty, handover
from citybrain.ops.api import MAX_ID, json_body, json_ok, op_doc, iso, ops_view
from citybrain.ops.body import Field
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import NotFound
from citybrain.semantics.freshness import now as clock_now

SHIFT = [Field("user", "text", required=True, max_len=64), Field("role", "enum", required=True, enum=duty.ROSTER_ROLES),
         Field("region", "region", required=True), Field("starts_at", "datetime", required=True),
         Field("ends_at", "datetime", required=True)]
ENTRY = [Field("region", "region", required=True), Field("text", "text", required=True, max_len=duty.MAX_TEXT),
         Field("alarm_id", "text", max_len=200), Field("workorder_id", "int", minimum=1, maximum=MAX_ID)]
RANGE = [Param("region", "region", "Region code (adcode); its districts included. Default: the configured region."),
         Param("since", "datetime", "From this time (CST); default: today 00:00.", before="until"),
         Param("until", "datetime", "Until this time (CST, exclusive); default: since + 1 day.")]


def _engine():
    return ensure(context.current().ops)


def _range() -> tuple[str, datetime, datetime]:
    v = parse(request.args, RANGE)
    since = v["since"] or clock_now().replace(hour=0, minute=0, second=0)
    until = v["until"] or since + timedelta(days=1)
    return v["region"] or context.current().settings.region, since, until


def _limit() -> int:
    return current_app.config["CITYBRAIN_SETTINGS"].api_max_rows


def _listed(read: Callable[..., list[dict[str, Any]]]) -> Any:
    """The rows ``read(engine, region, since, until, limit)`` gives for the request's range, as JSON."""
    duty.check_read(caller()[1])
    region, since, until = _range()
    rows = read(_engine(), region, since, until, _limit())
    return jsonify(region=region, since=since.isoformat(), until=until.isoformat(), count=len(rows), rows=iso(rows))


@ops_view
def roster():
    """Roster entries of the region overlapping the time range."""
    return _listed(duty.roster)


@ops_view
def add_shift():
    """Put someone on the roster (duty, admin)."""
    user, role, _ = caller()
    duty.check_write(role, "edit the duty roster")
    b = json_body(SHIFT)
    out = duty.add_shift(_engine(), user=b["user"], role=b["role"], region=b["region"], starts_at=b["starts_at"],
                         ends_at=b["ends_at"], created_by=user, now=clock_now())
    audit.record("duty_roster_add", user=user, role=role, addr=request.remote_addr, id=out["id"], shift=iso(out))
    return jsonify(iso(out)), 201


@ops_view
def remove_shift(shift_id: int):
    """Take an entry off the roster (duty, admin)."""
    user, role, _ = caller()
    duty.check_write(role, "edit the duty roster")
    if not 0 < shift_id <= MAX_ID:
        raise NotFound("unknown roster entry", parameter="id", got=str(shift_id)[:40])
    out = duty.remove_shift(_engine(), shift_id)
    audit.record("duty_roster_remove", user=user, role=role, addr=request.remote_addr, id=shift_id, shift=iso(out))
    return jsonify(iso(out))


@ops_view
def log_entries():
    """Duty log entries of the region in the time range, newest first."""
    return _listed(duty.entries)


def write_entry(b: dict[str, Any], via: str | None = None) -> dict[str, Any]:
    """Write a log entry as the caller (duty, admin) and audit it; the API's and the page's one path."""
    user, role, _ = caller()
    duty.check_write(role, "write the duty log")
    out = duty.add_entry(_engine(), author=user, role=role, region=b["region"], text=b["text"], now=clock_now(),
                         alarm_id=b.get("alarm_id"), workorder_id=b.get("workorder_id"))
    extra = {"via": via} if via else {}
    audit.record("duty_log_add", user=user, role=role, addr=request.remote_addr, id=out["id"], entry=iso(out),
                 **extra)
    return out


@ops_view
def add_entry():
    """Write a duty log entry (duty, admin); the time is the server's."""
    return jsonify(iso(write_entry(json_body(ENTRY)))), 201


@ops_view
def handover_summary(shift_id: int):
    """The handover summary of a shift: open alarms and orders at its end, what changed during it."""
    duty.check_read(caller()[1])
    if not 0 < shift_id <= MAX_ID:
        raise NotFound("unknown roster entry", parameter="shift_id", got=str(shift_id)[:40])
    return jsonify(iso(handover.current(_engine(), shift_id, clock_now())))


_ROWS = json_ok({"count": {"type": "integer"}, "rows": {"type": "array", "items": {"type": "object"}}})
_ID = json_ok({"id": {"type": "integer"}}, "201")
add_route("/duty/roster", "duty_roster", roster, {"get": op_doc(
    "duty_roster", "Roster entries of a region overlapping a time range (default: today).", "duty", _ROWS, (400,),
    params=RANGE)}, access=STAFF)
add_route("/duty/roster", "duty_roster_add", add_shift, {"post": op_doc(
    "duty_roster_add", "Put someone on the roster (duty, admin).", "duty", _ID, (400,), body=SHIFT)},
    methods=("POST",), access=STAFF)
add_route("/duty/roster/<int:shift_id>", "duty_roster_remove", remove_shift, {"delete": op_doc(
    "duty_roster_remove", "Take an entry off the roster (duty, admin).", "duty", json_ok({"id": {"type": "integer"}}),
    (404,), path_param=("shift_id", "integer"))}, methods=("DELETE",), access=STAFF)
add_route("/duty/log", "duty_log", log_entries, {"get": op_doc(
    "duty_log", "Duty log entries of a region in a time range (default: today), newest first.", "duty", _ROWS,
    (400,), params=RANGE)}, access=STAFF)
add_route("/duty/log", "duty_log_add", add_entry, {"post": op_doc(
    "duty_log_add", "Write a duty log entry (duty, admin).", "duty", _ID, (400,), body=ENTRY)},
    methods=("POST",), access=STAFF)
add_route("/duty/handover/<int:shift_id>", "duty_handover", handover_summary, {"get": op_doc(
    "duty_handover", "Handover summary of a shift: open alarms and orders at its end, what changed during it.",
    "duty", json_ok({"counts": {"type": "object"}, "open_alarms": {"type": "array", "items": {"type": "object"}},
                      "open_orders": {"type": "array", "items": {"type": "object"}}}), (404,),
    path_param=("shift_id", "integer"))}, access=STAFF)
