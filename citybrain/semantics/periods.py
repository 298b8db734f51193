"""Running periods: a value whose period is not over yet, and what it is compared with.

A row of a daily (or longer) indicator is *running* when its ``quality`` is ``partial``: the day
it counts has begun but not ended (e.g. "日交通事故数" at 05:30 covers 5.5 hours). A screen never
compares such a value with a whole period: a card says "今日截至 05:30（进行中）" and compares with
**the same hours** of the day (and the week) before, computed from the indicator's sub-period
source declared in ``SAME_HOURS``. Without such a source no change is shown, rather than a wrong one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from citybrain.cache import cached_query
from citybrain.queries.reads import EVENTS, observations_of
from citybrain.semantics import scope

#: How a running indicator's value over ``[start, end]`` is computed from finer data:
#: ``("sum", hourly_indicator)``, ``("ratio", numerator, denominator)`` (×100, in %), or
#: ``("events", event_kind)`` (events reported in the window).
SAME_HOURS: dict[str, tuple[str, ...]] = {
    "overload_cases_daily": ("sum", "overload_cases"),
    "overload_rate": ("ratio", "overload_cases", "trucks_weighed"),
    "traffic_accidents_daily": ("events", "traffic_accident"),
}


def is_running(quality: Any) -> bool:
    """Whether a row's quality marks a period still running."""
    return isinstance(quality, str) and quality == "partial"


def period_start(ts: Any) -> datetime:
    """The start of a running row's period (the row's own time stamp)."""
    return pd.Timestamp(ts).to_pydatetime()


def _same_hours_reads(store: Any, region: str, indicator: str, *_: Any) -> tuple[str, ...]:
    src = SAME_HOURS.get(indicator)
    if src is None:
        return ()
    return (EVENTS,) if src[0] == "events" else observations_of(store, src[1:])


@cached_query(reads=_same_hours_reads)
def same_hours(store: Any, region: str, indicator: str, start: datetime, end: datetime) -> float | None:
    """The value ``indicator`` had over ``[start, end]`` computed from its sub-period source;
    None when the indicator has none (or no data lies there)."""
    src = SAME_HOURS.get(indicator)
    if src is None:
        return None
    cond, p = scope.in_region("region_code", region)
    if src[0] == "events":
        return float(store.scalar(f"SELECT count(*) FROM events WHERE kind = ? AND {cond} "
                                  "AND reported_at >= ? AND reported_at <= ?", [src[1], *p, start, end]))
    # region-level hourly series: the row's hour lies in the window when its start does
    sums = store.df("""SELECT indicator_id, sum(value) AS v, count(*) AS n FROM observations
                       WHERE region_code = ? AND entity_id IS NULL AND list_contains(?, indicator_id)
                         AND ts >= ? AND ts <= ? GROUP BY indicator_id""",
                    [region, list(src[1:]), start, end])
    got = {r.indicator_id: (float(r.v), int(r.n)) for r in sums.itertuples()}
    if src[0] == "sum":
        return got[src[1]][0] if src[1] in got else None
    num, den = got.get(src[1]), got.get(src[2])
    if num is None or den is None:
        return None
    return round(100 * num[0] / max(den[0], 1.0), 3)


def comparisons(store: Any, region: str, indicator: str, ts: Any, at: datetime) -> tuple[float | None, float | None]:
    """(same hours a day before, same hours a week before) of a running row stamped ``ts`` seen at ``at``."""
    start = period_start(ts)
    out = []
    for days in (1, 7):
        s = start - timedelta(days=days)
        out.append(same_hours(store, region, indicator, s, s + (at - start)))
    return out[0], out[1]
