"""What each wall panel shows: parts (KPI cards, lists, figures) with a signature per part.

A panel renders to a list of ``Part``s. The refresh callback compares each part's signature with
the one the browser already shows and sends only what changed (``dash.Patch``): a changed card is
replaced, a changed figure is swapped in place (``children[i].props.figure``) so its plotly graph
is reused, never appended. Everything reads through the query layer (``citybrain.queries``) and the
one KPI definition (``citybrain.kpi``); the wall shows no export buttons and no drill-downs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from citybrain.ui.figures import date_axis, graph_config
from citybrain import kpi, views, queries
from citybrain.i18n import fmt_number, register, t
from citybrain.queries import kpi as qk
from citybrain.store import Store
from citybrain.semantics.status import label as status_label
from citybrain.semantics import status as sem_status
from citybrain import ui
from citybrain.ui.cards import change_text

register({
    "wall.empty": ("暂无", "None"),
    "wall.congestion": ("拥堵路段排名", "Most congested segments"),
    "wall.stations": ("水位站（距警戒水位）", "Water levels (margin to warning level)"),
    "wall.rain": ("累计雨量（近24小时）", "Rainfall (last 24 h)"),
    "wall.incidents": ("未结事件（超时优先）", "Open incidents (overdue first)"),
    "wall.funnel": ("事件处置闭环（近30天）", "Incident life cycle (30 days)"),
    "wall.vessels": ("渔船动态", "Fleet status"),
    "wall.ports": ("在港渔船（按港口）", "Vessels in port by port"),
    "wall.trend": ("近7天趋势", "Last 7 days"),
})
WALL_FONT = {"color": "#e6f1ff", "size": 20, "family": "Noto Sans CJK SC, sans-serif"}
VESSEL_STATES = ("at_sea", "fishing", "in_port", "alarm_left_zone", "alarm_lost")
VESSEL_LABEL = {"at_sea": ("航行", "under way"), "fishing": ("作业", "fishing"), "in_port": ("在港", "in port"),
                "alarm_left_zone": ("越界告警", "left zone"), "alarm_lost": ("失联告警", "signal lost")}


@dataclass
class Part:
    """One piece of a panel: a signature of its data, and its component (``figure`` for graphs)."""

    sig: str
    comp: Any
    figure: dict[str, Any] | None = None


def sig_of(*values: Any) -> str:
    """A short stable signature of JSON-able values."""
    raw = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha1(raw).hexdigest()[:16]


def _name(row: Any, lang: str) -> str:
    return row.name_zh if lang == "zh" else row.name_en


def wall_figure(fig: go.Figure | dict[str, Any], height: int) -> dict[str, Any]:
    """A reused dashboard figure (a ``go.Figure`` or a plain figure dict) restyled for the wall:
    large type, the wall's height, as a plain dict."""
    if isinstance(fig, go.Figure):
        fig = ui.dark(fig, height).to_plotly_json()
    lay = dict(fig.get("layout") or {})
    lay.pop("height", None)
    lay.update(autosize=True, font=WALL_FONT, margin={"l": 12, "r": 12, "t": 12, "b": 12},
               paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
               legend={**(lay.get("legend") or {}), "font": {"size": 20}})
    for ax in ("xaxis", "yaxis"):
        lay[ax] = {**(lay.get(ax) or {}), "tickfont": {"size": 20}, "gridcolor": "#1f4a6e", "automargin": True}
    return {"data": fig.get("data") or [], "layout": lay}


def graph(key: str, fig: dict[str, Any], height: int | None = None, lang: str = "zh") -> Part:
    """A graph part filling its panel (no mode bar, no zoom: nobody clicks a wall)."""
    comp = dcc.Graph(id={"type": "wall-graph", "panel": key}, figure=fig, className="wall-graph", responsive=True,
                     config=graph_config(lang, displayModeBar=False, scrollZoom=False, doubleClick=False),
                     style={"height": "100%", "width": "100%"})
    return Part(sig_of(fig), comp, fig)


# ------------------------------------------------------------------ KPI boards
def text_units(text: str) -> int:
    """The width of ``text`` in digit widths (a CJK character is about two), so the hero value's
    type can shrink to fit its card (``assets/wall.css``: ``--cb-len``) instead of ending in "…"."""
    return max(4, sum(2 if ord(c) >= 0x2E80 else 1 for c in text))


