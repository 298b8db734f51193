"""The ``/api/v1`` routes of the duty room: alarm acknowledgement, silences and resolution; work orders.

Writes take a JSON body (``body``: 400 naming the field), check the caller's role (403), act in one
transaction (404, 409, 400 for an illegal step) and are audited (``citybrain.audit``). A write whose
``Origin`` is another site is refused (403). Errors are JSON, never a traceback; a database that
cannot be reached is 503.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from flask import Response, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from citybrain import audit, context
from citybrain.api.params import Param, ParamError, parse
from citybrain.api.routes import ENCODING, add_route, error_answer, operation
from citybrain.api.routes import path_param as route_path_param
from citybrain.auth.roles import can_act_on_alarms
from citybrain.ops import alarms as life
from citybrain.ops import rules, workorders
from citybrain.ops.caller import caller
from citybrain.ops.body import Field, openapi_body, parse_body
from citybrain.ops.db import ensure
from citybrain.ops.errors import Forbidden, NotFound, OpsError
from citybrain.semantics.freshness import now as clock_now
from citybrain.auth.policy import EXPORT, STAFF

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1
NOTE = Field("note", "text", max_len=2000)
ACK = [NOTE]
SILENCE = [Field("minutes", "int", required=True, minimum=1, maximum=life.MAX_SILENCE_MIN),
           Field("reason", "text", required=True, max_len=2000)]
CREATE = [Field("title", "text", required=True, max_len=200),
          Field("category", "enum", required=True, enum=rules.CATEGORIES),
          Field("region", "region", required=True), Field("alarm_id", "id"),
          Field("lon", "float", minimum=-180, maximum=180), Field("lat", "float", minimum=-90, maximum=90)]
TRANSITION = [Field("to", "enum", required=True, enum=rules.STATES),
              Field("version", "int", required=True, minimum=1, maximum=MAX_ID),
              Field("department", "text", max_len=64), NOTE]
LIST = [Param("state", "enum", "Only orders in these states.", repeat=True, enum=rules.STATES),
        Param("region", "region", "Only orders of this region."),
        Param("category", "enum", "Only orders of this category.", enum=rules.CATEGORIES),
        Param("department", "string", "Only orders dispatched to this department."),
        Param("overdue", "bool", "Only overdue (true) or only timely (false) orders.")]
CSV_PARAMS = LIST + [ENCODING]


def iso(obj: Any) -> Any:
    """``obj`` with every date-time as ISO 8601 text (Flask would write an HTTP date)."""
    if isinstance(obj, dict):
        return {k: iso(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [iso(v) for v in obj]
    return obj.isoformat() if isinstance(obj, datetime) else obj


_who = caller


def same_site() -> None:
    """``Forbidden`` for a write whose ``Origin`` is another site."""
    origin = request.headers.get("Origin")
    if origin and urlparse(origin).netloc != request.host:
        raise Forbidden("cross-site write refused")


def json_body(fields: list[Field]) -> dict[str, Any]:
    same_site()
    data = request.get_json(silent=True) if request.content_length else None
    if request.content_length and data is None:
        raise ParamError("body", "the body is not JSON", "a JSON object (Content-Type: application/json)")
    return parse_body(data, fields)


def ops_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer ``OpsError`` with its status and body and a database failure with 503."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except OpsError as exc:
            if exc.status == 403:
                user, role, _ = _who()
                audit.record("denied", user=user, role=role or "anonymous", addr=request.remote_addr,
                             path=request.path[:200], reason=exc.message)
            return jsonify(exc.body()), exc.status
        except SQLAlchemyError:
            log.exception("operational database error on %s", request.path)
            return jsonify(error="the operational database is unavailable; the event was logged"), 503

    return wrapped


def _engine():
    return ensure(context.current().ops)


# --- alarms ---------------------------------------------------------------------------------------

def _alarm_write(alarm_id: str, action: str, fields: list[Field], act: Callable[..., dict[str, Any]]) -> Any:
    user, role, _ = _who()
    if not can_act_on_alarms(role):
        raise Forbidden(f"role {role or 'anonymous'} may not {action} alarms")
    body = json_body(fields)
    engine, now = _engine(), clock_now()
    if len(alarm_id) > 200 or any(ord(c) < 32 for c in alarm_id):  # never an id of the set
        raise NotFound("unknown alarm", parameter="id", got=alarm_id)
    if life.find(engine, alarm_id) is None:
        life.refresh_all(engine, now)  # an alarm of the set nobody has listed yet
    out = act(engine, alarm_id, user, now, **body)
    audit.record(f"alarm_{action}", user=user, role=role, addr=request.remote_addr, alarm_id=alarm_id, **body)
    return jsonify(iso(out))


@ops_view
def ack(alarm_id: str):
    """Acknowledge an alarm (who, when, note)."""
    return _alarm_write(alarm_id, "acknowledge", ACK, life.acknowledge)


@ops_view
def silence(alarm_id: str):
    """Silence an alarm for some minutes, with a reason."""
    return _alarm_write(alarm_id, "silence", SILENCE, life.silence)


@ops_view
def resolve(alarm_id: str):
    """Clear an alarm by hand."""
    return _alarm_write(alarm_id, "resolve", ACK, life.resolve)


@ops_view
def alarm_history(alarm_id: str):
    """An alarm's state with every event: raised, acknowledged, silenced, escalated, resolved, cleared."""
    engine = _engine()
    out = life.detail(engine, alarm_id, clock_now()) if len(alarm_id) <= 200 else None
    if out is None:
        raise NotFound("unknown alarm", parameter="id", got=alarm_id[:200])
    return jsonify(iso(out))


