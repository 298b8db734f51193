"""应急指挥 Emergency command: incident funnel by life-cycle step, overdue incidents, response times,
shelter capacity and occupancy, and supplies against minimum reserves."""

from __future__ import annotations


import numpy as np
import pandas as pd
from dash import Dash, dcc, html

from citybrain.figures import graph_config
from citybrain import drill, kpi
from citybrain.i18n import date_format, fmt_number, label, register, t
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.ui import export_button, grid
from citybrain.tables import properties

P = "emergency"
KPIS = ("open_incidents", "overdue_incidents", "avg_response_min", "shelter_occupancy_rate", "depot_reserve_ratio")
STEPS = ("reported", "dispatched", "on_scene", "resolved", "closed")

register({
    "emergency.title": ("应急指挥", "Emergency command"),
    "emergency.intro": ("事件闭环处置（接报→派警→到场→处置完毕→结案）、超时事件、到场时长、避灾安置点与物资储备（模拟数据）。",
                        "Incidents through their life cycle, overdue cases, response times, shelters and supplies "
                        "(simulated)."),
    "emergency.funnel": ("近30天事件处置漏斗", "Incident funnel, last 30 days"),
    "emergency.open": ("在办事件（超时优先）", "Open incidents (overdue first)"),
    "emergency.none_open": ("当前无在办事件", "No open incident"),
    "emergency.response": ("各类事件到场时长中位数（分钟）", "Median response time by kind (min)"),
    "emergency.shelters": ("避灾安置点容量与在安置人数", "Shelter capacity and occupancy"),
    "emergency.supplies": ("储备库物资达标率", "Supply reserve ratio by depot"),
    "emergency.overdue": ("超时", "overdue"), "emergency.ontime": ("未超时", "on time"),
    "col.incident": ("事件", "Incident"), "col.kind": ("类型", "Kind"), "col.severity": ("等级", "Severity"),
    "col.reported": ("接报时间", "Reported"), "col.due": ("时限", "Due"), "col.overdue": ("超时", "Overdue"),
})


def funnel_figure(fn: pd.DataFrame, lang: str) -> dict:
    """How many incidents reached each step (a plain figure dict)."""
    tot = [int(fn[s].sum()) for s in STEPS]
    return kpi.figure([{"type": "funnel", "y": [label("step", s, lang) for s in STEPS], "x": tot,
                        "textinfo": "value+percent initial", "marker": {"color": "#35c2ff"}}], 280)


