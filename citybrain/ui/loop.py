"""The closed loop's KPI panel of a cockpit: four cards and tables by group, drawn from the views'
rows (``citybrain.ops.loopviews``), each with its export.

A cockpit's page is memoised by what it reads (``kpi.cached_layout``), but these views
read the operational database, which moves on its own: ``attach`` adds the panel, read afresh, to
the memoised page on every request without touching the memoised object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import html

from citybrain import kpi, views
from citybrain.i18n import t
from citybrain.ops import loopviews
from citybrain.ui.grids import grid
from citybrain.ui.page import section

#: The tables a panel may show, by the view's grouping column.
TABLES = {"department": loopviews.DEPARTMENTS, "category": loopviews.CATEGORIES,
          "region_code": loopviews.REGIONS}


def card(prefix: str, row: Any, lang: str) -> html.Div:
    """One loop KPI card: name, value with unit, what it divides and the counts behind it."""
    return html.Div(id=f"{prefix}-loop-{row.indicator_id}", className="kpi-card kpi-card-none loop-card", children=[
        html.Div(className="kpi-head", children=[html.Span(row.indicator, className="kpi-name")]),
        html.Div(row.shown, className="kpi-value"),
        html.Div(className="kpi-meta", children=[
            html.Span(row.definition, className="loop-def"),
            html.Span(t("loop.closed_n", lang).format(n=row.denominator) if row.indicator_id == "handling_hours"
                      else t("loop.ratio", lang).format(num=row.numerator, den=row.denominator),
                      className="loop-basis")])])


#: An undefined rate (nothing to divide by) reads "—", as on the cards.
_DASH = {"function": "params.value == null ? '—' : params.value"}


def _columns(by: str, lang: str) -> list[dict[str, Any]]:
    cols: list[dict[str, Any]] = [{"field": "group", "headerName": t(f"loop.by.{by}", lang), "minWidth": 130,
                                   "flex": 1.4}]
    cols += [{"field": c, "headerName": t(f"loop.col.{c}", lang), "type": "numericColumn", "minWidth": 110, "flex": 1,
              "valueFormatter": _DASH} for c in loopviews.TABLE_COLUMNS]
    return cols


def panel(prefix: str, store: Any, region: str, lang: str, at: Any, tables: tuple[str, ...]) -> html.Section:
    """The panel: the cards row and one table per grouping in ``tables``."""
    read = views.reader(prefix, store, region, lang, at)
    cards = read(loopviews.CARDS)
    body: list[Any] = [html.Div([card(prefix, r, lang) for r in cards.itertuples()], className="kpi-cards",
                                id=f"{prefix}-loop-cards")]
    for by in tables:
        view = TABLES[by]
        frame: pd.DataFrame = read(view)
        body.append(html.H3([t(f"loop.by.{by}", lang), " ", views.export(prefix, view.id, region, lang)],
                            className="loop-sub"))
        body.append(html.Div(grid(f"{prefix}-{view.id}-grid", views.json_rows(frame), _columns(by, lang), lang,
                                  height=None), className="loop-table")
                    if len(frame) else html.P("—", className="dash-empty", id=f"{prefix}-{view.id}-empty"))
    return section(prefix, "loop", t("loop.title", lang), body, views.export(prefix, loopviews.CARDS.id, region, lang))


def with_panel(prefix: str, page: Callable[..., Any], tables: tuple[str, ...]) -> Callable[..., Any]:
    """The layout of a cockpit: its memoised ``page(region, lang)`` with the loop panel attached
    (``layout.uncached`` builds the page without its memo too)."""

    def build(make: Callable[..., Any], region: str | None, lang: str | None) -> Any:
        store, region, lang, at = kpi.resolve(region, lang)
        return attach(make(region=region, lang=lang), panel(prefix, store, region, lang, at, tables))

    def layout(region: str | None = None, lang: str | None = None, **_q: Any) -> Any:
        return build(page, region, lang)

    layout.uncached = lambda region=None, lang=None, **_q: build(page.uncached, region, lang)  # type: ignore[attr-defined]
    layout.__doc__ = page.__doc__
    return layout


def attach(page: Any, extra: Any) -> Any:
    """``page`` (a memoised ``ui.page``) with ``extra`` before its last child (the drill-down), as a
    new component: the memoised one is left as it was."""
    kids = list(page.children or [])
    if not kids or "dash-page" not in (getattr(page, "className", "") or ""):
        return page  # a not-applicable page or an error: nothing to add to
    data = {k: v for k, v in page.to_plotly_json()["props"].items() if k.startswith("data-")}  # live.js's marks
    return html.Div(id=page.id, className=page.className, **data, children=[*kids[:-1], extra, kids[-1]])
