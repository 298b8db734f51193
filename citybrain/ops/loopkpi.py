"""KPIs of the closed loop (闭环考核指标), defined once: GB/T 30428.8 立案、处置和结案.

GB/T 30428.8 judges a digital city-management centre on how the cases it registers are closed.
The cases (案件) are the work orders that were *registered* (立案): an order rejected at reception
(不予立案) or still waiting for that decision is not a case yet. The cohort of a period is the cases
created in ``[start, end)`` (``period``: the last 30 calendar days, today included); each indicator is read from the steps they took before ``end``
(``workorder_steps``), so a period read later says the same:

- **结案率** (closure rate, %) = cases closed (结案) ÷ cases registered (立案) of the cohort.
- **按期结案率** (on-time closure rate, %) = closed cases that took *every* step within its time
  limit (``citybrain.ops.rules.LIMITS``: the time a case may stay in each state, by category) ÷
  closed cases.
- **平均处置时长** (mean handling time, hours) = over closed cases, the time from dispatch (派遣) to
  handled (处置完毕): the hours the case spent with the department, every rework round included
  (dispatch → handled, summed), averaged. Not created → closed: that would also count the duty
  room's own registering and checking.
- **返工率** (rework rate, %) = closed cases sent back from checking to the department at least
  once (核查不通过, handled → dispatched) ÷ closed cases.

A rate with nothing to divide by is None (shown as "—"), never 0. ``table`` gives the indicators by
department (the department of the last dispatch; 未派遣 for none yet), category or region.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from citybrain.ops import rules
from citybrain.ops.tables import workorder_steps, workorders

#: The period the cockpits judge the loop over (days before now).
PERIOD_DAYS = 30
#: The indicators, in card order: (key, unit).
INDICATORS: tuple[tuple[str, str], ...] = (
    ("closure_rate", "%"), ("on_time_rate", "%"), ("handling_hours", "小时"), ("rework_rate", "%"))
GROUPS = ("department", "category", "region_code")
_BATCH = 500


@dataclass
class Case:
    """One registered order of the cohort, as its steps before the period's end say."""

    id: int
    category: str
    region_code: str
    department: str | None = None
    closed: bool = False
    on_time: bool = True
    rework: bool = False
    handling_hours: float = 0.0


@dataclass
class Tally:
    """The counts of a group of cases and the indicators they give."""

    registered: int = 0
    closed: int = 0
    closed_on_time: int = 0
    reworked: int = 0
    handling_hours_sum: float = 0.0

    def add(self, c: Case) -> None:
        self.registered += 1
        if c.closed:
            self.closed += 1
            self.closed_on_time += c.on_time
            self.reworked += c.rework
            self.handling_hours_sum += c.handling_hours

    def values(self) -> dict[str, Any]:
        """The counts and the four indicators (rates in %, time in hours; None when undefined)."""

        def pct(a: int, b: int) -> float | None:
            return None if b == 0 else round(100.0 * a / b, 1)

        return {"registered": self.registered, "closed": self.closed, "closed_on_time": self.closed_on_time,
                "reworked": self.reworked,
                "closure_rate": pct(self.closed, self.registered),
                "on_time_rate": pct(self.closed_on_time, self.closed),
                "handling_hours": None if self.closed == 0 else round(self.handling_hours_sum / self.closed, 2),
                "rework_rate": pct(self.reworked, self.closed)}


def period(now: datetime, days: int = PERIOD_DAYS) -> tuple[datetime, datetime]:
    """``[start, end)``: the ``days`` calendar days ending with ``now``'s day (whole days, so that a
    page and its download read the same period whatever second they are read at)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=days - 1), day + timedelta(days=1)


def case_of(order: Any, steps: list[Any]) -> Case | None:
    """The case an order's steps before the period's end make (None: not registered)."""
    if not any(s.to_state == "registered" for s in steps):
        return None
    c = Case(order.id, order.category, order.region_code)
    for prev, nxt in zip(steps, steps[1:]):
        due = rules.due(order.category, prev.to_state, prev.at)
        if due is not None and nxt.at > due:
            c.on_time = False
        if prev.to_state == "dispatched" and nxt.to_state == "handled":
            c.handling_hours += (nxt.at - prev.at).total_seconds() / 3600.0
        if prev.to_state == "handled" and nxt.to_state == "dispatched":
            c.rework = True
    for s in steps:
        if s.to_state == "dispatched":
            c.department = s.department
    c.closed = steps[-1].to_state == "closed"
    return c


def cases(engine: Engine, codes: Iterable[str], start: datetime, end: datetime) -> Iterator[Case]:
    """The cases of orders of the region ``codes`` created in ``[start, end)``, read in batches."""
    q = (select(workorders.c.id, workorders.c.category, workorders.c.region_code)
         .where(workorders.c.region_code.in_(list(codes)), workorders.c.created_at >= start,
                workorders.c.created_at < end).order_by(workorders.c.id))
    with engine.connect() as conn:
        orders = conn.execute(q).all()
        for i in range(0, len(orders), _BATCH):
            batch = {o.id: o for o in orders[i:i + _BATCH]}
            steps: dict[int, list[Any]] = {k: [] for k in batch}
            for s in conn.execute(select(workorder_steps.c.workorder_id, workorder_steps.c.to_state,
                                         workorder_steps.c.at, workorder_steps.c.department)
                                  .where(workorder_steps.c.workorder_id.in_(list(batch)), workorder_steps.c.at < end)
                                  .order_by(workorder_steps.c.workorder_id, workorder_steps.c.version)):
                steps[s.workorder_id].append(s)
            for oid, o in batch.items():
                c = case_of(o, steps[oid]) if steps[oid] else None
                if c is not None:
                    yield c


def totals(engine: Engine, codes: Iterable[str], start: datetime, end: datetime) -> dict[str, Any]:
    """The four indicators (and their counts) over all cases of the period."""
    t = Tally()
    for c in cases(engine, codes, start, end):
        t.add(c)
    return t.values()


def table(engine: Engine, codes: Iterable[str], start: datetime, end: datetime, by: str) -> list[dict[str, Any]]:
    """The indicators per ``by`` (department, category or region_code), most cases first."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}: one of {', '.join(GROUPS)}")
    groups: dict[str | None, Tally] = {}
    for c in cases(engine, codes, start, end):
        groups.setdefault(getattr(c, by), Tally()).add(c)
    rows = [{by: k, **t.values()} for k, t in groups.items()]
    rows.sort(key=lambda r: (-r["registered"], r[by] is None, r[by] or ""))
    return rows
