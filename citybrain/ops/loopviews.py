"""The views of the closed loop's KPIs (``citybrain.ops.loopkpi``): cards and tables by department,
category and region, for the emergency cockpit and the overview (``citybrain.views``, ``source="ops"``).

Each reads the operational database (``ctx.ops``) over the period ending at the clock's now (work
orders are timed by the clock, not by the store's anchor) for the page's region and its districts.
The cards' rows carry the value, its unit, the text the card shows and the counts behind it; the
tables' rows carry the counts and the four indicators as numbers (rates in %, times in hours).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from citybrain.i18n import fmt_number, label, register, register_vocabulary, t
from citybrain.ops import loopkpi
from citybrain.ops.duty import region_codes
from citybrain.regions import region_name
from citybrain.views import View, ViewContext

register({
    "loop.title": ("闭环考核（近30天工单）", "Closing the loop (work orders, last 30 days)"),
    "loop.by.department": ("按处置部门", "By department"), "loop.by.category": ("按类别", "By category"),
    "loop.by.region_code": ("按地区", "By region"),
    "loop.none": ("未派遣", "Not dispatched"),
    "loop.ratio": ("{num} / {den} 件", "{num} of {den} cases"), "loop.closed_n": ("结案 {n} 件", "{n} closed"),
    "loop.col.group": ("分组", "Group"), "loop.col.registered": ("立案数（件）", "Registered (cases)"),
    "loop.col.closed": ("结案数（件）", "Closed (cases)"), "loop.col.closure_rate": ("结案率（%）", "Closure rate (%)"),
    "loop.col.on_time_rate": ("按期结案率（%）", "On-time closure (%)"),
    "loop.col.handling_hours": ("平均处置时长（小时）", "Mean handling time (h)"),
    "loop.col.rework_rate": ("返工率（%）", "Rework rate (%)"),
})
register_vocabulary("loop_kpi", {
    "closure_rate": ("结案率", "Closure rate"), "on_time_rate": ("按期结案率", "On-time closure rate"),
    "handling_hours": ("平均处置时长", "Mean handling time"), "rework_rate": ("返工率", "Rework rate")})
register_vocabulary("loop_kpi_def", {
    "closure_rate": ("结案数 ÷ 立案数", "closed ÷ registered"),
    "on_time_rate": ("各环节均在时限内的结案数 ÷ 结案数", "closed with every step in time ÷ closed"),
    "handling_hours": ("派遣至处置完毕（含返工）", "dispatch to handled, rework included"),
    "rework_rate": ("核查不通过返工的结案数 ÷ 结案数", "closed after rework ÷ closed")})
#: The counts behind each indicator: (numerator, denominator).
BASIS = {"closure_rate": ("closed", "registered"), "on_time_rate": ("closed_on_time", "closed"),
         "handling_hours": ("closed", "closed"), "rework_rate": ("reworked", "closed")}
TABLE_COLUMNS = ("registered", "closed", "closure_rate", "on_time_rate", "handling_hours", "rework_rate")


def _period(ctx: ViewContext) -> tuple[datetime, datetime]:
    from citybrain.semantics.freshness import now

    return loopkpi.period(now())


def _engine(ctx: ViewContext):
    if ctx.ops is None:
        raise ValueError("a loop KPI view reads the operational database: ViewContext.ops is missing")
    return ctx.ops


def card_rows(ctx: ViewContext) -> pd.DataFrame:
    """One row per card: indicator, value, unit, the text shown, the counts behind it and the period."""
    start, end = _period(ctx)
    v = loopkpi.totals(_engine(ctx), region_codes(ctx.region), start, end)
    keys = [k for k, _u in loopkpi.INDICATORS]
    return pd.DataFrame({
        "indicator_id": keys,
        "indicator": [label("loop_kpi", k, ctx.lang) for k in keys],
        "value": pd.array([v[k] for k in keys], dtype="Float64"),
        "unit": [u for _k, u in loopkpi.INDICATORS],
        "shown": [fmt_number(v[k], u, ctx.lang, digits=1 if u == "%" else 2) for k, u in loopkpi.INDICATORS],
        "numerator": [v[BASIS[k][0]] for k in keys],
        "denominator": [v[BASIS[k][1]] for k in keys],
        "definition": [label("loop_kpi_def", k, ctx.lang) for k in keys],
        "period_start": [start] * len(keys),
        "period_end": [end] * len(keys),
    })


def _group_text(by: str, key: str | None, lang: str) -> str:
    if key is None:
        return t("loop.none", lang)
    if by == "category":
        return label("wo_category", key, lang)
    if by == "region_code":
        return region_name(key, lang)
    return key


def table_rows(by: str):
    """The rows function of the table by ``by``: group code, its text, the counts and indicators."""

    def rows(ctx: ViewContext) -> pd.DataFrame:
        start, end = _period(ctx)
        got = loopkpi.table(_engine(ctx), region_codes(ctx.region), start, end, by)
        frame = pd.DataFrame({by: pd.array([r[by] for r in got], dtype=object),
                              "group": [_group_text(by, r[by], ctx.lang) for r in got]})
        for c in TABLE_COLUMNS:
            frame[c] = pd.array([r[c] for r in got], dtype="Int64" if c in ("registered", "closed") else "Float64")
        return frame

    rows.__name__ = f"loop_{by}_rows"
    return rows


CARDS = View("loop_cards", "闭环考核指标", "Loop KPIs", card_rows, source="ops")
DEPARTMENTS = View("loop_departments", "闭环考核：按处置部门", "Loop KPIs by department", table_rows("department"),
                   source="ops")
CATEGORIES = View("loop_categories", "闭环考核：按类别", "Loop KPIs by category", table_rows("category"), source="ops")
REGIONS = View("loop_regions", "闭环考核：按地区", "Loop KPIs by region", table_rows("region_code"), source="ops")
#: The loop's views, as each cockpit declares them.
ALL = (CARDS, DEPARTMENTS, CATEGORIES, REGIONS)
