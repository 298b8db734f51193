"""Duty (值班): today's roster with who is on duty now, the duty log with a form for the duty roles,
and each shift's handover summary (``/duty/handover?shift=…``).

The rows come from ``citybrain.ops.duty`` (the roster and log of the region and its districts); an
entry is written through the API's one path (``dutyapi.write_entry``: checked field by field, the
role checked again, audited). A handler has no access: the log speaks of every department.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update
from sqlalchemy import select

from citybrain import context
from citybrain.api.params import ParamError
from citybrain.auth.roles import DUTY_ROLES
from citybrain.i18n import label, register, register_vocabulary, t
from citybrain.ops import duty
from citybrain.ops.body import parse_body
from citybrain.ops.caller import caller
from citybrain.ops.db import engine as ops_engine
from citybrain.ops.dutyapi import ENTRY, write_entry
from citybrain.ops.errors import OpsError
from citybrain.ops.tables import alarm_states
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.semantics.freshness import now as clock_now
from citybrain.ui import heading

log = logging.getLogger(__name__)
P = "duty"
#: Who may open the duty pages: every staff role but a handler (the log speaks of every department).
ROLES = ("leader", "analyst", "admin", "duty")
LOG_HOURS = 24
register({
    "duty.title": ("值班", "Duty"),
    "duty.intro": ("今日值班安排、值班日志与交接班摘要。值班员填写日志；交接班摘要可打印。",
                   "Today's roster, the duty log and each shift's handover summary. The duty officer writes the "
                   "log; the handover summary prints."),
    "duty.roster": ("今日值班表", "Today's roster"), "duty.no_roster": ("今日无值班安排。", "Nobody is on the roster today."),
    "duty.col.role": ("岗位", "Role"), "duty.col.user": ("人员", "Person"), "duty.col.start": ("开始", "From"),
    "duty.col.end": ("结束", "Until"), "duty.col.handover": ("交接班", "Handover"),
    "duty.col.region": ("地区", "Region"),
    "duty.on_now": ("在岗", "On duty"), "duty.handover": ("交接班摘要", "Handover summary"),
    "duty.log": ("值班日志（近24小时）", "Duty log (last 24 hours)"),
    "duty.no_log": ("近24小时无值班日志。", "No log entry in the last 24 hours."),
    "duty.text": ("日志内容", "Log entry"), "duty.alarm": ("关联告警（可选）", "Alarm (optional)"),
    "duty.order_no": ("关联工单号（可选）", "Work order no. (optional)"), "duty.add": ("写入日志", "Add to log"),
    "duty.added": ("已写入值班日志。", "Logged."),
    "duty.readonly": ("当前角色只能查看值班日志。", "This role may read the duty log only."),
    "duty.bad.text": ("请填写 1–2000 字的日志内容。", "Write 1–2000 characters."),
    "duty.bad.workorder_id": ("工单号无效或不存在。", "No work order has this number."),
    "duty.bad.alarm_id": ("关联告警无效。", "Unknown alarm."),
    "duty.bad.region": ("地区无效，请刷新页面。", "Unknown region: reload the page."),
    "duty.about_order": ("工单 #{id}", "Order #{id}"),
})
register_vocabulary("duty_role", {"duty": ("值班员", "Duty officer"), "leader": ("带班领导", "Leader on duty")})


def fmt_time(v: Any, lang: str, date: bool = True) -> str:
    """A time as the duty pages write it (``2026-12-02 08:00``; without the date: ``08:00``)."""
    if v is None:
        return ""
    return v.strftime("%Y-%m-%d %H:%M" if date else "%H:%M") if isinstance(v, datetime) else str(v)


def handover_href(shift_id: int, region: str, lang: str) -> str:
    return f"/duty/handover?shift={shift_id}&region={region}&lang={lang}"


def roster_table(region: str, lang: str, now: datetime) -> Any:
    """Today's roster entries (those overlapping today), who is on duty now marked."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = duty.roster(ops_engine(), region, day, day + timedelta(days=1))
    if not rows:
        return html.P(t("duty.no_roster", lang), className="ops-empty", id=f"{P}-no-roster")
    head = html.Tr([html.Th(t(f"duty.col.{c}", lang)) for c in ("role", "user", "start", "end", "region", "handover")])
    body = []
    for r in rows:
        on = r["starts_at"] <= now < r["ends_at"]
        body.append(html.Tr(className="duty-on" if on else None, children=[
            html.Td([label("duty_role", r["role"], lang),
                     html.Span(t("duty.on_now", lang), className="duty-badge") if on else None]),
            html.Td(r["user"]), html.Td(fmt_time(r["starts_at"], lang), className="duty-time"),
            html.Td(fmt_time(r["ends_at"], lang), className="duty-time"),
            html.Td(region_name(r["region_code"], lang)),
            html.Td(dcc.Link(t("duty.handover", lang), href=handover_href(r["id"], region, lang),
                             className="cb-link", id=f"{P}-handover-{r['id']}"))]))
    return html.Table([html.Thead(head), html.Tbody(body)], className="duty-table", id=f"{P}-roster-table")


