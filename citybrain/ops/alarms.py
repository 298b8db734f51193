"""The life cycle of every alarm of the one alarm set (``citybrain.semantics.alarms``).

An alarm id of the set (``kpi:<region>:<indicator>``, ``<layer>:<feature id>``) has one state:
``active`` (raised, nobody has acknowledged it) → ``acknowledged`` (who, when, note) → ``cleared``,
either by itself when it is no longer in the set at the store's now (``sync``) or resolved by hand.
A cleared alarm that comes back — it left the set and returned, or a new occurrence with another
``raised_at`` — is active again. A silence keeps an alarm quiet until a time, with a reason, and
expires by itself. An active alarm left unacknowledged escalates (``escalation``, run by ``refresh``).
Every change is an ``alarm_events`` row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine

from citybrain.ops.db import insert, write
from citybrain.ops.errors import IllegalStep, NotFound
from citybrain.ops.tables import alarm_events, alarm_states, silences

log = logging.getLogger(__name__)
STATES = ("active", "acknowledged", "cleared")
#: Columns of the alarm set kept with each state (what a cleared alarm is shown with).
CONTENT = ("severity", "region_code", "domain", "indicator_id", "entity_id", "value", "threshold", "raised_at",
           "title_zh", "title_en")
MAX_SILENCE_MIN = 7 * 24 * 60


def _clean(v: Any) -> Any:
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _content(rec: dict[str, Any]) -> dict[str, Any]:
    return {c: _clean(rec.get(c)) for c in CONTENT}


def _event(conn: Connection, alarm_id: str, event: str, at: datetime, user: str | None = None,
           note: str | None = None) -> None:
    conn.execute(alarm_events.insert().values(alarm_id=alarm_id, event=event, user=user, at=at, note=note))


def sync(engine: Engine, region: str, frame: pd.DataFrame, now: datetime) -> dict[str, int]:
    """Bring the states of ``region`` in line with its alarm set ``frame``: new ids are active,
    returning ones active again, ids no longer in the set cleared by themselves. Writes only what
    changed; returns how many were raised, raised again and cleared."""
    recs = {r["id"]: r for r in frame.to_dict("records")}
    ids = list(recs)
    cond = and_(alarm_states.c.scope_region == region, alarm_states.c.state != "cleared")
    with engine.connect() as conn:
        known = {r.alarm_id: r for r in conn.execute(
            select(alarm_states).where(or_(alarm_states.c.alarm_id.in_(ids), cond) if ids else cond))}
    new = [i for i in ids if i not in known]
    back = [i for i in ids if i in known and known[i].state == "cleared"
            and (known[i].cleared_by is None or _clean(recs[i]["raised_at"]) != known[i].raised_at)]
    gone = [i for i, r in known.items() if i not in recs and r.state != "cleared" and r.scope_region == region]
    if not (new or back or gone):
        return {"raised": 0, "again": 0, "cleared": 0}
    with write(engine) as conn:
        for i in new:
            res = conn.execute(insert(conn, alarm_states).values(
                alarm_id=i, scope_region=region, state="active", first_seen=now, active_since=now, version=1,
                **_content(recs[i])).on_conflict_do_nothing())
            if res.rowcount:
                _event(conn, i, "raised", now)
        for i in back:
            res = conn.execute(update(alarm_states).where(
                alarm_states.c.alarm_id == i, alarm_states.c.version == known[i].version).values(
                state="active", scope_region=region, acknowledged_by=None, acknowledged_at=None, ack_note=None,
                cleared_at=None, cleared_by=None, active_since=now, escalation_level=0, escalated_at=None,
                version=known[i].version + 1, **_content(recs[i])))
            if res.rowcount:
                _event(conn, i, "raised_again", now)
        for i in gone:
            res = conn.execute(update(alarm_states).where(
                alarm_states.c.alarm_id == i, alarm_states.c.version == known[i].version).values(
                state="cleared", cleared_at=now, cleared_by=None, version=known[i].version + 1))
            if res.rowcount:
                _event(conn, i, "cleared", now, note="no longer in the alarm set")
    counts = {"raised": len(new), "again": len(back), "cleared": len(gone)}
    log.info("alarm states of %s synced: %s", region, counts)
    return counts


def _public(r: Any, now: datetime) -> dict[str, Any]:
    """The life-cycle columns the API adds to an alarm row (a silence that ended is not shown)."""
    silenced = r.silenced_until if r.silenced_until is not None and r.silenced_until > now else None
    return {"state": r.state, "acknowledged_by": r.acknowledged_by, "acknowledged_at": r.acknowledged_at,
            "silenced_until": silenced, "escalation_level": r.escalation_level, "escalated_at": r.escalated_at}


def states(engine: Engine, ids: list[str], now: datetime) -> dict[str, dict[str, Any]]:
    """The life-cycle columns of the alarms ``ids`` (those the database knows)."""
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(alarm_states).where(alarm_states.c.alarm_id.in_(ids))).all()
    return {r.alarm_id: _public(r, now) for r in rows}


def cleared(engine: Engine, region: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """The region's cleared alarms, last cleared first: their last known content and life cycle."""
    with engine.connect() as conn:
        rows = conn.execute(select(alarm_states).where(
            alarm_states.c.scope_region == region, alarm_states.c.state == "cleared").order_by(
            alarm_states.c.cleared_at.desc(), alarm_states.c.alarm_id).limit(limit)).all()
    return [{"id": r.alarm_id, **{c: getattr(r, c) for c in CONTENT}, **_public(r, now),
             "cleared_at": r.cleared_at, "cleared_by": r.cleared_by} for r in rows]


