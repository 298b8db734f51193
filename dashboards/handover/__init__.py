"""Handover summary (交接班摘要) of one shift, printable: ``/duty/handover?shift=<roster entry>``.

What the next shift takes over — alarms and work orders still open at the end of the shift — and
what happened during it — alarms raised, acknowledged, silenced and cleared, orders created and
closed, the duty log — from ``citybrain.ops.handover`` (the same summary as
``GET /api/v1/duty/handover``). Without a shift it lists the region's shifts of the last week.
The print style sheet (``assets/duty.css``) prints it black on white without the app's frame.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from dash import Dash, Input, Output, dcc, html

from citybrain import context
from citybrain.i18n import label, register, t
from citybrain.ops import duty, handover
from citybrain.ops.caller import caller
from citybrain.ops.db import engine as ops_engine
from citybrain.ops.errors import Forbidden, NotFound, OpsError
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.semantics.freshness import now as clock_now
from citybrain.semantics.status import label as severity_label
from citybrain.ui import heading
from dashboards.duty import ROLES, fmt_time, handover_href

log = logging.getLogger(__name__)
P = "handover"
register({
    "ho.title": ("交接班摘要", "Handover summary"),
    "ho.pick": ("请选择要交接的班次（近7天）：", "Choose a shift to hand over (last 7 days):"),
    "ho.none": ("近7天无值班安排。", "No shift in the last 7 days."),
    "ho.unknown": ("没有这个班次。", "No such shift."),
    "ho.denied": ("当前角色不能查看交接班摘要。", "This role may not read handover summaries."),
    "ho.shift": ("班次", "Shift"), "ho.team": ("值班人员", "On duty"), "ho.asof": ("统计截至", "As of"),
    "ho.ongoing": ("（班次进行中）", "(shift in progress)"), "ho.print": ("打印", "Print"),
    "ho.back": ("返回值班", "Back to duty"),
    "ho.open_alarms": ("交班时未解除的告警", "Alarms open at the end of the shift"),
    "ho.open_orders": ("交班时未办结的工单", "Work orders open at the end of the shift"),
    "ho.alarm_events": ("本班告警变化", "Alarm changes during the shift"),
    "ho.orders_created": ("本班新建工单", "Work orders created during the shift"),
    "ho.orders_closed": ("本班结案工单", "Work orders closed during the shift"),
    "ho.log": ("本班值班日志", "Duty log of the shift"), "ho.nothing": ("无", "None"),
    "ho.c.open_alarms": ("未解除告警（项）", "Open alarms"), "ho.c.open_orders": ("未办结工单（件）", "Open orders"),
    "ho.c.overdue_orders": ("其中超时（件）", "of which overdue"),
    "ho.c.alarms_raised": ("新发告警（项）", "Alarms raised"),
    "ho.c.alarms_acknowledged": ("确认告警（次）", "Acknowledged"), "ho.c.alarms_silenced": ("静默（次）", "Silenced"),
    "ho.c.alarms_cleared": ("解除告警（项）", "Cleared"), "ho.c.orders_created": ("新建工单（件）", "Orders created"),
    "ho.c.orders_closed": ("结案工单（件）", "Orders closed"), "ho.c.log_entries": ("日志（条）", "Log entries"),
    "ho.col.time": ("时间", "Time"), "ho.col.event": ("变化", "Change"), "ho.col.alarm": ("告警", "Alarm"),
    "ho.col.severity": ("级别", "Severity"), "ho.col.state": ("状态", "State"), "ho.col.user": ("人员", "By"),
    "ho.col.note": ("说明", "Note"), "ho.col.order": ("工单", "Order"), "ho.col.title": ("标题", "Title"),
    "ho.col.category": ("类别", "Category"), "ho.col.dept": ("处置部门", "Department"),
    "ho.col.due": ("时限", "Due"), "ho.col.text": ("内容", "Entry"), "ho.col.region": ("地区", "Region"),
    "ho.overdue": ("超时", "Overdue"),
})
EVENTS = {"raised": ("发生", "raised"), "raised_again": ("再次发生", "raised again"), "acknowledged": ("确认", "acknowledged"),
          "silenced": ("静默", "silenced"), "resolved": ("人工解除", "resolved"), "cleared": ("自动解除", "cleared")}


def _table(id_: str, heads: list[str], rows: list[list[Any]], lang: str, classes: list[str | None] | None = None) -> Any:
    if not rows:
        return html.P(t("ho.nothing", lang), className="ops-empty", id=f"{id_}-empty")
    return html.Table(id=id_, className="duty-table", children=[
        html.Thead(html.Tr([html.Th(t(f"ho.col.{h}", lang)) for h in heads])),
        html.Tbody([html.Tr([html.Td(c, className="duty-time" if h in ("time", "due") else None)
                             for h, c in zip(heads, r)], className=(classes or [None] * len(rows))[i])
                    for i, r in enumerate(rows)])])


def _section(key: str, body: Any, lang: str) -> html.Section:
    return html.Section(className="dash-panel duty-sheet-part", id=f"{P}-{key}", children=[
        html.H2(t(f"ho.{key}", lang)), body])


def _title(row: dict[str, Any], lang: str) -> str:
    return (row.get("title_zh") if lang == "zh" else row.get("title_en")) or row.get("id") or ""


def sheet(s: dict[str, Any], lang: str) -> list[Any]:
    """The summary's parts: the shift, the counts and one table per list."""
    sh = s["shift"]
    team = "、".join(f"{label('duty_role', m['role'], lang)} {m['user']}" for m in s["team"]) if lang == "zh" else \
        ", ".join(f"{m['user']} ({label('duty_role', m['role'], lang)})" for m in s["team"])
    head = html.Dl(className="duty-facts", id=f"{P}-facts", children=[
        html.Dt(t("ho.shift", lang)), html.Dd(f"{region_name(sh['region_code'], lang)} · {fmt_time(sh['starts_at'], lang)}"
                                               f" – {fmt_time(sh['ends_at'], lang)}"),
        html.Dt(t("ho.team", lang)), html.Dd(team or "—"),
        html.Dt(t("ho.asof", lang)), html.Dd([fmt_time(s["as_of"], lang), " ",
                                             t("ho.ongoing", lang) if s["ongoing"] else ""])])
    counts = html.Div(className="duty-counts", id=f"{P}-counts", children=[
        html.Div(className="duty-count", id=f"{P}-count-{k}", children=[html.Strong(str(v)), html.Span(t(f"ho.c.{k}", lang))])
        for k, v in s["counts"].items()])
    alarms = _table(f"{P}-open-alarms-table", ["alarm", "severity", "state", "user"], [
        [_title(a, lang), severity_label(a["severity"], lang), label("alarm_state", a["state"], lang),
         a["acknowledged_by"] or ""] for a in s["open_alarms"]], lang)
    orders = _table(f"{P}-open-orders-table", ["order", "title", "category", "state", "dept", "due"], [
        [f"#{o['id']}", o["title"], label("wo_category", o["category"], lang), label("wo_state", o["state"], lang),
         o["department"] or "", [fmt_time(o["due_at"], lang), " ",
                                 html.Span(t("ho.overdue", lang), className="ops-badge") if o["overdue"] else None]]
        for o in s["open_orders"]], lang, ["duty-overdue" if o["overdue"] else None for o in s["open_orders"]])
    events = _table(f"{P}-alarm-events-table", ["time", "event", "alarm", "user", "note"], [
        [fmt_time(e["at"], lang), EVENTS.get(e["event"], (e["event"], e["event"]))[lang != "zh"], _title(e, lang),
         e["user"] or "", e["note"] or ""] for e in s["alarm_events"]], lang)

    def stepped(key: str) -> Any:
        return _table(f"{P}-{key.replace('_', '-')}-table", ["time", "order", "title", "category", "user"], [
            [fmt_time(o["at"], lang), f"#{o['id']}", o["title"], label("wo_category", o["category"], lang), o["user"]]
            for o in s[key]], lang)

    logs = _table(f"{P}-log-table", ["time", "user", "text"], [
        [fmt_time(e["at"], lang), e["author"], e["text"]] for e in s["log"]], lang)
    return [head, counts, _section("open_alarms", alarms, lang), _section("open_orders", orders, lang),
            _section("alarm_events", events, lang), _section("orders_created", stepped("orders_created"), lang),
            _section("orders_closed", stepped("orders_closed"), lang), _section("log", logs, lang)]