def shelter_figure(ent: pd.DataFrame, lang: str) -> dict:
    """Occupancy against capacity per shelter (the 12 largest, largest at the top)."""
    m = (ent["indicator_id"] == "shelter_occupancy").to_numpy()
    names = (ent["name_zh"] if lang == "zh" else ent["name_en"]).to_numpy(object)[m]
    capacity = [properties(p).get("capacity") for p in ent["properties"].to_numpy(object)[m]]
    cap = np.array([np.nan if c is None else c for c in capacity], "float64")
    occ = ent["value"].to_numpy("float64")[m]
    # ascending by capacity, unknown capacities last (pandas' sort_values order), then the last 12
    known = np.flatnonzero(~np.isnan(cap))
    order = np.concatenate([known[np.argsort(cap[known], kind="quicksort")], np.flatnonzero(np.isnan(cap))])[-12:]
    y = kpi.values(names[order])
    return kpi.figure([
        {"type": "bar", "y": y, "x": [capacity[i] for i in order], "orientation": "h",
         "name": "容量" if lang == "zh" else "capacity", "marker": {"color": "#1f4a6e"}},
        {"type": "bar", "y": y, "x": kpi.values(occ[order]), "orientation": "h",
         "name": "在安置" if lang == "zh" else "occupants", "marker": {"color": "#ffc53d"}},
    ], 90 + 26 * max(len(order), 1), barmode="overlay")


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The emergency page of ``region``."""
    store, region, lang, at = kpi.resolve(region, lang)
    ok, reason = kpi.applicable(store, region, "emergency")
    if not ok:
        return kpi.page(P, t("emergency.title", lang), t("emergency.intro", lang), region, lang,
                        [kpi.not_applicable(P, reason, lang)])
    fn = qk.incident_funnel(store, region, at)
    op = qk.open_incidents(store, region, at)
    otab = pd.DataFrame({"incident": op["title_zh"] if lang == "zh" else op["title_en"],
                         "kind": [label("incident_kind", k, lang) for k in op["kind"]],
                         "severity": [label("severity", s, lang) for s in op["severity"]],
                         "status": [label("step", s, lang) for s in op["status"]],
                         "reported": op["reported_at"].dt.strftime(date_format(lang)),
                         "due": op["due_at"].dt.strftime(date_format(lang)),
                         "overdue": [("■ " + t("emergency.overdue", lang)) if o else ("● " + t("emergency.ontime", lang))
                                     for o in op["overdue"]]})
    ocols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in otab.columns]
    ocols[-1]["cellClassRules"] = {"kpi-cell-alarm": "params.value && params.value.startsWith('■')"}
    ent = qk.entity_latest(store, region, ("shelter_occupancy", "depot_reserve_ratio"), at)
    dep = ent[ent["indicator_id"] == "depot_reserve_ratio"]
    rind = kpi.definitions(store)["depot_reserve_ratio"]
    dsts = [kpi.status(v, rind) for v in dep["value"]]
    dfig = kpi.figure([{"type": "bar", "x": kpi.values(dep["name_zh"] if lang == "zh" else dep["name_en"]),
                        "y": kpi.values(dep["value"]), "marker": {"color": [kpi.STATUS_COLOR[s] for s in dsts]},
                        "text": [f"{kpi.STATUS_ICON[s]} {fmt_number(round(v, 1), '%', lang)}"
                                 for s, v in zip(dsts, dep["value"])]}], 280, yaxis={"title": {"text": "%"}})
    resp = kpi.figure([{"type": "bar", "x": [label("incident_kind", k, lang) for k in fn["kind"]], "y": kpi.values(fn["response_min"].round(1)),
                        "marker": {"color": "#35c2ff"},
                        "text": [fmt_number(round(v, 1), "分钟", lang)
                                 for v in fn["response_min"]]}], 260)
    return kpi.page(P, t("emergency.title", lang), t("emergency.intro", lang), region, lang, [
        kpi.cards(P, store, region, KPIS, at, lang),
        html.Div(className="dash-grid", children=[
            kpi.section(P, "funnel", t("emergency.funnel", lang),
                        [dcc.Graph(figure=funnel_figure(fn, lang), config=graph_config(lang, displayModeBar=False))],
                        export_button(f"{P}-export-funnel", "events",
                                      {"region": region, "from": qk.since(at, 30), "to": at}, lang)),
            kpi.section(P, "open", t("emergency.open", lang),
                        [grid(f"{P}-open-grid", otab, ocols, lang, height="320px") if len(otab)
                         else html.P(t("emergency.none_open", lang), className="dash-empty")],
                        export_button(f"{P}-export-open", "observations",
                                      kpi.export_params("overdue_incidents", region, qk.since(at, 7), at), lang)),
            kpi.section(P, "response", t("emergency.response", lang),
                        [dcc.Graph(figure=resp, config=graph_config(lang, displayModeBar=False))],
                        export_button(f"{P}-export-response", "observations",
                                      kpi.export_params("avg_response_min", region, qk.since(at, 30), at), lang)),
            kpi.section(P, "shelters", t("emergency.shelters", lang),
                        [dcc.Graph(figure=shelter_figure(ent, lang), config=graph_config(lang, displayModeBar=False))],
                        export_button(f"{P}-export-shelters", "observations",
                                      kpi.export_params("shelter_occupancy", region, at, None), lang)),
            kpi.section(P, "supplies", t("emergency.supplies", lang),
                        [dcc.Graph(figure=dfig, config=graph_config(lang, displayModeBar=False))],
                        export_button(f"{P}-export-supplies", "observations",
                                      kpi.export_params("depot_reserve_ratio", region, qk.since(at, 1), at), lang)),
        ]),
    ])


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    id=P, title_zh="应急指挥", title_en="Emergency command", path=f"/d/{P}", layout=layout,
    datasets=("emergency",), indicators=KPIS + ("shelter_occupancy",), layers=("emergency",),
    description_zh="事件闭环、超时事件、到场时长、安置点与物资。",
    description_en="Incident life cycle, overdue cases, response times, shelters and supplies.",
    order=50, register_callbacks=register_callbacks,
)
