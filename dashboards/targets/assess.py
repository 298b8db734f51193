"""Where each planning target stands: its latest value (a live KPI, else the newest recorded report
of ``citybrain.ops.progress``, else the plan's own 现状 figure — whichever is of the latest year),
progress (``citybrain.kpi.target_progress``, with direction) against the share of the plan's period
gone by that year, and its status (``citybrain.semantics.status``: behind schedule is a warning, more
than a quarter behind an alarm)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from citybrain import cache, kpi
from citybrain.queries import kpi as qk
from citybrain.semantics import status as sem_status
from citybrain.store import get_store
from citybrain.ui import records

from .plans import plan_of

Row = dict[str, Any]
#: Track words, worst last; each has one status of ``semantics.status``.
TRACK = ("achieved", "on_track", "behind", "off_track", "unmonitored")
TRACK_STATUS = {"achieved": "normal", "on_track": "normal", "behind": "warning", "off_track": "alarm",
                "unmonitored": "nodata"}
#: How far behind schedule (share of the way) is a warning (< 0) and an alarm (< -0.25).
BEHIND_WARN, BEHIND_ALARM = 0.0, -0.25


def expected_share(year: int, y0: int, y1: int) -> float:
    """The share of the way from baseline year ``y0`` to target year ``y1`` that year ``year`` stands
    for (0..1): a straight line from the baseline to the target."""
    if y1 <= y0:
        return 1.0
    return min(1.0, max(0.0, (year - y0) / (y1 - y0)))


def track_of(progress: float | None, expected: float) -> str:
    """The track word of a target: achieved, on track, behind (warning), off track (alarm), or
    unmonitored (no latest value)."""
    if progress is None:
        return "unmonitored"
    if progress >= 1:
        return "achieved"
    st = sem_status.status(progress - expected, BEHIND_WARN, BEHIND_ALARM, direction="up")
    return {"normal": "on_track", "warning": "behind", "alarm": "off_track"}[st]


def _latest(r: Row, reported: dict | None, live: float | None, now: datetime) -> tuple[Any, Any, str | None]:
    """(value, year, source kind) of a target's latest value: the candidate of the latest year; at one
    year a live KPI beats a report, and a report beats the plan's text."""
    cands = []
    if r.get("current") is not None:
        cands.append((int(r["current_year"] or 0), 0, float(r["current"]), "plan"))
    if reported is not None:
        cands.append((int(reported["year"]), 1, float(reported["value"]), "report"))
    if live is not None:
        cands.append((now.year, 2, float(live), "live"))
    if not cands:
        return None, None, None
    year, _, value, kind = max(cands)
    return value, year, kind


def assess(rows: list[Row], live: dict[tuple[str, str], float], now: datetime,
           reported: dict[tuple[str, str], dict] | None = None) -> list[Row]:
    """Target rows (``records`` of ``target_rows``) with plan, latest value and its year and source,
    direction, progress, expected progress, track and status."""
    reported = reported or {}
    out = []
    for r in rows:
        key = (r["region_code"], r["indicator_id"])
        plan = plan_of(r.get("source_file"), r["region_code"])
        rep = reported.get(key)
        v, vy, kind = _latest(r, rep, live.get(key), now)
        p = kpi.target_progress(r["baseline"], v, r["target"])
        y0 = int(r["baseline_year"]) if r["baseline_year"] is not None else (plan.start - 1 if plan else now.year - 1)
        y1 = int(r["target_year"]) if r["target_year"] is not None else (plan.end if plan else now.year)
        expected = expected_share(vy if vy is not None else now.year, y0, y1)
        track = track_of(p, expected)
        out.append({**r, "plan": plan.id if plan else None, "latest": v, "latest_year": vy, "latest_kind": kind,
                    "latest_source": rep["source"] if kind == "report" and rep else None,
                    "direction": kpi.target_direction(r["baseline"], r["target"]),
                    "progress": p, "expected": expected, "track": track, "status": TRACK_STATUS[track]})
    return out


def live_values(store, rows: list[Row], at: datetime) -> dict[tuple[str, str], float]:
    """The live KPI value of each target a KPI measures (``kpi.TARGET_LINKS``)."""
    live = {}
    for live_id, tid in kpi.TARGET_LINKS.items():
        for reg in dict.fromkeys(r["region_code"] for r in rows if r["indicator_id"] == tid):
            snap = qk.snapshot(store, reg, (live_id,), at)
            if len(snap):
                live[(reg, tid)] = float(snap["value"].iloc[0])
    return live


def reported_values(region: str | None) -> dict[tuple[str, str], dict]:
    """The latest recorded report per target (the running app's operational database)."""
    from citybrain.ops import progress
    from citybrain.ops.db import engine

    return progress.latest(engine(), region)


def target_table(region: str | None, store=None, at: datetime | None = None) -> list[Row]:
    """Assessed targets of one region (or all); built once per request (the page and its views
    ask for the same table; recorded reports are read afresh for each request)."""
    store = store if store is not None else get_store()
    at = at if at is not None else kpi.resolve(None, None)[3]

    def build() -> list[Row]:
        rows = records(qk.target_rows(store, region))  # ~130 rows: plain dicts cost less than pandas ops
        return assess(rows, live_values(store, rows, at), at, reported_values(region))

    return cache.request_memo(f"targets.table:{store.path}:{store.version}:{region}:{at}", build)
