"""智慧交通 Smart traffic: flows by checkpoint and hour, congestion ranking, overload cases, black spots."""

from __future__ import annotations

import numpy as np
import pandas as pd
from plotly.colors import get_colorscale
from dash import Dash, dcc, html

from citybrain.ui.figures import graph_config
from citybrain import kpi, views
from citybrain.ui import drill
from citybrain.i18n import fmt_number, register, t, unit_label
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.views import View, ViewContext
from layers.registry import cached_features
from citybrain.ui import grid
from citybrain.store.tables import properties
from citybrain.semantics.status import label as status_label
from citybrain.semantics import status as sem_status
from citybrain import ui

P = "traffic"
#: plotly.py's "Blues" (what go.Heatmap expanded the name to; plotly.js's own "Blues" differs).
BLUES = get_colorscale("Blues")
KPIS = ("traffic_flow", "congestion_index", "road_speed", "overload_cases_daily", "overload_rate",
        "traffic_accidents_daily")

register({
    "traffic.title": ("智慧交通", "Smart traffic"),
    "traffic.intro": ("卡口分时流量、路段拥堵排名、治超检出与事故黑点（模拟数据）。",
                      "Checkpoint flows by hour, congestion ranking, overload detections and accident black spots "
                      "(simulated)."),
    "traffic.flow": ("卡口分时流量（近24小时，辆/时）", "Flow by checkpoint and hour (last 24 h, veh/h)"),
    "traffic.congestion": ("路段拥堵排名（最新）", "Congestion ranking (latest)"),
    "traffic.overload": ("治超点近24小时超限超载检出", "Overload cases per station (last 24 h)"),
    "traffic.blackspots": ("事故黑点（近30天事故数）", "Accident black spots (accidents, last 30 days)"),
    "col.segment": ("路段", "Segment"), "col.speed": ("车速", "Speed"), "col.tpi": ("拥堵指数", "Congestion index"),
    "col.spot": ("黑点", "Black spot"), "col.accidents": ("近30天事故", "Accidents (30 d)"),
    "col.accidents_90d": ("近90天事故", "Accidents (90 d)"),
})


def flow_figure(fl: pd.DataFrame, lang: str) -> dict:
    """Heat map checkpoint x hour (a plain figure dict)."""
    names = fl["name_zh"] if lang == "zh" else fl["name_en"]
    z, hours, rows = mean_grid(names.tolist(), fl["hour"].to_numpy(), fl["value"].to_numpy(dtype=float))
    labels = [ui.wrap(r, 10 if lang == "zh" else 30) for r in rows]
    # each row as tall as its label's lines (a wrapped name never runs into the next row's)
    lines = max([lab.count("<br>") + 1 for lab in labels] or [1])
    return ui.figure([{"type": "heatmap", "z": z, "x": ui.values(pd.Series(hours)), "y": labels,
                        "colorscale": BLUES,
                        "colorbar": {"title": {"text": "辆/时" if lang == "zh" else "veh/h"}}}],
                      80 + max(26, 16 * lines + 4) * max(len(rows), 1),
                      xaxis={"title": {"text": "时" if lang == "zh" else "hour"}})


def mean_grid(names: list, hours: np.ndarray, vals: np.ndarray) -> tuple[list[list], np.ndarray, list]:
    """Mean value per (name, hour), names and hours sorted, empty cells None (a pivot table without
    pandas' overhead); rows/columns with no value at all are dropped, as ``pivot_table`` does."""
    rows, ri = np.unique(np.array(names, dtype=object), return_inverse=True)
    cols, ci = np.unique(hours, return_inverse=True)
    ok = ~np.isnan(vals)
    tot = np.zeros((len(rows), len(cols)))
    cnt = np.zeros((len(rows), len(cols)))
    np.add.at(tot, (ri[ok], ci[ok]), vals[ok])
    np.add.at(cnt, (ri[ok], ci[ok]), 1)
    keep_r, keep_c = cnt.any(axis=1), cnt.any(axis=0)
    tot, cnt = tot[keep_r][:, keep_c], cnt[keep_r][:, keep_c]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = tot / cnt
    z = [[None if c == 0 else m for m, c in zip(mr, cr)] for mr, cr in zip(mean.tolist(), cnt.tolist())]
    return z, cols[keep_c], rows[keep_r].tolist()


def congestion_rows(ctx: ViewContext) -> pd.DataFrame:
    """Road segments by congestion index (worst first), with the map's status of each segment."""
    store, lang = ctx.store, ctx.lang
    ent = qk.entity_latest(store, ctx.region, ("congestion_index", "road_speed"), ctx.at)
    speed = ent[ent["indicator_id"] == "road_speed"].drop_duplicates("entity_id").set_index("entity_id")["value"]
    cong = ent[ent["indicator_id"] == "congestion_index"].reset_index(drop=True)
    cong = cong.assign(speed=cong["entity_id"].map(speed)).sort_values("value", ascending=False)
    ind = kpi.definitions(store)["congestion_index"]
    f = cached_features(store, "traffic", ctx.region, ctx.at)
    st = dict(zip(f["id"].tolist(), f["status"].tolist()))
    status = [st.get(e, kpi.status(v, ind)) for e, v in zip(cong["entity_id"], cong["value"])]
    return pd.DataFrame({"entity_id": cong["entity_id"].astype(object), "status": status,
                         "segment": (cong["name_zh"] if lang == "zh" else cong["name_en"]).astype(object),
                         "tpi": cong["value"].round(2).astype("float64"),
                         "status_text": [status_label(x, lang) for x in status],
                         "speed": [fmt_number(v, "km/h", lang) for v in cong["speed"]]})


