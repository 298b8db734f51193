"""KPI cards: a value with its status (colour, icon and word), as-of time or running period, changes,
stale badge, sparkline, target progress and the export of the card's row (``citybrain.views``).

Values come from ``citybrain.kpi.kpi_values``; statuses from ``citybrain.semantics``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from dash import dcc, html

from citybrain import views
from citybrain.i18n import fmt_number, t
from citybrain.kpi import Indicator, KpiValue, kpi_values
from citybrain.semantics import freshness
from citybrain.semantics import status as sem_status
from citybrain.store import Store
from citybrain.ui.figures import graph_config


def status_badge(st: str, lang: str, word: bool = True) -> html.Span:
    """Status as icon + text + colour class (never colour alone); ``word=False`` keeps the icon (its
    own shape) and gives the word to assistive technology and as a tooltip only."""
    icon = html.Span(sem_status.ICONS[st], className="kpi-icon", **{"aria-hidden": "true"})
    if not word:
        return html.Span(icon, className=f"kpi-status kpi-{st}", title=sem_status.word(st, lang),
                         **{"aria-label": sem_status.word(st, lang)})
    return html.Span([icon, " ", sem_status.word(st, lang)], className=f"kpi-status kpi-{st}")


def change_text(now: float | None, before: float | None, unit: str, label: str, lang: str) -> str | None:
    """'较昨日 ↑+6起': the one wording of a change (cards and wall tiles); None without both values."""
    if now is None or before is None:
        return None
    d = now - before
    arrow = "↑" if d > 0 else ("↓" if d < 0 else "→")
    return f"{t(label, lang)} {arrow}{'+' if d > 0 else ''}{fmt_number(round(d, 2), unit, lang)}"


def _delta(now: float | None, before: float | None, ind: Indicator, label: str, lang: str) -> html.Span | None:
    text = change_text(now, before, ind.unit, label, lang)
    if text is None:
        return None
    d = now - before  # type: ignore[operator]
    good = "flat" if d == 0 or ind.direction == "none" else ("good" if (d > 0) == (ind.direction == "up") else "bad")
    return html.Span(text, className=f"kpi-delta kpi-{good}")


def sparkline(frame: pd.DataFrame, st: str) -> dict[str, Any]:
    """A tiny trend line coloured by status (static, no axes; a plain figure dict: cheap to build)."""
    return {"data": [{"type": "scatter", "mode": "lines", "hoverinfo": "skip",
                      "x": np.datetime_as_string(frame["ts"].to_numpy(dtype="datetime64[s]"), unit="m").tolist(),
                      "y": frame["value"].round(3).tolist(),
                      "line": {"width": 1.6, "color": sem_status.COLOURS[st]}}],
            "layout": {"margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 38, "showlegend": False,
                       "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                       "xaxis": {"visible": False}, "yaxis": {"visible": False}}}


def card(prefix: str, kv: KpiValue, lang: str, at: datetime) -> html.Div:
    """One KPI card; clicking it opens the module's drill-down for this indicator."""
    st = kv.status
    ind = kv.ind
    asof = kv.asof_text(lang)
    tgt = None
    if kv.target and kv.target["value"] is not None:
        p = kv.target["progress"]
        tgt = html.Div(className="kpi-target", children=[
            html.Span(f"{t('kpi.target', lang)} {fmt_number(kv.target['value'], kv.target['unit'], lang)}"
                      f" ({kv.target['year']}) · {t('kpi.progress', lang)} "
                      f"{'—' if p is None else fmt_number(round(min(p, 9.99) * 100, 1), '%', lang)}"),
            html.Div(className="kpi-bar", children=html.Div(
                className="kpi-bar-fill", style={"width": f"{0 if p is None else max(0.0, min(p, 1)) * 100:.0f}%"}))])
    return html.Div(
        id={"type": f"{prefix}-kpi", "ind": ind.id}, n_clicks=0, role="button", tabIndex="0",
        title=t("kpi.drill", lang), className=f"kpi-card kpi-card-{st}", children=[
            html.Div(className="kpi-head", children=[html.Span(ind.name(lang), className="kpi-name"),
                                                      status_badge(st, lang)]),
            html.Div(fmt_number(kv.value, ind.unit, lang), className="kpi-value"),
            html.Div(className="kpi-meta", children=[
                html.Span(asof, className="kpi-time kpi-running" if kv.running else "kpi-time"),
                _delta(kv.value, kv.value_1d, ind, kv.change_label(1), lang),
                _delta(kv.value, kv.value_7d, ind, kv.change_label(7), lang),
                html.Span(freshness.label("stale", lang), className="cb-stale-badge") if kv.stale else None]),
            dcc.Graph(figure=sparkline(kv.spark, st), config=graph_config(lang, staticPlot=True, displayModeBar=False),
                      className="kpi-spark", style={"height": "2.375rem"}),
            tgt,
            views.export_link(f"{prefix}-export-{ind.id}", views.url(prefix, "cards", kv.region, lang), lang),
        ])


def cards(prefix: str, store: Store, region: str, ids: tuple[str, ...], at: datetime, lang: str) -> html.Div:
    """A responsive row of cards for ``ids``."""
    return html.Div([card(prefix, kv, lang, at) for kv in kpi_values(store, region, ids, at)],
                    className="kpi-cards", id=f"{prefix}-cards")
