"""智慧渔港 Smart fishing ports: vessels at sea / in port / in alarm, port traffic, digital-supervision
coverage against the plan's 95 % target, and compliance with the East China Sea fishing moratorium."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import Dash, dcc, html

from citybrain.ui.figures import graph_config
from citybrain import kpi, views
from citybrain.ui import drill
from citybrain.i18n import fmt_number, label, register, t
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.sim import in_moratorium
from citybrain.views import View, ViewContext
from layers.registry import cached_features
from citybrain.ui import grid
from citybrain.store.tables import properties
from citybrain.semantics import status as sem_status
from citybrain import ui

P = "fisheries"
KPIS = ("vessels_at_sea", "vessels_in_port", "vessels_alarm", "supervision_coverage")

register({
    "fisheries.title": ("智慧渔港", "Smart fishing ports"),
    "fisheries.intro": ("渔船在海、在港与告警动态，渔港在港船数，数字化监管覆盖率对照规划目标，伏季休渔执行情况。",
                        "Vessels at sea, in port and in alarm, port occupancy, digital supervision against the plan's "
                        "target, and moratorium compliance."),
    "fisheries.ports": ("各渔港在港渔船", "Vessels in port by port"),
    "fisheries.capacity": ("可停泊（估算）", "capacity (est.)"),
    "fisheries.inport": ("在港", "in port"),
    "fisheries.moratorium": ("伏季休渔执行", "Fishing moratorium compliance"),
    "fisheries.moratorium.on": ("休渔期内（5月1日—9月16日）", "in the moratorium (1 May – 16 Sep)"),
    "fisheries.moratorium.off": ("非休渔期", "outside the moratorium"),
    "fisheries.compliance": ("休渔合规率", "compliance"),
    "fisheries.violators": ("非豁免渔船在海", "non-exempt vessels at sea"),
    "fisheries.exempt_at_sea": ("豁免（特许）渔船在海", "exempt vessels at sea"),
    "fisheries.alarms": ("告警渔船", "Vessels in alarm"),
    "fisheries.no_alarms": ("当前无告警渔船", "No vessel in alarm"),
    "col.vessel": ("船号", "Vessel"), "col.vessel_status": ("状态", "Status"), "col.status": ("状态", "Status"), "col.home_port": ("船籍港", "Home port"),
    "col.gear": ("作业类型", "Gear"), "col.lon": ("经度", "Lon"), "col.lat": ("纬度", "Lat"),
})


def moratorium_panel(vs: pd.DataFrame, at: datetime, lang: str) -> html.Div:
    """Compliance: non-exempt vessels should all be in port during the moratorium."""
    on = bool(in_moratorium(at))  # the one rule the fleet generator and the map use
    sea = vs["status"] != "in_port"
    exempt = vs["exempt"].fillna(False).astype(bool)
    bound = (~exempt).sum()
    viol = int((sea & ~exempt).sum()) if on else 0
    rate = 100.0 * (bound - viol) / bound if bound else None
    st = "normal" if viol == 0 else ("warning" if viol < 5 else "alarm")
    return html.Div(id=f"{P}-moratorium-body", className="dash-facts", children=[
        html.P(t("fisheries.moratorium.on" if on else "fisheries.moratorium.off", lang)),
        html.Div([html.Span(t("fisheries.compliance", lang)), " ",
                  html.Strong(fmt_number(None if rate is None else round(rate, 1), "%", lang)), " ",
                  ui.status_badge(st, lang)]),
        html.Div(f"{t('fisheries.violators', lang)}: {fmt_number(viol, '艘' if lang == 'zh' else '', lang)}"),
        html.Div(f"{t('fisheries.exempt_at_sea', lang)}: "
                 f"{fmt_number(int((sea & exempt).sum()), '艘' if lang == 'zh' else '', lang)}"),
    ])


def port_rows(ctx: ViewContext) -> pd.DataFrame:
    """Vessels in port against estimated capacity per port, with the map's status of each port."""
    pl = qk.entity_latest(ctx.store, ctx.region, ("vessels_in_port_by_port",), ctx.at)
    f = cached_features(ctx.store, "fisheries", ctx.region, ctx.at)
    st = dict(zip(f["id"].tolist(), f["status"].tolist()))
    return pd.DataFrame({"entity_id": pl["entity_id"].astype(object),
                         "status": [st.get(e, "none") for e in pl["entity_id"]],
                         "port": (pl["name_zh"] if ctx.lang == "zh" else pl["name_en"]).astype(object),
                         "in_port": pl["value"].astype("float64"),
                         "capacity": [properties(p).get("capacity_vessels") for p in pl["properties"]]})


