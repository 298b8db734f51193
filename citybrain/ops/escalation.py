"""Escalation: alarms left unacknowledged too long go up a level, and urgent work orders past their
time limit are announced; both notify (``notify``).

``run(engine, settings, now)`` is the one check. The app runs it whenever it syncs alarm states with
the alarm set (``alarms.refresh``: the alarm list, /alarms, every alarm write); ``citybrain escalate``
runs it from cron or in a loop (``--every``). An active alarm (not acknowledged, not silenced)
reaches level *k* when it has been active for ``escalation_minutes`` [k-1] minutes, per domain and
severity (``settings.escalation_minutes``: the most specific key wins). Raising the level is a
conditional update (``WHERE escalation_level = <the level read>``) recorded as an ``escalated`` event,
so an alarm escalates once per level however many workers or hosts run the check. An urgent order
is announced once when created and once per overdue step (``notify`` claims each key once).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from citybrain.ops import messages, notify, rules
from citybrain.ops.db import write
from citybrain.ops.messages import Escalated
from citybrain.ops.tables import alarm_events, alarm_states, workorders
from citybrain.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one check did: the alarms escalated, the overdue orders announced, the deliveries started."""

    escalated: list[Escalated] = field(default_factory=list)
    overdue_orders: list[int] = field(default_factory=list)
    deliveries: list[threading.Thread] = field(default_factory=list)

    def wait(self, timeout: float) -> None:
        """Wait for the deliveries (a command line does; a request never does)."""
        for t in self.deliveries:
            t.join(timeout)


def steps_for(settings: Settings, domain: str | None, severity: str) -> list[int]:
    """Minutes of the escalation levels of an alarm of ``domain`` and ``severity`` ([] : never)."""
    table = settings.escalation_minutes
    return list(table.get(f"{domain}:{severity}", table.get(severity, [])))


def level_due(steps: list[int], minutes: float) -> int:
    """The level an alarm active for ``minutes`` has reached."""
    return sum(1 for m in steps if minutes >= m)


def escalate_alarms(engine: Engine, settings: Settings, now: datetime) -> list[Escalated]:
    """Raise the level of every active, unsilenced alarm that has reached a higher one."""
    quiet = or_(alarm_states.c.silenced_until.is_(None), alarm_states.c.silenced_until <= now)
    with engine.connect() as conn:
        rows = conn.execute(select(alarm_states).where(alarm_states.c.state == "active", quiet)).all()
    due = []
    for r in rows:
        since = r.active_since or r.first_seen
        minutes = (now - since).total_seconds() / 60
        level = level_due(steps_for(settings, r.domain, r.severity), minutes)
        if level > r.escalation_level:
            due.append((r, level, int(minutes)))
    if not due:
        return []
    done = []
    with write(engine) as conn:
        for r, level, minutes in due:
            res = conn.execute(update(alarm_states).where(
                alarm_states.c.alarm_id == r.alarm_id, alarm_states.c.state == "active",
                alarm_states.c.escalation_level == r.escalation_level).values(
                escalation_level=level, escalated_at=now, version=alarm_states.c.version + 1))
            if not res.rowcount:
                continue  # acknowledged, or escalated by another worker, since it was read
            conn.execute(alarm_events.insert().values(
                alarm_id=r.alarm_id, event="escalated", at=now,
                note=f"level {level}: unacknowledged for {minutes} min"))
            done.append(Escalated(r.alarm_id, r.scope_region, r.region_code, r.domain, r.severity, r.title_zh,
                                  r.title_en, r.raised_at, level, minutes))
    for e in done:
        log.warning("alarm %s escalated to level %d (unacknowledged for %d min)", e.alarm_id, e.level, e.minutes)
    return done


def overdue_urgent(engine: Engine, now: datetime) -> list[dict]:
    """Urgent orders past the time limit of their current step."""
    late = and_(workorders.c.category == "urgent", workorders.c.due_at.is_not(None), workorders.c.due_at < now,
                workorders.c.state.not_in(tuple(rules.FINAL)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(workorders).where(late).order_by(workorders.c.id))]


def run(engine: Engine, settings: Settings, now: datetime) -> Outcome:
    """The one escalation check: escalate alarms, announce overdue urgent orders; notify both."""
    out = Outcome(escalate_alarms(engine, settings, now))
    base = notify.base_url(settings)
    by_region: dict[str, list[Escalated]] = defaultdict(list)
    for e in out.escalated:
        by_region[e.scope_region].append(e)
    for items in by_region.values():
        out.deliveries += notify.send(engine, settings, messages.escalation(items, base, now), now)
    if notify.channels(settings):  # overdue orders are only announced: nothing to do without a channel
        late = [(o["id"], messages.urgent_order(o, base, overdue=True)) for o in overdue_urgent(engine, now)]
        done = notify.claimed(engine, [m.key for _, m in late])
        for oid, msg in late:
            started = [] if msg.key in done else notify.send(engine, settings, msg, now)
            if started:
                out.overdue_orders.append(oid)
                out.deliveries += started
    return out


def order_created(engine: Engine, settings: Settings, order: dict, now: datetime) -> list[threading.Thread]:
    """Announce a new urgent order (``workorders.create``); other categories are not announced."""
    if order.get("category") != "urgent" or not notify.channels(settings):
        return []
    return notify.send(engine, settings, messages.urgent_order(order, notify.base_url(settings), overdue=False), now)