def find(engine: Engine, alarm_id: str) -> Any | None:
    with engine.connect() as conn:
        return conn.execute(select(alarm_states).where(alarm_states.c.alarm_id == alarm_id)).first()


def _change(engine: Engine, alarm_id: str, event: str, user: str, now: datetime, note: str | None,
            values: dict[str, Any], allowed: tuple[str, ...],
            also: Callable[[Connection], None] | None = None) -> dict[str, Any]:
    """One hand-made change of an alarm's state (in one write transaction), recorded as an event."""
    with write(engine) as conn:
        row = conn.execute(select(alarm_states).where(alarm_states.c.alarm_id == alarm_id)).first()
        if row is None:
            raise NotFound("unknown alarm", parameter="id", got=alarm_id)
        if row.state not in allowed:
            raise IllegalStep(f"the alarm is {row.state}: it cannot be {event}", parameter="id",
                              expected="an alarm in state " + " or ".join(allowed), got=alarm_id)
        conn.execute(update(alarm_states).where(alarm_states.c.alarm_id == alarm_id).values(
            version=alarm_states.c.version + 1, **values))
        _event(conn, alarm_id, event, now, user, note)
        if also is not None:
            also(conn)
        row = conn.execute(select(alarm_states).where(alarm_states.c.alarm_id == alarm_id)).one()
    return {"id": alarm_id, **_public(row, now), "version": row.version}


def acknowledge(engine: Engine, alarm_id: str, user: str, now: datetime, note: str | None) -> dict[str, Any]:
    """raised → acknowledged by ``user`` at ``now`` (again: a new note, the first acknowledgement kept)."""
    row = find(engine, alarm_id)
    if row is not None and row.state == "acknowledged":
        values: dict[str, Any] = {"ack_note": note} if note else {}
    else:
        values = {"state": "acknowledged", "acknowledged_by": user, "acknowledged_at": now, "ack_note": note}
    return _change(engine, alarm_id, "acknowledged", user, now, note, values, ("active", "acknowledged"))


def silence(engine: Engine, alarm_id: str, user: str, now: datetime, minutes: int, reason: str) -> dict[str, Any]:
    """Keep the alarm quiet for ``minutes`` from ``now`` with a reason (it expires by itself)."""
    until = now + timedelta(minutes=minutes)
    return _change(engine, alarm_id, "silenced", user, now, reason, {"silenced_until": until},
                   ("active", "acknowledged"),
                   also=lambda conn: conn.execute(silences.insert().values(
                       alarm_id=alarm_id, user=user, reason=reason, starts_at=now, ends_at=until)))


def resolve(engine: Engine, alarm_id: str, user: str, now: datetime, note: str | None) -> dict[str, Any]:
    """Clear the alarm by hand (it stays cleared until it leaves the set and returns, or recurs)."""
    return _change(engine, alarm_id, "resolved", user, now, note,
                   {"state": "cleared", "cleared_at": now, "cleared_by": user, "silenced_until": None},
                   ("active", "acknowledged"))


def history(engine: Engine, alarm_id: str) -> list[dict[str, Any]]:
    """Every event of an alarm, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(alarm_events).where(alarm_events.c.alarm_id == alarm_id)
                            .order_by(alarm_events.c.id)).all()
    return [{"event": r.event, "user": r.user, "at": r.at, "note": r.note} for r in rows]


def detail(engine: Engine, alarm_id: str, now: datetime) -> dict[str, Any] | None:
    """An alarm's last known content, life cycle and ``history`` (None when the database does not know it)."""
    row = find(engine, alarm_id)
    if row is None:
        return None
    return {"id": alarm_id, **{c: getattr(row, c) for c in CONTENT}, **_public(row, now), "version": row.version,
            "history": history(engine, alarm_id)}


def refresh(engine: Engine, region: str | None, now: datetime,
            escalate: bool = True) -> tuple[str, datetime, pd.DataFrame]:
    """(region, the store's now, alarm set) of ``region`` with its states synced to the set, then (unless
    ``escalate`` is False) the escalation check (``escalation.run``; its failure is logged, never the caller's)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain import context, kpi
    from citybrain.ops import escalation
    from citybrain.semantics.alarms import alarm_set

    store, region, _lang, at = kpi.resolve(region, None)
    frame = alarm_set(store, region, at)
    sync(engine, region, frame, now)
    if not escalate:
        return region, at, frame
    try:
        escalation.run(engine, context.current().settings, now)
    except SQLAlchemyError:
        log.exception("escalation check failed; the alarm states are synced")
    return region, at, frame


def refresh_all(engine: Engine, now: datetime, escalate: bool = True) -> None:
    """Sync the states of every top region (an id the database does not know yet may be in any); the
    escalation check after the last one (unless ``escalate`` is False)."""
    from citybrain.regions import TOP_REGIONS

    for n, region in enumerate(TOP_REGIONS, 1):
        refresh(engine, region, now, escalate=escalate and n == len(TOP_REGIONS))