def overload_rows(ctx: ViewContext) -> pd.DataFrame:
    """Overload cases per station over the last 24 hours."""
    ov = qk.entity_window_sum(ctx.store, ctx.region, "overload_cases", ctx.at, 24)
    return pd.DataFrame({"entity_id": ov["entity_id"].astype(object),
                         "station": (ov["name_zh"] if ctx.lang == "zh" else ov["name_en"]).astype(object),
                         "cases_24h": ov["value"].astype("float64")})


def blackspot_rows(ctx: ViewContext) -> pd.DataFrame:
    """Accident black spots: accidents in the last 30 days and the 90-day count that made them black spots."""
    bs = qk.black_spots(ctx.store, ctx.region, ctx.at)
    return pd.DataFrame({"entity_id": bs["entity_id"].astype(object),
                         "spot": (bs["name_zh"] if ctx.lang == "zh" else bs["name_en"]).astype(object),
                         "accidents": bs["accidents"].astype("int64"),
                         "accidents_90d": [properties(p).get("accidents_90d") for p in bs["properties"]]})


def flow_rows(ctx: ViewContext) -> pd.DataFrame:
    """Hourly mean flow per checkpoint over the last 24 hours (the heat map's cells)."""
    fl = qk.flow_by_hour(ctx.store, ctx.region, ctx.at)
    return pd.DataFrame({"entity_id": fl["entity_id"].astype(object),
                         "checkpoint": (fl["name_zh"] if ctx.lang == "zh" else fl["name_en"]).astype(object),
                         "hour": fl["hour"], "flow": fl["value"].round(1).astype("float64")})


CARDS = views.cards_view(KPIS)
FLOW = View("flow", "卡口小时流量", "Hourly flow per checkpoint", flow_rows)
CONGESTION = View("congestion", "路段拥堵指数", "Congestion index by road segment", congestion_rows)
OVERLOAD = View("overload", "近24小时超限超载", "Overload cases, last 24 h", overload_rows)
BLACKSPOTS = View("blackspots", "事故黑点", "Accident black spots", blackspot_rows)
CONGESTION_COLUMNS = ("segment", "tpi", "status_text", "speed")
BLACKSPOT_COLUMNS = ("spot", "accidents", "accidents_90d")


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The traffic page of ``region``: every table and chart drawn from its view's rows."""
    store, region, lang, at = kpi.resolve(region, lang)
    na = ui.not_applicable_page(P, "traffic", region, lang)
    if na is not None:
        return na
    rows = views.reader(P, store, region, lang, at)
    ctab, btab, ov = rows(CONGESTION), rows(BLACKSPOTS), rows(OVERLOAD)
    ccols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in CONGESTION_COLUMNS]
    bcols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in BLACKSPOT_COLUMNS]
    ovfig = ui.figure([{"type": "bar", "x": ui.values(ov["cases_24h"]), "y": ui.values(ov["station"]),
                         "orientation": "h", "marker": {"color": sem_status.COLOURS["warning"]},
                         "text": [fmt_number(v, "起", lang) for v in ov["cases_24h"]]}],
                       80 + 34 * max(len(ov), 1), xaxis={"title": {"text": unit_label("起", lang)}})
    cfg = graph_config(lang, displayModeBar=False)
    return ui.page(P, t("traffic.title", lang), t("traffic.intro", lang), region, lang, [
        ui.cards(P, store, region, KPIS, at, lang),
        html.Div(className="dash-grid", children=[
            ui.section(P, "flow", t("traffic.flow", lang),
                        [dcc.Graph(figure=flow_figure(qk.flow_by_hour(store, region, at), lang), config=cfg)],
                        views.export(P, "flow", region, lang)),
            ui.section(P, "congestion", t("traffic.congestion", lang),
                        [grid(f"{P}-congestion-grid", views.json_rows(ctab), ccols, lang, height="360px")],
                        views.export(P, "congestion", region, lang)),
            ui.section(P, "overload", t("traffic.overload", lang),
                        [dcc.Graph(figure=ovfig, config=cfg)], views.export(P, "overload", region, lang)),
            ui.section(P, "blackspots", t("traffic.blackspots", lang),
                        [grid(f"{P}-blackspots-grid", views.json_rows(btab), bcols, lang, height=None)],
                        views.export(P, "blackspots", region, lang)),
        ]),
    ])


def kpi_day(at, days: int):
    """``at`` shifted by whole days (export windows)."""
    from datetime import timedelta

    return at + timedelta(days=days)


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Traffic",
    id=P, title_zh="智慧交通", title_en="Smart traffic", path=f"/d/{P}", layout=layout,
    datasets=("traffic",), indicators=KPIS + ("overload_cases",), layers=("traffic",),
    description_zh="卡口流量、拥堵排名、治超与事故黑点。",
    description_en="Checkpoint flows, congestion ranking, overload enforcement and black spots.",
    order=30, register_callbacks=register_callbacks, views=(CARDS, FLOW, CONGESTION, OVERLOAD, BLACKSPOTS),
)