def _shift_id(shift: Any) -> int | None:
    return int(shift) if isinstance(shift, str) and shift.isdigit() and 0 < len(shift) <= 9 else None


def _picker(region: str, lang: str) -> Any:
    now = clock_now()
    rows = duty.roster(ops_engine(), region, now - timedelta(days=7), now + timedelta(days=1), 200)
    if not rows:
        return html.P(t("ho.none", lang), className="ops-empty", id=f"{P}-none")
    return html.Div(id=f"{P}-pick", children=[html.P(t("ho.pick", lang)), html.Ul([html.Li(dcc.Link(
        f"{fmt_time(r['starts_at'], lang)} – {fmt_time(r['ends_at'], lang)} · {label('duty_role', r['role'], lang)} "
        f"{r['user']}", href=handover_href(r["id"], region, lang))) for r in reversed(rows)])])


def layout(shift: str | None = None, region: str | None = None, lang: str | None = None, **_q: Any) -> html.Div:
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    sid = _shift_id(shift)
    tools = html.Div(className="ops-bar duty-noprint", children=[
        html.Button(t("ho.print", lang), id=f"{P}-print", n_clicks=0, className="ops-button"),
        dcc.Link(t("ho.back", lang), href=f"/duty?region={region}&lang={lang}", className="cb-link")])
    try:
        duty.check_read(caller()[1])
        if shift is not None and sid is None:
            raise NotFound("unknown shift", parameter="shift")
        body = sheet(handover.current(ops_engine(), sid, clock_now()), lang) if sid else [_picker(region, lang)]
    except OpsError as exc:
        denied = isinstance(exc, Forbidden)
        body = [html.P(t("ho.denied" if denied else "ho.unknown", lang), className="ops-empty", id=f"{P}-error"),
                None if denied else _picker(region, lang)]
    return html.Div(className="cb-page duty-sheet", id=f"{P}-page", lang="zh-CN" if lang == "zh" else "en", children=[
        heading(t("ho.title", lang)), tools, html.Div(id=f"{P}-printed", style={"display": "none"}), *body])


def register_callbacks(app: Dash) -> None:
    app.clientside_callback("function(n) { if (n) { window.print(); } return ''; }",
                            Output(f"{P}-printed", "children"), Input(f"{P}-print", "n_clicks"),
                            prevent_initial_call=True)


MODULE = DashboardModule(
    id=P, title_zh="交接班摘要", title_en="Handover summary", path="/duty/handover", layout=layout, order=88,
    roles=ROLES, nav=False, register_callbacks=register_callbacks,
    description_zh="一个班次的交接班摘要：交班时未解除的告警与未办结工单、本班变化与值班日志（可打印）。",
    description_en="A shift's handover: alarms and orders open at its end, what changed, the duty log (printable).",
)