def log_list(region: str, lang: str, now: datetime) -> Any:
    """The log entries of the last ``LOG_HOURS`` hours, newest first."""
    rows = duty.entries(ops_engine(), region, now - timedelta(hours=LOG_HOURS), now + timedelta(minutes=1), 200)
    if not rows:
        return html.P(t("duty.no_log", lang), className="ops-empty", id=f"{P}-no-log")
    return html.Ol(className="duty-log", children=[html.Li(className="duty-entry", children=[
        html.Span(fmt_time(r["at"], lang), className="duty-at"), html.Strong(r["author"], className="duty-author"),
        html.Span(r["text"], className="duty-text"),
        html.Span(t("duty.about_order", lang).format(id=r["workorder_id"]), className="duty-ref")
        if r["workorder_id"] else None,
        html.Span(r["alarm_id"], className="duty-ref") if r["alarm_id"] else None]) for r in rows])


def _alarm_options(region: str, lang: str) -> list[dict[str, str]]:
    """The region's alarms not cleared (the alarm set synced first), to link an entry to."""
    from citybrain.ops import alarms as life

    top = REGIONS[region].parent or region
    try:
        life.refresh(ops_engine(), top, clock_now())
    except Exception:  # the store may be missing or rebuilding: offer what is recorded
        log.warning("alarm set of %s not synced for the duty page", top, exc_info=True)
    with ops_engine().connect() as conn:
        rows = conn.execute(select(alarm_states.c.alarm_id, alarm_states.c.title_zh, alarm_states.c.title_en)
                            .where(alarm_states.c.scope_region == top,
                                   alarm_states.c.state != "cleared")
                            .order_by(alarm_states.c.alarm_id).limit(300)).all()
    return [{"label": (r.title_zh if lang == "zh" else r.title_en) or r.alarm_id, "value": r.alarm_id} for r in rows]


def layout(region: str | None = None, lang: str | None = None, **_query: Any) -> html.Div:
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    now = clock_now()
    may = caller()[1] in DUTY_ROLES
    form = html.Div(className="ops-bar duty-form", children=[
        dcc.Textarea(id=f"{P}-text", placeholder=t("duty.text", lang), maxLength=duty.MAX_TEXT, className="duty-input"),
        dcc.Dropdown(id=f"{P}-alarm", options=_alarm_options(region, lang), placeholder=t("duty.alarm", lang),
                     className="ops-select duty-alarm"),
        dcc.Input(id=f"{P}-order", type="number", min=1, step=1, placeholder=t("duty.order_no", lang),
                  className="ops-note duty-order"),
        html.Button(t("duty.add", lang), id=f"{P}-add", n_clicks=0, className="ops-button")]) if may else \
        html.P(t("duty.readonly", lang), id=f"{P}-readonly", className="ops-readonly")
    return html.Div(className="cb-page", id=f"{P}-page", children=[
        heading(f"{t('duty.title', lang)} · {region_name(region, lang)}", t("duty.intro", lang)),
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        dcc.Interval(id=f"{P}-tick", interval=60_000),
        html.Section(className="dash-panel", id=f"{P}-roster", children=[
            html.H2(t("duty.roster", lang)), html.Div(roster_table(region, lang, now), id=f"{P}-roster-body")]),
        html.Section(className="dash-panel", id=f"{P}-log-panel", children=[
            html.H2(t("duty.log", lang)), form,
            html.Div(id=f"{P}-msg", className="ops-msg", role="status"),
            html.Div(log_list(region, lang, now), id=f"{P}-log")]),
    ])


def add(text: Any, alarm: Any, order: Any, region: str) -> dict[str, Any]:
    """Write the form's entry as the caller (``ParamError`` naming the field, ``OpsError``)."""
    body = {"region": region, "text": text if isinstance(text, str) else None,
            "alarm_id": alarm if isinstance(alarm, str) else None,
            "workorder_id": order if isinstance(order, (int, float)) and not isinstance(order, bool) else None}
    if order not in (None, "") and body["workorder_id"] is None:
        raise ParamError("workorder_id", "invalid field value", "the number of a work order", order)
    return write_entry(parse_body(body, ENTRY), via="page")


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(f"{P}-log", "children"), Output(f"{P}-roster-body", "children"),
                  Input(f"{P}-tick", "n_intervals"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _tick(_n, ctx):
        now = clock_now()
        return log_list(ctx["region"], ctx["lang"], now), roster_table(ctx["region"], ctx["lang"], now)

    @app.callback(Output(f"{P}-log", "children", allow_duplicate=True), Output(f"{P}-msg", "children"),
                  Output(f"{P}-text", "value"), Input(f"{P}-add", "n_clicks"), State(f"{P}-text", "value"),
                  State(f"{P}-alarm", "value"), State(f"{P}-order", "value"), State(f"{P}-ctx", "data"),
                  prevent_initial_call=True)
    def _add(_n, text, alarm, order, ctx):
        lang = ctx["lang"]
        try:
            add(text, alarm, order, ctx["region"])
        except ParamError as exc:
            return no_update, t(f"duty.bad.{exc.parameter}", lang), no_update
        except OpsError as exc:
            key = "duty.readonly" if exc.status == 403 else f"duty.bad.{exc.details.get('parameter', 'text')}"
            return no_update, t(key, lang), no_update
        return log_list(ctx["region"], lang, clock_now()), t("duty.added", lang), ""


MODULE = DashboardModule(
    id=P, title_zh="值班", title_en="Duty", path="/duty", layout=layout, order=87, roles=ROLES,
    register_callbacks=register_callbacks,
    description_zh="今日值班表、值班日志与可打印的交接班摘要。",
    description_en="Today's roster, the duty log and a printable handover summary.",
)
