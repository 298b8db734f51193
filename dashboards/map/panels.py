"""The /map page's side panels: legends, counts, the alert list, the detail panel, time windows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from citybrain.ui.figures import graph_config
from citybrain import queries
from citybrain.i18n import fmt_number, reason_text, register, t, unit_label
from citybrain.queries import geo
from citybrain.store import Columns, Store
from citybrain.ui import duty, export_button
from citybrain.semantics.status import word as status_word
from citybrain.semantics.scope import NOT_LOADED
from layers.base import STATUS_COLOURS, STATUS_ICONS, status_label
from layers.registry import get

P = "map"
#: A daily series' sparkline covers this many days (one point in 24 hours is no trend).
DAILY_SPAN_DAYS = 14
register({
    "map.title": ("全市态势一张图", "One map"),
    "map.layers": ("图层", "Layers"), "map.legend": ("图例", "Legend"), "map.alerts": ("预警告警", "Alerts"),
    "map.detail": ("详情", "Details"), "map.detail.hint": ("点击地图上的任意要素查看最新值与趋势。",
                                                        "Click anything on the map for its latest values and trend."),
    "map.counts": ("要素统计", "Counts"), "map.window": ("回放时段", "Replay window"),
    "map.window.24h": ("最近 24 小时", "Last 24 hours"), "map.window.7d": ("最近 7 天", "Last 7 days"),
    "map.window.typhoon": ("台风过程", "Typhoon passage"),
    "map.play": ("▶ 播放", "▶ Play"), "map.pause": ("❚❚ 暂停", "❚❚ Pause"), "map.speed": ("速度", "Speed"),
    "map.no_alerts": ("当前无预警或告警。", "Nothing in warning or alarm."),
    "map.na": ("本地区不适用：", "Not applicable to this region: "),
    "map.total": ("要素", "items"), "map.export": ("导出本图层 GeoJSON", "Export this layer (GeoJSON)"),
    "map.simulated": ("模拟数据", "simulated data"), "map.trend": ("近 24 小时趋势", "Last 24 hours"),
    "map.no_data": ("该时段无数据", "No data for this time"),
    "map.trend.days": ("近 {n} 天趋势", "Last {n} days"),
})


def window_options(store: Store, region: str, lang: str) -> list[dict[str, str]]:
    """Replay windows: the last 24 h, the last 7 days, and each typhoon passage that touched the region."""
    opts = [{"label": t("map.window.24h", lang), "value": "24h"}, {"label": t("map.window.7d", lang), "value": "7d"}]
    tp = geo.typhoons(store, region)
    for zh, en, tid in zip(tp["name_zh"], tp["name_en"], tp["track_id"]):
        name = zh if lang == "zh" else en
        opts.append({"label": f"{t('map.window.typhoon', lang)} · {name} · {tid}", "value": f"ty:{tid}"})
    return opts


def window_of(store: Store, region: str, value: str | None) -> dict[str, Any]:
    """Start, step (minutes), number of steps and typhoon track of a replay window."""
    end = queries.anchor(store)
    if value and value.startswith("ty:"):
        tid = value[3:]
        tr = geo.typhoon_track(store, tid)
        if len(tr["ts"]):
            a, b = pd.Timestamp(tr["ts"][0]).to_pydatetime(), pd.Timestamp(tr["ts"][-1]).to_pydatetime()
            n = int((b - a).total_seconds() // 3600)
            return {"start": a.isoformat(), "step": 60, "n": n, "track": tid}
    if value == "7d":
        return {"start": (end - timedelta(days=7)).isoformat(), "step": 60, "n": 7 * 24, "track": None}
    return {"start": (end - timedelta(hours=24)).isoformat(), "step": 5, "n": 288, "track": None}


def time_at(win: dict[str, Any], step: int | None) -> datetime:
    n = int(win["n"])
    s = n if step is None else max(0, min(int(step), n))
    return datetime.fromisoformat(win["start"]) + timedelta(minutes=int(win["step"]) * s)


def slider_marks(win: dict[str, Any]) -> dict[int, str]:
    n, every = int(win["n"]), max(1, int(win["n"]) // 8)
    start = datetime.fromisoformat(win["start"])
    fmt = "%H:%M" if int(win["step"]) < 60 else "%m-%d %H时"
    return {i: (start + timedelta(minutes=int(win["step"]) * i)).strftime(fmt) for i in range(0, n + 1, every)}


def _swatch(colour: str, shape: str) -> html.Span:
    return html.Span(className=f"map-swatch map-swatch-{shape}", style={"--sw": colour})


def legend(layer_ids: list[str], na: dict[str, str], extra: dict[str, str], lang: str,
           no_data: set[str] | frozenset[str] = frozenset()) -> list[Any]:
    """One legend block per visible layer; a layer that does not apply says why, and one with no
    observation at the time drawn (e.g. a typhoon replay before its feed began) says so instead of
    listing colours nothing on the map has."""
    out = []
    for lid in layer_ids:
        layer = get(lid)
        rows: list[Any]
        if lid in na:
            head = [] if na[lid] == NOT_LOADED else [t("map.na", lang)]  # not loaded: no region in it
            rows = [html.Li([html.Span("○ ", className="cb-icon"), *head, reason_text(na[lid], lang)],
                            className="map-na")]
        elif lid in no_data:
            rows = [html.Li([html.Span("○ ", className="cb-icon"), t("map.no_data", lang)], className="map-na map-no-data")]
        else:
            rows = [html.Li([_swatch(i.colour, i.shape), i.label(lang)]) for i in layer.legend(lang)]
        if extra.get(lid):
            rows.append(html.Li(extra[lid], className="map-legend-note"))
        out.append(html.Div(className="map-legend-block", id=f"{P}-legend-{lid}",
                            children=[html.H4(layer.title(lang)), html.Ul(rows)]))
    return out


def counts(stats: dict[str, dict[str, int]], region: str, at: datetime, track: str | None, lang: str) -> list[Any]:
    """Counts per layer (items, warnings, alarms) with the layer's GeoJSON export button."""
    rows = []
    for lid, c in stats.items():
        layer = get(lid)
        params = {"region": region, "at": at} | ({"track": track} if track and layer.takes_track else {})
        rows.append(html.Div(className="map-count", id=f"{P}-count-{lid}", children=[
            html.Span(layer.title(lang), className="map-count-title"),
            html.Span(f"{fmt_number(c['total'], '', lang)} {t('map.total', lang)}", className="map-count-n"),
            html.Span(f"{STATUS_ICONS['warning']} {c['warning']}", className="map-count-w", title=status_word("warning", lang)),
            html.Span(f"{STATUS_ICONS['alarm']} {c['alarm']}", className="map-count-a", title=status_word("alarm", lang)),
            export_button(f"{P}-export-{lid}", f"layers/{lid}", params, lang, fmt="geojson"),
        ]))
    return rows


