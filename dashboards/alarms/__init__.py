"""Alarms (告警处置): the region's alarm set with each alarm's state; the duty officer acknowledges.

The rows are ``GET /api/v1/alarms``'s (the one alarm set with its life cycle, ``citybrain.ops``);
a filter keeps one state; roles that may act (duty, admin) select rows and acknowledge them with a
note. The callback checks the role again: the button is a convenience, not the guard.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from citybrain import audit
from citybrain.api.alarms import rows as alarm_rows
from citybrain.auth.roles import can_act_on_alarms
from citybrain.i18n import domain_label, label, register, register_vocabulary, t
from citybrain.ops import alarms as life
from citybrain.ops.caller import caller
from citybrain.ops.db import engine as ops_engine
from citybrain.ops.errors import OpsError
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.semantics.freshness import now as clock_now
from citybrain.semantics.status import label as severity_label
from citybrain.store import StoreMissing
from citybrain.ui import grid, heading
from citybrain import context

log = logging.getLogger(__name__)
P = "alarms"
register({
    "alarms.title": ("告警处置", "Alarms"),
    "alarms.intro": ("本地区当前的全部预警与告警（与驾驶舱、一张图、大屏同一清单）及其处置状态。值班员选中后确认。",
                     "Every warning and alarm of the region now (the same list as the cockpit, map and wall) "
                     "with its state. The duty officer selects and acknowledges."),
    "alarms.filter": ("状态", "State"), "alarms.all": ("全部", "All"),
    "alarms.note": ("确认说明（可选）", "Note (optional)"), "alarms.ack": ("确认所选告警", "Acknowledge selected"),
    "alarms.readonly": ("当前角色只能查看，不能确认告警。", "This role may view alarms but not acknowledge them."),
    "alarms.none_selected": ("请先在表格中选择告警。", "Select alarms in the grid first."),
    "alarms.done": ("已确认 {n} 条告警。", "{n} alarm(s) acknowledged."),
    "alarms.col.severity": ("级别", "Severity"), "alarms.col.state": ("状态", "State"),
    "alarms.col.title": ("告警", "Alarm"), "alarms.col.domain": ("领域", "Domain"),
    "alarms.col.region": ("地区", "Region"), "alarms.col.raised": ("发生时间", "Raised"),
    "alarms.col.by": ("确认人", "Acknowledged by"), "alarms.col.at": ("确认时间", "Acknowledged at"),
    "alarms.col.silenced": ("静默至", "Silenced until"), "alarms.col.level": ("升级", "Escalation"),
    "alarms.level": ("⬆ {n}级", "⬆ Level {n}"),
})
register_vocabulary("alarm_state", {"active": ("▲ 未确认", "▲ Unacknowledged"),
                                    "acknowledged": ("✓ 已确认", "✓ Acknowledged"),
                                    "cleared": ("○ 已清除", "○ Cleared")})
FIELDS = ("severity", "state", "level", "title", "domain", "region", "raised", "by", "at", "silenced")
WIDTHS = {"severity": 130, "state": 180, "level": 130, "domain": 120, "region": 150, "raised": 150, "by": 160,
          "at": 170, "silenced": 150}


def _time(v: Any) -> str:
    return "" if v is None else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def grid_rows(region: str, lang: str, state: str | None) -> list[dict[str, Any]]:
    """The grid's rows: the alarm set of ``region`` (or its rows in ``state``), in ``lang``."""
    _region, _at, items = alarm_rows(region, state)
    return [{"id": r["id"], "severity": severity_label(r["severity"], lang),
             "state": label("alarm_state", r["state"], lang),
             "level": t("alarms.level", lang).format(n=r["escalation_level"]) if r.get("escalation_level") else "",
             "title": r["title_zh"] if lang == "zh" else r["title_en"],
             "domain": domain_label(r["domain"], lang) if r["domain"] else "",
             "region": region_name(r["region_code"], lang) if r["region_code"] else "",
             "raised": _time(r["raised_at"]), "by": r["acknowledged_by"] or "", "at": _time(r["acknowledged_at"]),
             "silenced": _time(r["silenced_until"])} for r in items]


