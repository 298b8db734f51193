"""The drill-down of every dashboard's KPI cards: a click on a card (or on a KPI line of the cockpit's
"what is red" list, ``{"type": "<prefix>-red"}``) opens the indicator's trend over
a chosen range and its latest value in every region, with the export of exactly what is shown.
One panel (``drill_panel``, placed by ``kpi.page``) and one callback per module (``register_drill``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from citybrain import kpi, queries
from citybrain.ui.figures import figure, graph_config, range_axis, range_note, values, wrap
from citybrain.i18n import fmt_number, t, unit_label
from citybrain.queries import kpi as qk
from citybrain.regions import region_name
from citybrain.store import get_store
from citybrain.ui.grids import export_button
from citybrain.semantics.status import label as status_label
from citybrain.semantics import status as sem_status

#: The drill-down's time ranges (days).
RANGES = {"1d": 1, "7d": 7, "30d": 30, "90d": 90}



def export_params(ind: str, region: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The observations-export filters of what a card or drill-down shows."""
    return {"indicator": ind, "region": region, "from": start, "to": end}

def drill_panel(prefix: str, region: str, lang: str) -> html.Div:
    """The (hidden) drill-down panel of a module: range picker, trend, region comparison, export."""
    return html.Div(id=f"{prefix}-drill", className="kpi-drill kpi-drill-closed", children=[
        dcc.Store(id=f"{prefix}-drill-ctx", data={"region": region, "lang": lang, "ind": None}),
        html.Div(className="kpi-drill-head", children=[
            html.H3(id=f"{prefix}-drill-title"),
            html.Button(t("kpi.drill.close", lang), id=f"{prefix}-drill-close", n_clicks=0, className="kpi-close")]),
        html.Div(className="kpi-drill-controls", children=[
            html.Span(t("kpi.drill.range", lang)),
            dcc.RadioItems(id=f"{prefix}-drill-range", value="7d", inline=True, className="kpi-range",
                           options=[{"label": t(f"kpi.range.{k}", lang), "value": k} for k in RANGES]),
            html.Span(id=f"{prefix}-drill-export")]),
        html.Div(className="kpi-drill-body", children=[
            dcc.Graph(id=f"{prefix}-drill-series", config=graph_config(lang, displayModeBar=False), className="kpi-drill-graph"),
            dcc.Graph(id=f"{prefix}-drill-regions", config=graph_config(lang, displayModeBar=False), className="kpi-drill-graph")]),
    ])


def drill_figures(prefix: str, ind_id: str, region: str, rng: str,
                  lang: str) -> tuple[str, dict[str, Any], dict[str, Any], Any]:
    """Title, trend figure, region comparison and export link of one drill-down view (figures as
    plain dicts, ``figures.figure``: a drill-down is a click, plotly.py's validation would double it)."""
    store = get_store()
    ind = kpi.definitions(store)[ind_id]
    at = queries.anchor(store)
    start = at - timedelta(days=RANGES.get(rng, 7))
    s = queries.series(store, ind_id, region, start, at)
    shapes, notes = [], []
    for thr, st in ((ind.warn, "warning"), (ind.alarm, "alarm")):
        if thr is not None:  # a dashed threshold line across the plot, labelled at its right end
            shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": thr, "y1": thr,
                           "line": {"color": sem_status.COLOURS[st], "dash": "dash"}})
            notes.append({"text": f"{status_label(st, lang)} {fmt_number(thr, ind.unit, lang)}",
                          "xref": "x domain", "x": 1, "xanchor": "right", "yref": "y", "y": thr,
                          "yanchor": "bottom", "showarrow": False})
    first = None if s.empty else s["ts"].iloc[0].to_pydatetime()
    note = range_note(first, start, lang)
    if note is not None:
        notes.append(note)
    if s.empty:
        notes.append({"text": t("kpi.empty", lang), "showarrow": False, "xref": "paper", "yref": "paper",
                      "x": 0.5, "y": 0.5})
    trend = figure([{"type": "scatter", "x": values(s["ts"]), "y": values(s["value"]), "mode": "lines",
                     "line": {"color": "#35c2ff"}, "name": ind.name(lang)}], 280,
                   title={"text": f"{t('kpi.drill.series', lang)} · {region_name(region, lang)}", "font": {"size": 14}},
                   xaxis=range_axis(start, at, lang), yaxis={"title": {"text": unit_label(ind.unit, lang)}}, shapes=shapes,
                   annotations=notes)
    rc = qk.region_compare(store, ind_id, at)
    names = values(rc["name_zh"] if lang == "zh" else rc["name_en"])
    vals = values(rc["value"])
    sts = [kpi.status(v, ind) for v in vals]
    bars = figure([{"type": "bar", "x": [wrap(n, 6 if lang == "zh" else 12) for n in names], "y": vals, "marker": {"color": [sem_status.COLOURS[x] for x in sts]},
                    "text": [f"{sem_status.ICONS[x]} {fmt_number(v, ind.unit, lang)}" for x, v in zip(sts, vals)],
                    "textposition": "auto"}], 280,
                  title={"text": t("kpi.drill.regions", lang), "font": {"size": 14}},
                  yaxis={"title": {"text": unit_label(ind.unit, lang)}})
    link = export_button(f"{prefix}-drill-link", "observations",
                         export_params(ind_id, region, start, at + timedelta(seconds=1)), lang)
    unit = unit_label(ind.unit, lang)
    title = f"{ind.name(lang)}（{unit}）" if lang == "zh" else (f"{ind.name(lang)} ({unit})" if unit else ind.name(lang))
    return title, trend, bars, link


def register_drill(app: Dash, prefix: str) -> None:
    """Register the drill-down callback of ``prefix``'s cards against ``app``."""

    @app.callback(Output(f"{prefix}-drill", "className"), Output(f"{prefix}-drill-title", "children"),
                  Output(f"{prefix}-drill-series", "figure"), Output(f"{prefix}-drill-regions", "figure"),
                  Output(f"{prefix}-drill-export", "children"), Output(f"{prefix}-drill-ctx", "data"),
                  Input({"type": f"{prefix}-kpi", "ind": ALL}, "n_clicks"),
                  Input({"type": f"{prefix}-red", "ind": ALL}, "n_clicks"), Input(f"{prefix}-drill-range", "value"),
                  Input(f"{prefix}-drill-close", "n_clicks"), State(f"{prefix}-drill-ctx", "data"),
                  prevent_initial_call=True)
    def _drill(clicks, red, rng, _close, data):
        trig = ctx.triggered_id
        data = dict(data or {})
        if trig == f"{prefix}-drill-close":
            data["ind"] = None
            return "kpi-drill kpi-drill-closed", no_update, no_update, no_update, no_update, data
        if isinstance(trig, dict):
            if not any(c for c in [*clicks, *red] if c):
                return (no_update,) * 6
            data["ind"] = trig["ind"]
        if not data.get("ind"):
            return (no_update,) * 6
        title, trend, bars, link = drill_figures(prefix, data["ind"], data["region"], rng, data["lang"])
        return "kpi-drill kpi-drill-open", title, trend, bars, link, data
