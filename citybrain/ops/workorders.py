"""Work orders (工单): create, take a step (optimistic version), read with history, list.

Each step is one write transaction: the order's row moves only ``WHERE version = <the caller's>``
and the step row is written with the new version (unique per order), so two operators acting on the
same version never both succeed: the second gets 409 and must reload. ``version`` therefore equals
the number of steps in ``history`` (creation is step 1).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.engine import Engine

from citybrain.auth.roles import HANDLER
from citybrain.ops import photos, rules
from citybrain.ops.db import write
from citybrain.ops.errors import Conflict, Forbidden, NotFound, OpsError
from citybrain.ops.tables import workorder_steps, workorders

log = logging.getLogger(__name__)
#: Columns of a listed order (the CSV's, in this order).
COLUMNS = ("id", "title", "category", "region_code", "state", "department", "overdue", "due_at", "state_since",
           "created_by", "created_at", "closed_at", "alarm_id", "lon", "lat", "version")


def create(engine: Engine, *, user: str, role: str | None, title: str, category: str, region: str,
           now: datetime, alarm_id: str | None = None, lon: float | None = None,
           lat: float | None = None, source: str | None = None) -> dict[str, Any]:
    """A new order in state ``received`` (version 1); ``source`` names the feed item it was made from
    (unique: a second order of the same item fails with the database's integrity error)."""
    if not rules.may_create(role):
        raise Forbidden(f"role {role or 'anonymous'} may not create work orders")
    with write(engine) as conn:
        oid = conn.execute(workorders.insert().values(
            title=title, category=category, region_code=region, alarm_id=alarm_id, lon=lon, lat=lat,
            source=source, state="received", created_by=user, created_at=now, state_since=now,
            due_at=rules.due(category, "received", now), version=1).returning(workorders.c.id)).scalar_one()
        conn.execute(workorder_steps.insert().values(workorder_id=oid, version=1, from_state=None,
                                                     to_state="received", user=user, role=role, at=now))
    log.info("work order %s created by %s", oid, user)
    if category == "urgent":  # announced in the background (``escalation``, ``notify``)
        _announce(engine, {"id": oid, "title": title, "category": category, "region_code": region, "state": "received",
                           "alarm_id": alarm_id, "version": 1, "created_by": user, "created_at": now}, now)
    return {"id": oid, "state": "received", "version": 1}


def _announce(engine: Engine, order: dict[str, Any], now: datetime) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain import context
    from citybrain.ops.escalation import order_created

    try:
        order_created(engine, context.current().settings, order, now)
    except SQLAlchemyError:
        log.exception("urgent work order %s not announced", order["id"])


def transition(engine: Engine, order_id: int, *, to: str, version: int, user: str, role: str | None,
               user_department: str | None, now: datetime, department: str | None = None,
               note: str | None = None) -> dict[str, Any]:
    """Take the step ``to`` of the order at ``version``; 404, 403, 409 and 400 as ``errors`` say."""
    with write(engine) as conn:
        row = conn.execute(select(workorders).where(workorders.c.id == order_id)).first()
        if row is None:
            raise NotFound("unknown work order", parameter="id", got=str(order_id))
        rules.check_role(role, user_department, to, row.department)
        if version != row.version:
            raise Conflict("stale version: the work order changed since it was read", parameter="version",
                           expected=str(row.version), got=str(version), state=row.state)
        rules.check_step(row.state, to)
        dept = row.department
        if to == "dispatched":
            dept = department or (row.department if row.state == "handled" else None)
            if not dept:
                raise OpsError("a dispatch names the department", parameter="department",
                               expected="the department that handles the order")
        if to in ("rejected",) or (to == "dispatched" and row.state == "handled"):
            if not note:
                raise OpsError(f"a step to {to} from {row.state} needs a note (the reason)", parameter="note",
                               expected="the reason")
        new = version + 1
        res = conn.execute(update(workorders).where(workorders.c.id == order_id, workorders.c.version == version)
                           .values(state=to, version=new, department=dept, state_since=now,
                                   due_at=rules.due(row.category, to, now),
                                   closed_at=now if to in rules.FINAL else None))
        if res.rowcount != 1:
            raise Conflict("stale version: the work order changed since it was read", parameter="version",
                           got=str(version))
        conn.execute(workorder_steps.insert().values(workorder_id=order_id, version=new, from_state=row.state,
                                                     to_state=to, user=user, role=role or "anonymous", at=now,
                                                     department=dept, note=note))
    log.info("work order %s: %s -> %s by %s (version %s)", order_id, row.state, to, user, new)
    return {"id": order_id, "state": to, "version": new, "department": dept}


def _row(r: Any, now: datetime) -> dict[str, Any]:
    d = dict(r._mapping)
    d["overdue"] = rules.overdue(d["state"], d["due_at"], now)
    return {c: d.get(c) for c in COLUMNS}


def get(engine: Engine, order_id: int, *, role: str | None, department: str | None, now: datetime) -> dict[str, Any]:
    """The order with its ``history`` (each step's ``from``, ``to``, ``user``, ``role``, ``at``, ``note``,
    ``photos``)."""
    with engine.connect() as conn:
        row = conn.execute(select(workorders).where(workorders.c.id == order_id)).first()
        if row is None or not rules.may_see(role, department, row.department):
            raise NotFound("unknown work order", parameter="id", got=str(order_id))
        steps = conn.execute(select(workorder_steps).where(workorder_steps.c.workorder_id == order_id)
                             .order_by(workorder_steps.c.version)).all()
    pics = photos.of_order(engine, order_id)
    out = _row(row, now)
    out["history"] = [{"version": s.version, "from": s.from_state, "to": s.to_state, "user": s.user,
                       "role": s.role, "at": s.at, "department": s.department, "note": s.note,
                       "photos": pics.get(s.version, [])} for s in steps]
    return out


def listing(engine: Engine, *, role: str | None, department: str | None, now: datetime, limit: int,
            states: list[str] | None = None, region: str | None = None, category: str | None = None,
            for_department: str | None = None, overdue: bool | None = None) -> list[dict[str, Any]]:
    """Orders matching the filters that the caller may see: overdue first, then by due time."""
    q = select(workorders)
    if role == HANDLER:
        q = q.where(workorders.c.department == (department or ""))
    if states:
        q = q.where(workorders.c.state.in_(states))
    if region:
        q = q.where(workorders.c.region_code == region)
    if category:
        q = q.where(workorders.c.category == category)
    if for_department:
        q = q.where(workorders.c.department == for_department)
    late = and_(workorders.c.due_at.is_not(None), workorders.c.due_at < now,
                workorders.c.state.not_in(tuple(rules.FINAL)))
    if overdue is not None:
        q = q.where(late if overdue else or_(workorders.c.due_at.is_(None), workorders.c.due_at >= now,
                                             workorders.c.state.in_(tuple(rules.FINAL))))
    q = q.order_by(case((late, 0), else_=1), workorders.c.due_at.is_(None), workorders.c.due_at,
                   workorders.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [_row(r, now) for r in conn.execute(q)]
