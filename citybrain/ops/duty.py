"""The duty roster (值班表) and the duty log (值班日志).

A roster entry says who (``user``) is on duty in which ``role`` — ``duty`` (值班员) or ``leader``
(带班领导) — for which region from ``starts_at`` to ``ends_at`` (a shift; at most ``MAX_SHIFT_H``
hours). A log entry is what the duty room wrote: author, time (the server's clock), region, text and
optionally the alarm or work order it is about. The duty roles (``duty``, ``admin``) write; every
other reader but a handler reads (a handler sees its department's orders only, and a log or a
handover speaks of every department).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from citybrain.auth.roles import DUTY_ROLES, HANDLER
from citybrain.ops.db import write
from citybrain.ops.errors import Forbidden, NotFound, OpsError
from citybrain.ops.tables import duty_log, duty_roster, workorders
from citybrain.regions import REGIONS

log = logging.getLogger(__name__)
#: The roles a roster entry may name.
ROSTER_ROLES = ("duty", "leader")
#: The longest shift a roster entry may hold (hours).
MAX_SHIFT_H = 72
MAX_TEXT = 2000
#: Columns of a roster row and of a log row as the API and the pages give them.
ROSTER_COLUMNS = ("id", "user", "role", "region_code", "starts_at", "ends_at", "created_by", "created_at")
LOG_COLUMNS = ("id", "at", "author", "role", "region_code", "text", "alarm_id", "workorder_id")


def check_write(role: str | None, what: str) -> None:
    """``Forbidden`` unless ``role`` is a duty role (duty, admin)."""
    if role not in DUTY_ROLES:
        raise Forbidden(f"role {role or 'anonymous'} may not {what}")


def check_read(role: str | None) -> None:
    """``Forbidden`` for a handler (its view is its department's orders) and for nobody."""
    if role is None or role == HANDLER:
        raise Forbidden(f"role {role or 'anonymous'} may not read the duty roster, log or handover")


def region_codes(region: str) -> list[str]:
    """``region`` and its districts (the one rule of ``citybrain.semantics.scope``: a city includes
    its districts), for tables that carry a region code."""
    return [region] + [c for c, r in REGIONS.items() if r.parent == region]


def add_shift(engine: Engine, *, user: str, role: str, region: str, starts_at: datetime, ends_at: datetime,
              created_by: str, now: datetime) -> dict[str, Any]:
    """A new roster entry (400 naming ``ends_at`` when the shift is empty, reversed or too long)."""
    if ends_at <= starts_at:
        raise OpsError("a shift ends after it starts", parameter="ends_at", expected=f"a time after {starts_at}",
                       got=ends_at.isoformat())
    if ends_at - starts_at > timedelta(hours=MAX_SHIFT_H):
        raise OpsError(f"a shift lasts at most {MAX_SHIFT_H} hours", parameter="ends_at",
                       expected=f"at most {starts_at + timedelta(hours=MAX_SHIFT_H)}", got=ends_at.isoformat())
    row = {"user": user, "role": role, "region_code": region, "starts_at": starts_at, "ends_at": ends_at,
           "created_by": created_by, "created_at": now}
    with write(engine) as conn:
        sid = conn.execute(duty_roster.insert().values(**row).returning(duty_roster.c.id)).scalar_one()
    log.info("duty roster: %s on duty as %s in %s %s–%s (entry %s, by %s)", user, role, region, starts_at, ends_at,
             sid, created_by)
    return {"id": sid, **row}


def remove_shift(engine: Engine, shift_id: int) -> dict[str, Any]:
    """Remove a roster entry (404 when unknown); returns what it was."""
    with write(engine) as conn:
        row = conn.execute(select(duty_roster).where(duty_roster.c.id == shift_id)).first()
        if row is None:
            raise NotFound("unknown roster entry", parameter="id", got=str(shift_id))
        conn.execute(delete(duty_roster).where(duty_roster.c.id == shift_id))
    return dict(row._mapping)


def shift(engine: Engine, shift_id: int) -> dict[str, Any]:
    """One roster entry (404 when unknown)."""
    with engine.connect() as conn:
        row = conn.execute(select(duty_roster).where(duty_roster.c.id == shift_id)).first()
    if row is None:
        raise NotFound("unknown roster entry", parameter="shift", got=str(shift_id))
    return dict(row._mapping)


def roster(engine: Engine, region: str, since: datetime, until: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Roster entries of ``region`` (and its districts) overlapping ``[since, until)``, by start."""
    q = (select(duty_roster).where(duty_roster.c.region_code.in_(region_codes(region)),
                                   duty_roster.c.starts_at < until, duty_roster.c.ends_at > since)
         .order_by(duty_roster.c.starts_at, duty_roster.c.role, duty_roster.c.user, duty_roster.c.id).limit(limit))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def add_entry(engine: Engine, *, author: str, role: str | None, region: str, text: str, now: datetime,
              alarm_id: str | None = None, workorder_id: int | None = None) -> dict[str, Any]:
    """A new log entry at ``now`` (400 naming ``workorder_id`` when it names no order)."""
    row = {"author": author, "role": role or "anonymous", "at": now, "region_code": region, "text": text,
           "alarm_id": alarm_id, "workorder_id": workorder_id}
    with write(engine) as conn:
        if workorder_id is not None and conn.execute(
                select(workorders.c.id).where(workorders.c.id == workorder_id)).first() is None:
            raise OpsError("no such work order", parameter="workorder_id", expected="the number of a work order",
                           got=str(workorder_id))
        eid = conn.execute(duty_log.insert().values(**row).returning(duty_log.c.id)).scalar_one()
    log.info("duty log entry %s by %s in %s", eid, author, region)
    return {"id": eid, **row}


def entries(engine: Engine, region: str, since: datetime | None = None, until: datetime | None = None,
            limit: int = 1000) -> list[dict[str, Any]]:
    """Log entries of ``region`` (and its districts) in ``[since, until)``, newest first."""
    q = select(duty_log).where(duty_log.c.region_code.in_(region_codes(region)))
    if since is not None:
        q = q.where(duty_log.c.at >= since)
    if until is not None:
        q = q.where(duty_log.c.at < until)
    q = q.order_by(duty_log.c.at.desc(), duty_log.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [{c: r._mapping[c] for c in LOG_COLUMNS} for r in conn.execute(q)]


def on_duty(engine: Engine, region: str, at: datetime) -> list[dict[str, Any]]:
    """Who is on duty in ``region`` at ``at`` (entries whose shift holds ``at``)."""
    q = select(duty_roster).where(duty_roster.c.region_code.in_(region_codes(region)),
                                  duty_roster.c.starts_at <= at, duty_roster.c.ends_at > at)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(duty_roster.c.role, duty_roster.c.user))]
