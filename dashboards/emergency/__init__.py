"""应急指挥 Emergency command: incident funnel by life-cycle step, overdue incidents, response times,
shelter capacity and occupancy, and supplies against minimum reserves."""

from __future__ import annotations


import numpy as np
import pandas as pd
from dash import Dash, dcc, html

from citybrain.ui.figures import graph_config
from citybrain import kpi, views
from citybrain.ui import drill
from citybrain.i18n import date_format, fmt_number, label, register, t, unit_label
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.ui import grid
from citybrain.views import View, ViewContext
from layers.registry import cached_features
from citybrain.store.tables import properties
from citybrain.semantics import status as sem_status
from citybrain import ui
from citybrain.ops import loopviews
from citybrain.ui import loop

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
    "col.step": ("环节", "Step"), "col.reported": ("接报时间", "Reported"), "col.due": ("时限", "Due"), "col.overdue": ("超时", "Overdue"),
})


def _map_status(ctx: ViewContext) -> dict[str, str]:
    """The emergency layer's status of each place and incident (the map's, so a view never disagrees)."""
    f = cached_features(ctx.store, "emergency", ctx.region, ctx.at)
    return dict(zip(f["id"].tolist(), f["status"].tolist()))


def funnel_rows(ctx: ViewContext) -> pd.DataFrame:
    """Incidents of the last 30 days that reached each life-cycle step (the funnel)."""
    fn = qk.incident_funnel(ctx.store, ctx.region, ctx.at)
    return pd.DataFrame({"step": list(STEPS), "step_text": [label("step", s, ctx.lang) for s in STEPS],
                         "incidents": [int(fn[s].sum()) for s in STEPS]})


def open_rows(ctx: ViewContext) -> pd.DataFrame:
    """Incidents not closed now, overdue first, with the map's status of each."""
    lang = ctx.lang
    op = qk.open_incidents(ctx.store, ctx.region, ctx.at)
    st = _map_status(ctx)
    return pd.DataFrame({
        "entity_id": op["event_id"].astype(object),
        "status": [st.get(e, "alarm" if o else "warning") for e, o in zip(op["event_id"], op["overdue"])],
        "incident": (op["title_zh"] if lang == "zh" else op["title_en"]).astype(object),
        "kind": [label("incident_kind", k, lang) for k in op["kind"]],
        "severity": [label("severity", s, lang) for s in op["severity"]],
        "step": [label("step", s, lang) for s in op["status"]],
        "reported": op["reported_at"].dt.strftime(date_format(lang)).astype(object),
        "due": op["due_at"].dt.strftime(date_format(lang)).astype(object),
        "overdue": [("■ " + t("emergency.overdue", lang)) if o else ("● " + t("emergency.ontime", lang))
                    for o in op["overdue"]]})


def response_rows(ctx: ViewContext) -> pd.DataFrame:
    """Median response time per incident kind over the last 30 days (minutes)."""
    fn = qk.incident_funnel(ctx.store, ctx.region, ctx.at)
    return pd.DataFrame({"kind": fn["kind"].astype(object),
                         "kind_text": [label("incident_kind", k, ctx.lang) for k in fn["kind"]],
                         "response_min": fn["response_min"].round(1).astype("float64")})


def shelter_rows(ctx: ViewContext) -> pd.DataFrame:
    """The 12 largest shelters (largest last, as the chart draws them): capacity, occupants, status."""
    ent = qk.entity_latest(ctx.store, ctx.region, ("shelter_occupancy",), ctx.at)
    names = (ent["name_zh"] if ctx.lang == "zh" else ent["name_en"]).to_numpy(object)
    capacity = [properties(p).get("capacity") for p in ent["properties"].to_numpy(object)]
    cap = np.array([np.nan if c is None else c for c in capacity], "float64")
    # ascending by capacity, unknown capacities last (pandas' sort_values order), then the last 12
    known = np.flatnonzero(~np.isnan(cap))
    order = np.concatenate([known[np.argsort(cap[known], kind="quicksort")], np.flatnonzero(np.isnan(cap))])[-12:]
    st = _map_status(ctx)
    ids = ent["entity_id"].to_numpy(object)[order]
    return pd.DataFrame({"entity_id": ids, "status": [st.get(e, "none") for e in ids], "shelter": names[order],
                         "capacity": cap[order], "occupants": ent["value"].to_numpy("float64")[order]})


def supply_rows(ctx: ViewContext) -> pd.DataFrame:
    """Reserve ratio per depot with its status (the one status rule, as on the map)."""
    ent = qk.entity_latest(ctx.store, ctx.region, ("depot_reserve_ratio",), ctx.at)
    st = _map_status(ctx)
    rind = kpi.definitions(ctx.store)["depot_reserve_ratio"]
    return pd.DataFrame({"entity_id": ent["entity_id"].astype(object),
                         "status": [st.get(e, kpi.status(v, rind)) for e, v in zip(ent["entity_id"], ent["value"])],
                         "depot": (ent["name_zh"] if ctx.lang == "zh" else ent["name_en"]).astype(object),
                         "reserve_ratio": ent["value"].round(1).astype("float64")})