def alerts(raised: pd.DataFrame, lang: str, limit: int = 60, lc: dict[str, dict[str, Any]] | None = None,
           acts: bool = False) -> list[Any]:
    """The region's alarm set (``citybrain.semantics.alarms``), alarm first; an item of a map layer
    zooms the map to itself when clicked, an indicator of the whole region is listed as text. With
    ``lc`` (the life cycle, when the map shows the present) each item says whether it is acknowledged
    and, for a duty role (``acts``), offers acknowledge and open-order buttons (``citybrain.ui.duty``)."""
    if raised.empty:
        return [html.P(t("map.no_alerts", lang), className="map-empty")]
    out = []
    for r in raised.head(limit).itertuples():
        title = r.title_zh if lang == "zh" else r.title_en
        body = [html.Span(status_label(r.severity, lang), className="map-alert-status"),
                html.Span(title, className="map-alert-name")]
        layer_id, _, fid = r.id.partition(":")
        if layer_id == "kpi":
            item = html.Div(body, className=f"map-alert map-alert-kpi cb-{r.severity}", id=f"{P}-alert-{r.id}")
        else:
            item = html.Button(id={"type": f"{P}-alert", "index": f"{layer_id}|{fid}"}, n_clicks=0,
                               className=f"map-alert cb-{r.severity}", children=body)
        if lc is None:
            out.append(item)
        else:
            out.append(html.Div([item, duty.ack_line(P, r.id, lc.get(r.id), lang, acts, order=True)],
                                className="map-alert-item", **{"data-alarm": r.id}))
    if len(raised) > limit:
        out.append(html.P(f"… +{len(raised) - limit}", className="map-empty"))
    return out