# --- work orders ----------------------------------------------------------------------------------

@ops_view
def create():
    """Create a work order (state received, version 1)."""
    user, role, _ = _who()
    if not rules.may_create(role):
        raise Forbidden(f"role {role or 'anonymous'} may not create work orders")
    b = json_body(CREATE)
    out = workorders.create(_engine(), user=user, role=role, title=b["title"], category=b["category"],
                            region=b["region"], alarm_id=b["alarm_id"], lon=b["lon"], lat=b["lat"], now=clock_now())
    audit.record("workorder_create", user=user, role=role, addr=request.remote_addr, **out,
                 title=b["title"], category=b["category"], region=b["region"], alarm_id=b["alarm_id"])
    return jsonify(out), 201


def known_id(order_id: int) -> int:
    """``order_id`` if it can be an order's id at all (a 40-digit number is simply unknown)."""
    if not 0 < order_id <= MAX_ID:
        raise NotFound("unknown work order", parameter="id", got=str(order_id)[:40])
    return order_id


@ops_view
def transition(order_id: int):
    """Take one step of a work order at the version the caller read."""
    user, role, dept = _who()
    order_id = known_id(order_id)
    b = json_body(TRANSITION)
    out = workorders.transition(_engine(), order_id, to=b["to"], version=b["version"], user=user, role=role,
                                user_department=dept, now=clock_now(), department=b["department"], note=b["note"])
    audit.record("workorder_transition", user=user, role=role, addr=request.remote_addr, **out,
                 note=b["note"])
    return jsonify(out)


@ops_view
def order(order_id: int):
    """A work order with its state and history."""
    _user, role, dept = _who()
    order_id = known_id(order_id)
    return jsonify(iso(workorders.get(_engine(), order_id, role=role, department=dept, now=clock_now())))


def _listing(params: list[Param]) -> list[dict[str, Any]]:
    v = parse(request.args, params)
    _user, role, dept = _who()
    return workorders.listing(_engine(), role=role, department=dept, now=clock_now(),
                              limit=current_app.config["CITYBRAIN_SETTINGS"].api_max_rows,
                              states=v["state"], region=v["region"], category=v["category"],
                              for_department=v["department"], overdue=v["overdue"])


@ops_view
def orders():
    """Work orders matching the filters (overdue first)."""
    rows = _listing(LIST)
    return jsonify(count=len(rows), rows=iso(rows))


_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    s = v.isoformat(sep=" ") if hasattr(v, "isoformat") else str(v)
    return "'" + s if isinstance(v, str) and s.startswith(_RISKY) else s  # no formulas in Excel


@ops_view
def orders_csv():
    """The same list as CSV (UTF-8 with BOM or GBK, formula cells neutralised); audited."""
    rows = _listing(CSV_PARAMS)
    enc = request.args.get("encoding", ENCODING.default)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(workorders.COLUMNS)
    for r in rows:
        w.writerow([_cell(r[c]) for c in workorders.COLUMNS])
    data = (("\ufeff" if enc == "utf-8" else "") + buf.getvalue()).encode(enc, errors="replace")
    user, role, _ = _who()
    audit.record("export", user=user, role=role, addr=request.remote_addr, what="workorders", format="csv",
                 filters={k: v for k, v in request.args.items()}, rows=len(rows), bytes=len(data), outcome="complete")
    return Response(data, content_type=f"text/csv; charset={enc}", headers={
        "Content-Disposition": 'attachment; filename="citybrain_workorders.csv"', "Cache-Control": "no-store"})