CARDS = views.cards_view(KPIS)
FUNNEL = View("funnel", "近30天事件处置漏斗", "Incident funnel, last 30 days", funnel_rows)
OPEN = View("open", "在办事件（超时优先）", "Open incidents (overdue first)", open_rows)
RESPONSE = View("response", "各类事件到场时长中位数", "Median response time by kind", response_rows)
SHELTERS = View("shelters", "避灾安置点容量与在安置人数", "Shelter capacity and occupancy", shelter_rows)
SUPPLIES = View("supplies", "储备库物资达标率", "Supply reserve ratio by depot", supply_rows)
OPEN_COLUMNS = ("incident", "kind", "severity", "step", "reported", "due", "overdue")


def funnel_figure(rows: pd.DataFrame) -> dict:
    """How many incidents reached each step (a plain figure dict)."""
    return ui.figure([{"type": "funnel", "y": rows["step_text"].tolist(), "x": rows["incidents"].tolist(),
                        "textinfo": "value+percent initial", "marker": {"color": "#35c2ff"}}], 280)


def shelter_figure(rows: pd.DataFrame, lang: str) -> dict:
    """Occupancy against capacity per shelter (the view's rows, largest at the top)."""
    y = ui.values(rows["shelter"])
    return ui.figure([
        {"type": "bar", "y": y, "x": [None if np.isnan(c) else c for c in rows["capacity"]], "orientation": "h",
         "name": "容量" if lang == "zh" else "capacity", "marker": {"color": "#1f4a6e"}},
        {"type": "bar", "y": y, "x": ui.values(rows["occupants"]), "orientation": "h",
         "name": "在安置" if lang == "zh" else "occupants", "marker": {"color": sem_status.COLOURS["warning"]}},
    ], 90 + 26 * max(len(rows), 1), barmode="overlay", xaxis={"title": {"text": "人" if lang == "zh" else "people"}})


@kpi.cached_layout(P)
def _page(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The emergency page of ``region``: every table and chart drawn from its view's rows."""
    store, region, lang, at = kpi.resolve(region, lang)
    na = ui.not_applicable_page(P, "emergency", region, lang)
    if na is not None:
        return na
    rows = views.reader(P, store, region, lang, at)
    otab = rows(OPEN)
    ocols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in OPEN_COLUMNS]
    ocols[-1]["cellClassRules"] = {"kpi-cell-alarm": "params.value && params.value.startsWith('■')"}
    dep = rows(SUPPLIES)
    dfig = ui.figure([{"type": "bar", "x": [ui.wrap(d, 6 if lang == "zh" else 12) for d in ui.values(dep["depot"])], "y": ui.values(dep["reserve_ratio"]),
                        "marker": {"color": [sem_status.COLOURS[s] for s in dep["status"]]},
                        "text": [f"{sem_status.ICONS[s]} {fmt_number(v, '%', lang)}"
                                 for s, v in zip(dep["status"], dep["reserve_ratio"])]}], 280, yaxis={"title": {"text": "%"}})
    rs = rows(RESPONSE)
    resp = ui.figure([{"type": "bar", "x": [ui.wrap(k, 6 if lang == "zh" else 12) for k in rs["kind_text"].tolist()], "y": ui.values(rs["response_min"]),
                        "marker": {"color": "#35c2ff"},
                        "text": [fmt_number(v, "分钟", lang) for v in rs["response_min"]]}], 260,
                     yaxis={"title": {"text": unit_label("分钟", lang)}})
    cfg = graph_config(lang, displayModeBar=False)
    return ui.page(P, t("emergency.title", lang), t("emergency.intro", lang), region, lang, [
        ui.cards(P, store, region, KPIS, at, lang),
        html.Div(className="dash-grid", children=[
            ui.section(P, "funnel", t("emergency.funnel", lang),
                        [dcc.Graph(figure=funnel_figure(rows(FUNNEL)), config=cfg)], views.export(P, "funnel", region, lang)),
            ui.section(P, "open", t("emergency.open", lang),
                        [grid(f"{P}-open-grid", views.json_rows(otab), ocols, lang, height="320px") if len(otab)
                         else html.P(t("emergency.none_open", lang), className="dash-empty")],
                        views.export(P, "open", region, lang)),
            ui.section(P, "response", t("emergency.response", lang),
                        [dcc.Graph(figure=resp, config=cfg)], views.export(P, "response", region, lang)),
            ui.section(P, "shelters", t("emergency.shelters", lang),
                        [dcc.Graph(figure=shelter_figure(rows(SHELTERS), lang), config=cfg)],
                        views.export(P, "shelters", region, lang)),
            ui.section(P, "supplies", t("emergency.supplies", lang),
                        [dcc.Graph(figure=dfig, config=cfg)], views.export(P, "supplies", region, lang)),
        ]),
    ])


#: The page: the memoised cockpit plus the closed loop's KPI cards and tables by department, category and
#: region, read afresh.
layout = loop.with_panel(P, _page, ("department", "category", "region_code"))


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Emergency",
    id=P, title_zh="应急指挥", title_en="Emergency command", path=f"/d/{P}", layout=layout,
    datasets=("emergency",), indicators=KPIS + ("shelter_occupancy",), layers=("emergency",),
    description_zh="事件闭环、超时事件、到场时长、安置点与物资。",
    description_en="Incident life cycle, overdue cases, response times, shelters and supplies.",
    order=50, register_callbacks=register_callbacks,
    views=(CARDS, FUNNEL, OPEN, RESPONSE, SHELTERS, SUPPLIES, *loopviews.ALL),
)