def kpi_card(kv: kpi.KpiValue, lang: str, big: bool = False) -> Part:
    """A wall KPI card: name, status (icon + text), value, as-of time, change vs yesterday."""
    st = kv.status
    ind = kv.ind
    delta = change_text(kv.value, kv.value_1d, ind.unit, kv.change_label(1), lang)
    target = None
    if kv.target and kv.target.get("value") is not None and kv.target.get("progress") is not None:
        p = kv.target["progress"]
        target = html.Div(className="wall-kpi-target", children=[
            f"{t('kpi.target', lang)} {fmt_number(kv.target['value'], kv.target['unit'], lang)} · "
            f"{t('kpi.progress', lang)} {fmt_number(round(min(p, 9.99) * 100, 1), '%', lang)}",
            html.Div(className="wall-bar", children=html.Div(className="wall-bar-fill",
                                                             style={"width": f"{min(p, 1) * 100:.0f}%"}))])
    value = fmt_number(kv.value, ind.unit, lang)
    comp = html.Div(className=f"wall-kpi wall-kpi-{st}" + (" wall-kpi-big" if big else ""), children=[
        html.Div(className="wall-kpi-head", children=[html.Span(ind.name(lang), className="wall-kpi-name"),
                                                      # "no threshold" is not news on a wall: its ○
                                                      # alone leaves the name room ("Fishing vessels at sea")
                                                      ui.status_badge(st, lang, word=st != "none")]),
        html.Div(value, className="wall-kpi-value", style={"--cb-len": text_units(value)} if big else None),
        html.Div(className="wall-kpi-meta", children=[html.Span(kv.asof_text(lang)),
                                                      html.Span(delta) if delta else None]),
        target])
    return Part(sig_of(ind.id, kv.value, str(kv.ts), kv.value_1d, st, kv.target, lang, big, kv.running, str(kv.at)), comp)


def kpi_board(store: Store, region: str, lang: str, at: datetime, ids: tuple[str, ...]) -> list[Part]:
    """One card per indicator (the same values the cockpit cards and the CSV export show)."""
    return [kpi_card(kv, lang) for kv in kpi.kpi_values(store, region, ids, at)]


def kpi_hero(store: Store, region: str, lang: str, at: datetime, ind: str, key: str) -> list[Part]:
    """A single indicator, huge, with its last 7 days."""
    kv = kpi.kpi_values(store, region, (ind,), at)[0]
    s = queries.series(store, ind, region, at - timedelta(days=7), at)
    fig = go.Figure(go.Scatter(x=s["ts"], y=s["value"], mode="lines", line={"color": sem_status.COLOURS[kv.status],
                                                                             "width": 4}))
    fig.update_layout(xaxis=date_axis(lang))  # '07-15' / 'Jul 15', not plotly's '七 15' 
    for thr, name in ((kv.ind.warn, "warning"), (kv.ind.alarm, "alarm")):
        if thr is not None:
            fig.add_hline(y=thr, line={"color": sem_status.COLOURS[name], "dash": "dash", "width": 3},
                          annotation_text=f"{status_label(name, lang)} {thr:g}",
                          annotation_font={"size": 20, "color": sem_status.COLOURS[name]})
    return [kpi_card(kv, lang, big=True), graph(key, wall_figure(fig, 560), 560, lang)]


# ------------------------------------------------------------------ lists and figures
def row_list(rows: list[tuple[str, str, str]], lang: str, limit: int = 8) -> Part:
    """A big-type list: (status, label, value) rows, status shown as icon + colour."""
    items = [html.Li(className=f"wall-row wall-row-{st}", children=[
        html.Span(sem_status.ICONS.get(st, "●"), className=f"wall-row-icon kpi-{st}", **{"aria-hidden": "true"}),
        html.Span(label, className="wall-row-label"), html.Span(value, className="wall-row-value")])
        for st, label, value in rows[:limit]]
    if not items:
        items = [html.Li(t("wall.empty", lang), className="wall-row wall-row-empty")]
    return Part(sig_of(rows[:limit], lang), html.Ul(items, className="wall-rows"))


