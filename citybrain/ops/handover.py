"""The handover summary of a shift (交接班摘要): what the next shift takes over and what happened.

For a roster entry (its region, ``starts_at``, ``ends_at``): the events of ``[starts_at, ends_at)``
and the state everything was in at the end (every event before ``ends_at``), read from the event
tables (``alarm_events``, ``workorder_steps``), so a summary printed a week later says the same as
one printed at the end of the shift. While the shift runs, that is the state now (``as_of``, the
moment overdue flags are judged at):

- ``team``: the roster entries of the region overlapping the shift;
- ``open_alarms``: alarms whose last event at ``as_of`` leaves them raised (active or acknowledged);
- ``open_orders``: work orders whose last step at ``as_of`` is not final (closed, rejected), with
  the overdue flag of that moment (``citybrain.ops.rules``);
- ``alarm_events``: alarms raised, acknowledged, silenced and cleared during the shift;
- ``orders_created``, ``orders_closed``: orders created and closed during the shift;
- ``log``: the duty log entries of the shift, oldest first;
- ``counts``: how many of each.

Each list holds at most ``LIMIT`` rows (oldest first for events, overdue first for orders).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine

from citybrain.ops import duty, rules
from citybrain.ops.tables import alarm_events, alarm_states, duty_log, workorder_steps, workorders

log = logging.getLogger(__name__)
LIMIT = 500
OPEN_EVENTS = ("raised", "raised_again", "acknowledged", "silenced")
#: The kinds of alarm events a handover counts, and the events each covers.
ALARM_KINDS: dict[str, tuple[str, ...]] = {"raised": ("raised", "raised_again"), "acknowledged": ("acknowledged",),
                                           "silenced": ("silenced",), "cleared": ("cleared", "resolved")}


def current(engine: Engine, shift_id: int, now: datetime) -> dict[str, Any]:
    """``summary`` as the pages and the API read it: while the shift runs, the alarm states are first
    synced with the alarm set (``alarms.refresh``), so the summary says what is raised now."""
    s = duty.shift(engine, shift_id)
    if s["ends_at"] > now:
        from citybrain.ops import alarms as life
        from citybrain.regions import REGIONS

        region = REGIONS[s["region_code"]].parent or s["region_code"]
        try:
            life.refresh(engine, region, now)
        except Exception:  # the store may be missing or rebuilding: the summary still says what is recorded
            log.warning("alarm set of %s not synced for a handover", region, exc_info=True)
    return summary(engine, shift_id, now)


def summary(engine: Engine, shift_id: int, now: datetime) -> dict[str, Any]:
    """The handover summary of roster entry ``shift_id`` read at ``now`` (404 when unknown)."""
    s = duty.shift(engine, shift_id)
    region, start, end = s["region_code"], s["starts_at"], s["ends_at"]
    as_of = min(end, now)
    codes = duty.region_codes(region)
    with engine.connect() as conn:
        out = {
            "shift": s, "region": region, "as_of": as_of, "ongoing": s["ends_at"] > now,
            "team": duty.roster(engine, region, start, s["ends_at"]),
            "open_alarms": _open_alarms(conn, region, end),
            "open_orders": _open_orders(conn, codes, end, as_of),
            "alarm_events": _alarm_events(conn, region, start, end),
            "orders_created": _orders_stepped(conn, codes, "received", start, end),
            "orders_closed": _orders_stepped(conn, codes, "closed", start, end),
            "log": _log(conn, codes, start, end),
        }
    ev = out["alarm_events"]
    out["counts"] = {
        "open_alarms": len(out["open_alarms"]), "open_orders": len(out["open_orders"]),
        "overdue_orders": sum(o["overdue"] for o in out["open_orders"]),
        **{f"alarms_{k}": sum(e["event"] in names for e in ev) for k, names in ALARM_KINDS.items()},
        "orders_created": len(out["orders_created"]), "orders_closed": len(out["orders_closed"]),
        "log_entries": len(out["log"])}
    return out


def _alarm_in(region: str) -> Any:
    """Alarms of ``region``: those of its alarm set, and a district's own alarms in its city's set."""
    return or_(alarm_states.c.scope_region == region, alarm_states.c.region_code == region)


def _open_alarms(conn: Connection, region: str, end: datetime) -> list[dict[str, Any]]:
    last = (select(alarm_events.c.alarm_id, func.max(alarm_events.c.id).label("last_id"))
            .where(alarm_events.c.at < end).group_by(alarm_events.c.alarm_id).subquery())
    q = (select(alarm_states.c.alarm_id, alarm_states.c.severity, alarm_states.c.title_zh, alarm_states.c.title_en,
                alarm_states.c.region_code, alarm_states.c.raised_at, alarm_events.c.event, alarm_events.c.at)
         .join(last, last.c.alarm_id == alarm_states.c.alarm_id)
         .join(alarm_events, alarm_events.c.id == last.c.last_id)
         .where(_alarm_in(region), alarm_events.c.event.in_(OPEN_EVENTS))
         .order_by(alarm_states.c.severity, alarm_states.c.alarm_id).limit(LIMIT))
    rows = [dict(r._mapping) for r in conn.execute(q)]
    acked = _acknowledged(conn, [r["alarm_id"] for r in rows], end)
    return [{"id": r["alarm_id"], "severity": r["severity"], "title_zh": r["title_zh"], "title_en": r["title_en"],
             "region_code": r["region_code"], "raised_at": r["raised_at"],
             "state": "acknowledged" if r["alarm_id"] in acked else "active",
             "acknowledged_by": acked.get(r["alarm_id"])} for r in rows]


def _acknowledged(conn: Connection, ids: list[str], end: datetime) -> dict[str, str | None]:
    """Of ``ids``, those acknowledged since their last raise before ``end`` (and by whom)."""
    out: dict[str, str | None] = {}
    for i in range(0, len(ids), 200):
        q = (select(alarm_events.c.alarm_id, alarm_events.c.event, alarm_events.c.user)
             .where(alarm_events.c.alarm_id.in_(ids[i:i + 200]), alarm_events.c.at < end,
                    alarm_events.c.event.in_(("raised", "raised_again", "acknowledged")))
             .order_by(alarm_events.c.alarm_id, alarm_events.c.id))
        for r in conn.execute(q):
            if r.event == "acknowledged":
                out.setdefault(r.alarm_id, r.user)
            else:
                out.pop(r.alarm_id, None)
    return out


def _open_orders(conn: Connection, codes: list[str], end: datetime, as_of: datetime) -> list[dict[str, Any]]:
    last = (select(workorder_steps.c.workorder_id, func.max(workorder_steps.c.version).label("v"))
            .where(workorder_steps.c.at < end).group_by(workorder_steps.c.workorder_id).subquery())
    q = (select(workorders.c.id, workorders.c.title, workorders.c.category, workorders.c.region_code,
                workorder_steps.c.to_state, workorder_steps.c.at, workorder_steps.c.department)
         .join(last, last.c.workorder_id == workorders.c.id)
         .join(workorder_steps, and_(workorder_steps.c.workorder_id == last.c.workorder_id,
                                     workorder_steps.c.version == last.c.v))
         .where(workorders.c.region_code.in_(codes), workorder_steps.c.to_state.not_in(tuple(rules.FINAL)))
         .order_by(workorders.c.id))
    out = []
    for r in conn.execute(q):
        due = rules.due(r.category, r.to_state, r.at)
        out.append({"id": r.id, "title": r.title, "category": r.category, "region_code": r.region_code,
                    "state": r.to_state, "since": r.at, "department": r.department, "due_at": due,
                    "overdue": rules.overdue(r.to_state, due, as_of)})
    out.sort(key=lambda o: (not o["overdue"], o["due_at"] or as_of, o["id"]))
    return out[:LIMIT]


def _alarm_events(conn: Connection, region: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    q = (select(alarm_events.c.at, alarm_events.c.event, alarm_events.c.user, alarm_events.c.note,
                alarm_states.c.alarm_id, alarm_states.c.severity, alarm_states.c.title_zh, alarm_states.c.title_en)
         .join(alarm_states, alarm_states.c.alarm_id == alarm_events.c.alarm_id)
         .where(_alarm_in(region), alarm_events.c.at >= start, alarm_events.c.at < end)
         .order_by(alarm_events.c.at, alarm_events.c.id).limit(LIMIT))
    return [{"at": r.at, "event": r.event, "user": r.user, "note": r.note, "id": r.alarm_id, "severity": r.severity,
             "title_zh": r.title_zh, "title_en": r.title_en} for r in conn.execute(q)]


def _orders_stepped(conn: Connection, codes: list[str], to: str, start: datetime,
                    end: datetime) -> list[dict[str, Any]]:
    q = (select(workorders.c.id, workorders.c.title, workorders.c.category, workorders.c.region_code,
                workorder_steps.c.at, workorder_steps.c.user, workorder_steps.c.department)
         .join(workorder_steps, workorder_steps.c.workorder_id == workorders.c.id)
         .where(workorders.c.region_code.in_(codes), workorder_steps.c.to_state == to,
                workorder_steps.c.at >= start, workorder_steps.c.at < end)
         .order_by(workorder_steps.c.at, workorders.c.id).limit(LIMIT))
    return [dict(r._mapping) for r in conn.execute(q)]


def _log(conn: Connection, codes: list[str], start: datetime, end: datetime) -> list[dict[str, Any]]:
    q = (select(duty_log).where(duty_log.c.region_code.in_(codes), duty_log.c.at >= start, duty_log.c.at < end)
         .order_by(duty_log.c.at, duty_log.c.id).limit(LIMIT))
    return [{c: r._mapping[c] for c in duty.LOG_COLUMNS} for r in conn.execute(q)]