def _columns(lang: str) -> list[dict[str, Any]]:
    cols: list[dict[str, Any]] = [{"field": f, "headerName": t(f"alarms.col.{f}", lang), "tooltipField": f}
                                  for f in FIELDS]
    cols[0].update(checkboxSelection=True, headerCheckboxSelection=True, minWidth=110)
    # the short columns as wide as their content (1920 design's pixels; assets/scale.js scales them),
    # the alarm's own text takes the rest
    for c in cols:
        c.update(width=WIDTHS.get(c["field"], 130))
    cols[3].update(flex=1, minWidth=280)
    return cols


def layout(region: str | None = None, lang: str | None = None, **_query: Any) -> html.Div:
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    try:
        data = grid_rows(region, lang, None)
    except StoreMissing as exc:
        return html.Div(className="cb-page", children=[heading(t("alarms.title", lang)), html.Pre(str(exc))])
    may = can_act_on_alarms(caller()[1])
    states = [{"label": t("alarms.all", lang), "value": "all"}] + [
        {"label": label("alarm_state", s, lang), "value": s} for s in life.STATES]
    act = [dcc.Input(id=f"{P}-note", placeholder=t("alarms.note", lang), maxLength=500, className="ops-note"),
           html.Button(t("alarms.ack", lang), id=f"{P}-ack", n_clicks=0, className="ops-button")] if may else \
        [html.P(t("alarms.readonly", lang), id=f"{P}-readonly", className="ops-readonly")]
    return html.Div(className="cb-page", id=f"{P}-page", children=[
        heading(f"{t('alarms.title', lang)} · {region_name(region, lang)}", t("alarms.intro", lang)),
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        html.Div(className="ops-bar", children=[
            html.Label(t("alarms.filter", lang), htmlFor=f"{P}-state"),
            dcc.RadioItems(id=f"{P}-state", options=states, value="all", inline=True, className="ops-filter"),
            *act]),
        html.Div(id=f"{P}-msg", className="ops-msg", role="status"),
        _selectable(grid(f"{P}-grid", data, _columns(lang), lang, height="560px", getRowId="params.data.id")),
    ])


def _selectable(g: Any) -> Any:
    """The grid with rows selected by their check boxes (several at once)."""
    g.dashGridOptions = {**g.dashGridOptions, "rowSelection": "multiple", "suppressRowClickSelection": True}
    return g


def acknowledge(ids: list[str], note: str | None) -> int:
    """Acknowledge ``ids`` as the caller (who must be a duty role); how many were acknowledged."""
    user, role, _ = caller()
    if not can_act_on_alarms(role):
        raise PermissionError(f"role {role} may not acknowledge alarms")
    engine, now, done = ops_engine(), clock_now(), 0
    for aid in ids:
        try:
            life.acknowledge(engine, aid, user, now, (note or "").strip()[:2000] or None)
        except OpsError as exc:
            log.info("alarm %s not acknowledged: %s", aid, exc.message)
            continue
        audit.record("alarm_acknowledge", user=user, role=role, alarm_id=aid, note=note, via="page")
        done += 1
    return done


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(f"{P}-grid", "rowData"), Input(f"{P}-state", "value"), State(f"{P}-ctx", "data"),
                  prevent_initial_call=True)
    def _filter(state, ctx):
        return grid_rows(ctx["region"], ctx["lang"], None if state in (None, "all") else state)

    @app.callback(Output(f"{P}-grid", "rowData", allow_duplicate=True), Output(f"{P}-msg", "children"),
                  Input(f"{P}-ack", "n_clicks"), State(f"{P}-grid", "selectedRows"), State(f"{P}-note", "value"),
                  State(f"{P}-state", "value"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _ack(_n, selected, note, state, ctx):
        lang = ctx["lang"]
        ids = [r["id"] for r in selected or [] if isinstance(r, dict) and isinstance(r.get("id"), str)]
        if not ids:
            return no_update, t("alarms.none_selected", lang)
        try:
            n = acknowledge(ids[:500], note if isinstance(note, str) else None)
        except PermissionError:
            return no_update, t("alarms.readonly", lang)
        rows = grid_rows(ctx["region"], lang, None if state in (None, "all") else state)
        return rows, t("alarms.done", lang).format(n=n)


MODULE = DashboardModule(
    id=P, title_zh="告警处置", title_en="Alarms", path="/alarms", layout=layout, order=85,
    register_callbacks=register_callbacks,
    description_zh="当前预警告警清单及其确认、静默、清除状态；值班员在此确认。",
    description_en="The alarm set with each alarm's acknowledgement, silence and clearing; the duty officer "
                   "acknowledges here.",
)