def congestion_rows(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    ent = qk.entity_latest(store, region, ("congestion_index",), at).sort_values("value", ascending=False)
    ind = kpi.definitions(store)["congestion_index"]
    return [row_list([(kpi.status(r.value, ind), _name(r, lang), f"{r.value:.1f}") for r in ent.itertuples()], lang)]


def flow_heatmap(store: Store, region: str, lang: str, at: datetime, key: str) -> list[Part]:
    from dashboards.traffic import flow_figure

    fig = flow_figure(qk.flow_by_hour(store, region, at), lang)
    return [graph(key, wall_figure(fig, 560), 560, lang)]


def station_rows(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    """Stations by level margin: the water page's "stations" view (the map's status of each)."""
    from dashboards import water

    tab = views.rows("water", water.STATIONS, store, region, lang, at)
    rows = []
    for r in tab.itertuples():
        margin = "—" if pd.isna(r.margin) else f"{'+' if r.margin > 0 else ''}{r.margin:.2f} m"
        rows.append((r.status if r.status in ("alarm", "warning") else "normal", str(r.station),
                     f"{r.level:.2f} m ({margin})"))
    return [row_list(rows, lang, 9)]


def rain_rows(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    ra = qk.rain_accum(store, region, at)
    ind = kpi.definitions(store)["max_rainfall_24h"]
    return [row_list([(kpi.status(r.h24, ind), _name(r, lang), fmt_number(round(r.h24 or 0, 1), "mm", lang))
                      for r in ra.itertuples()], lang, 9)]


def incident_rows(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    """Open incidents, overdue first: the emergency page's "open" view."""
    from dashboards import emergency

    op = views.rows("emergency", emergency.OPEN, store, region, lang, at)
    raw = qk.open_incidents(store, region, at).set_index("event_id")["reported_at"]
    rows = [(r.status if r.status in ("alarm", "warning") else "normal", r.incident,
             (t("emergency.overdue", lang) + " · " if r.status == "alarm" else "") + pd.Timestamp(raw[r.entity_id]).strftime("%H:%M"))
            for r in op.itertuples()]
    return [row_list(rows, lang, 9)]


def funnel(store: Store, region: str, lang: str, at: datetime, key: str) -> list[Part]:
    from dashboards import emergency

    rows = views.rows("emergency", emergency.FUNNEL, store, region, lang, at)
    return [graph(key, wall_figure(emergency.funnel_figure(rows), 480), 480, lang)]


def vessel_counts(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    vs = qk.vessel_status(store, region, at)
    n = vs["status"].value_counts()
    rows = [("alarm" if s.startswith("alarm") and n.get(s, 0) else "normal",
             VESSEL_LABEL[s][0 if lang == "zh" else 1], fmt_number(int(n.get(s, 0)), "艘" if lang == "zh" else "", lang))
            for s in VESSEL_STATES]
    return [row_list(rows, lang)]


def ports(store: Store, region: str, lang: str, at: datetime, key: str) -> list[Part]:
    from dashboards import fisheries

    rows = views.rows("fisheries", fisheries.PORTS, store, region, lang, at)
    return [graph(key, wall_figure(fisheries.ports_figure(rows, lang), 480), 480, lang)]


def one_map(store: Store, region: str, lang: str, at: datetime, key: str, layers: tuple[str, ...],
            height: int) -> list[Part]:
    """The one-map (compact: fleets as density) filling the panel; memoised by the versions of what it
    reads (``kpi.memo``) unless a layer is live (read from what people write, ``Layer.live``)."""
    from layers.registry import get as get_layer

    if any(get_layer(lid).live for lid in layers):
        out = _one_map_figure(store, region, lang, at, layers)
    else:
        out = kpi.memo(store, "wall.map", (region, lang, at, tuple(layers)),
                       lambda: _one_map_figure(store, region, lang, at, layers))
    return [graph(key, out, lang=lang)]


def _one_map_figure(store: Store, region: str, lang: str, at: datetime, layers: tuple[str, ...]) -> dict[str, Any]:
    from layers.figure import map_figure

    fig = map_figure(region, list(layers), at, lang, compact=True, store=store)
    fig.update_layout(height=None, autosize=True, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=True,
                      legend={"font": {"size": 20, "color": "#e6f1ff"}, "bgcolor": "rgba(7,19,31,.75)",
                              "x": 0.01, "y": 0.99, "orientation": "v"})
    if fig.layout.map.zoom is not None:  # the wall's map panel is wider than the page's: one step closer
        fig.update_layout(map_zoom=fig.layout.map.zoom + 0.4)
    out = fig.to_plotly_json()
    if isinstance(out["layout"].get("meta"), dict) and out["layout"]["meta"].get("cb_view0"):
        out["layout"]["meta"]["cb_view0"][2] = out["layout"]["map"]["zoom"]  # the guess the browser then fits
    out["layout"].pop("height", None)
    return out