def alarm_rows(ctx: ViewContext) -> pd.DataFrame:
    """Vessels in alarm now (left their zone or lost), as the map and the alarm set show them."""
    vs = qk.vessel_status(ctx.store, ctx.region, ctx.at)
    alarms = vs[vs["status"].str.startswith("alarm")]
    return pd.DataFrame({"entity_id": alarms["entity_id"].astype(object), "status": "alarm",
                         "vessel": alarms["entity_id"].astype(object),
                         "vessel_status": [label("vessel_status", s, ctx.lang) for s in alarms["status"]],
                         "home_port": alarms["home_port"].astype(object), "gear": alarms["gear"].astype(object),
                         "lon": alarms["lon"].round(3).astype("float64"), "lat": alarms["lat"].round(3).astype("float64")})


CARDS = views.cards_view(KPIS)
PORTS = View("ports", "渔港在港渔船与估算容量", "Vessels in port and estimated capacity", port_rows)
ALARMS = View("alarms", "告警渔船", "Vessels in alarm", alarm_rows)
ALARM_COLUMNS = ("vessel", "vessel_status", "home_port", "gear", "lon", "lat")


def ports_figure(rows: pd.DataFrame, lang: str) -> dict:
    """In-port vessels against estimated capacity per port (the view's rows; a plain figure dict)."""
    names = ui.values(rows["port"])
    return ui.figure([
        {"type": "bar", "y": names, "x": ui.values(rows["in_port"]), "orientation": "h",
         "name": t("fisheries.inport", lang), "marker": {"color": "#35c2ff"},
         "text": [fmt_number(v, "", lang) for v in rows["in_port"]]},
        {"type": "scatter", "y": names, "x": rows["capacity"].tolist(), "mode": "markers",
         "name": t("fisheries.capacity", lang),
         "marker": {"symbol": "line-ns-open", "size": 18, "color": sem_status.COLOURS["warning"], "line": {"width": 3}}},
    ], 60 + 36 * max(len(rows), 1), xaxis={"title": {"text": "艘" if lang == "zh" else "vessels"}})


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The fisheries page for ``region`` (a clear not-applicable panel where there is no fishery)."""
    store, region, lang, at = kpi.resolve(region, lang)
    na = ui.not_applicable_page(P, "fisheries", region, lang)
    if na is not None:
        return na
    vs = qk.vessel_status(store, region, at)
    atab = views.rows(P, ALARMS, store, region, lang, at)
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in ALARM_COLUMNS]
    return ui.page(P, t("fisheries.title", lang), t("fisheries.intro", lang), region, lang, [
        ui.cards(P, store, region, KPIS, at, lang),
        html.Div(className="dash-grid", children=[
            ui.section(P, "ports", t("fisheries.ports", lang),
                        [dcc.Graph(figure=ports_figure(views.rows(P, PORTS, store, region, lang, at), lang),
                                   config=graph_config(lang, displayModeBar=False))],
                        views.export(P, "ports", region, lang)),
            ui.section(P, "moratorium", t("fisheries.moratorium", lang), [moratorium_panel(vs, at, lang)]),
            ui.section(P, "alarms", t("fisheries.alarms", lang),
                        [grid(f"{P}-alarms-grid", views.json_rows(atab), cols, lang, height=None) if len(atab)
                         else html.P(t("fisheries.no_alarms", lang), className="dash-empty")],
                        views.export(P, "alarms", region, lang)),
        ]),
    ])


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Fishing ports",
    id=P, title_zh="智慧渔港", title_en="Smart fishing ports", path=f"/d/{P}", layout=layout,
    datasets=("fisheries", "targets"), indicators=KPIS + ("vessels_in_port_by_port",), layers=("fisheries",),
    description_zh="渔船动态、渔港在港、数字化监管覆盖率与伏季休渔执行。",
    description_en="Vessel status, port occupancy, digital supervision coverage and moratorium compliance.",
    order=20, register_callbacks=register_callbacks, views=(CARDS, PORTS, ALARMS),
)