def sparkline(frame_: Columns, colour: str, start: datetime | None = None, end: datetime | None = None,
              daily: bool = False) -> go.Figure:
    """A small trend chart over ``[start, end]``: ticks as whole hours (or days for a daily series), never
    plotly's automatic sub-second ticks that a series of one or two points gets ("23:59:59.999")."""
    few = len(frame_["ts"]) < 6
    fig = go.Figure(go.Scatter(x=frame_["ts"], y=frame_["value"], mode="lines+markers" if few else "lines",
                               line={"color": colour, "width": 2}, marker={"size": 6, "color": colour},
                               hovertemplate=("%{x|%m-%d}" if daily else "%{x|%m-%d %H:%M}") + " %{y}<extra></extra>"))
    xaxis: dict[str, Any] = {"showgrid": False, "nticks": 4, "tickformat": "%m-%d" if daily else "%H:%M",
                             "hoverformat": "%m-%d %H:%M"}
    if start is not None and end is not None:
        xaxis["range"] = [start, end]
        xaxis["dtick"] = 86_400_000 * max(1, round((end - start).days / 4)) if daily else 3_600_000 * 6
        xaxis.pop("nticks")
    fig.update_layout(margin={"l": 36, "r": 8, "t": 6, "b": 24}, height=120, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"color": "#8fb3d1", "size": 11}, showlegend=False,
                      xaxis=xaxis, yaxis={"gridcolor": "#1f4a6e"})
    return fig


def detail(store: Store, feats: pd.DataFrame, layer_id: str, fid: str, at: datetime, lang: str) -> list[Any]:
    """The detail panel of one feature: name, status, latest values, and a 24-hour sparkline."""
    row = feats[feats["id"] == fid]
    if row.empty:
        return [html.P(t("map.detail.hint", lang), className="map-empty")]
    r = row.iloc[0]
    name = r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"])
    body: list[Any] = [
        html.H4(name, id=f"{P}-detail-name"),
        html.P([html.Span(status_label(r["status"], lang), className=f"cb-badge cb-{r['status']}"), " ",
                get(layer_id).title(lang), *([" · ", str(fid)] if lang == "zh" or str(fid).isascii() else [])]),
        html.P(r["detail_zh"] if lang == "zh" else r["detail_en"], className="map-detail-values"),
    ]
    if isinstance(r["indicator"], str) and r["indicator"]:
        ent = str(fid).split("#")[0]
        ind = queries.indicators(store)
        row = ind[ind["indicator_id"] == r["indicator"]]
        unit = unit_label(str(row["unit"].iloc[0]) if len(row) else "", lang)
        daily = bool(len(row)) and pd.notna(row["cadence_s"].iloc[0]) and float(row["cadence_s"].iloc[0]) >= 86_400
        span = timedelta(days=DAILY_SPAN_DAYS) if daily else timedelta(hours=24)
        s = geo.entity_series(store, ent, r["indicator"], at - span, at)
        if len(s["ts"]):
            title = t("map.trend.days", lang).format(n=DAILY_SPAN_DAYS) if daily else t("map.trend", lang)
            body += [html.Div(f"{title}（{unit}）" if lang == "zh" else (f"{title} ({unit})" if unit else title),
                              className="map-muted"),
                     dcc.Graph(id=f"{P}-spark", figure=sparkline(s, STATUS_COLOURS.get(r["status"], "#35c2ff"),
                                                                 at - span, at, daily),
                               config=graph_config(lang, displayModeBar=False), style={"height": "120px"})]
    return body