# --- OpenAPI --------------------------------------------------------------------------------------

#: What each error code of the ops routes means (503 applies to every route).
_ERRORS = {400: "Bad body or parameter (names the field), or a step the life cycle does not allow",
           404: "Unknown alarm or work order", 409: "Stale version: reload and try again",
           503: "Operational database unavailable"}


def answers(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    """The answers of an ops operation: ``ok`` and the errors ``codes`` (and 503)."""
    return {**ok, **{str(c): error_answer(_ERRORS[c]) for c in (*codes, 503)}}


def op_doc(op_id: str, summary: str, tag: str, ok: dict[str, Any], codes: tuple[int, ...], *,
           body: list[Field] | None = None, path_param: tuple[str, str] | None = None,
           params: list[Param] | None = None) -> dict[str, Any]:
    """An ops operation (``citybrain.api.routes.operation``) with the ops routes' error texts."""
    path = [route_path_param(*path_param)] if path_param else None
    return operation(op_id, summary, tag, ok, {c: _ERRORS[c] for c in (*codes, 503)}, params=params, param_objects=path,
                     body=openapi_body(body) if body is not None else None)


def json_ok(props: dict[str, Any], code: str = "200") -> dict[str, Any]:
    return {code: {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": props}}}}}


_ALARM_OUT = json_ok({"id": {"type": "string"}, "state": {"type": "string"}, "version": {"type": "integer"},
                       "acknowledged_by": {"type": "string", "nullable": True},
                       "acknowledged_at": {"type": "string", "nullable": True},
                       "silenced_until": {"type": "string", "nullable": True}})
_ORDER_OUT = {"id": {"type": "integer"}, "state": {"type": "string"}, "version": {"type": "integer"}}
for _name, _view, _fields, _summary in (("ack", ack, ACK, "Acknowledge an alarm (note optional)."),
                                        ("silence", silence, SILENCE, "Silence an alarm for some minutes, with a reason."),
                                        ("resolve", resolve, ACK, "Clear an alarm by hand.")):
    add_route(f"/alarms/<alarm_id>/{_name}", f"alarm_{_name}", _view, {"post": op_doc(
        f"alarm_{_name}", _summary, "alarms", _ALARM_OUT, (400, 404), body=_fields,
        path_param=("alarm_id", "string"))}, methods=("POST",), access=STAFF)
add_route("/alarms/<alarm_id>/history", "alarm_history", alarm_history, {"get": op_doc(
    "alarm_history", "An alarm's state and every event of its life cycle (escalations included).", "alarms",
    json_ok({"id": {"type": "string"}, "state": {"type": "string"}, "escalation_level": {"type": "integer"},
              "history": {"type": "array", "items": {"type": "object"}}}), (404,),
    path_param=("alarm_id", "string"))}, access=STAFF)
add_route("/workorders", "workorders_list", orders, {"get": op_doc(
    "workorders_list", "Work orders matching the filters, overdue first.", "workorders",
    json_ok({"count": {"type": "integer"}, "rows": {"type": "array", "items": {"type": "object"}}}), (400,),
    params=LIST)}, access=STAFF)
add_route("/workorders", "workorders_create", create, {"post": op_doc(
    "workorders_create", "Create a work order (state received).", "workorders", json_ok(_ORDER_OUT, "201"), (400,),
    body=CREATE)}, methods=("POST",), access=STAFF)
add_route("/workorders.csv", "workorders_csv", orders_csv, {"get": op_doc(
    "workorders_csv", "Work orders matching the filters (CSV).", "workorders",
    {"200": {"description": "OK", "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}},
    (400,), params=CSV_PARAMS)}, access=EXPORT)
add_route("/workorders/<int:order_id>", "workorder", order, {"get": op_doc(
    "workorder", "A work order with its state and history.", "workorders",
    json_ok({**_ORDER_OUT, "history": {"type": "array", "items": {"type": "object"}}}), (404,),
    path_param=("order_id", "integer"))}, access=STAFF)
add_route("/workorders/<int:order_id>/transition", "workorder_transition", transition, {"post": op_doc(
    "workorder_transition", "Take one step of a work order at the version read (409 when stale).", "workorders",
    json_ok({**_ORDER_OUT, "department": {"type": "string", "nullable": True}}), (400, 404, 409), body=TRANSITION,
    path_param=("order_id", "integer"))}, methods=("POST",), access=STAFF)
