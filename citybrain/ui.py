"""Small shared building blocks of the pages (grids, badges, page heading)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import html

from .i18n import t

#: AG Grid's interface texts in Chinese (the rest falls back to English).
AG_LOCALE_ZH = {"noRowsToShow": "无数据", "loadingOoo": "加载中…", "filterOoo": "筛选…",
                "equals": "等于", "contains": "包含", "page": "页", "of": "共", "to": "至"}


def grid(id_: str, frame: pd.DataFrame, columns: list[dict[str, Any]], lang: str = "zh",
         height: str = "420px", **kwargs: Any) -> dag.AgGrid:
    """A sortable, filterable grid of ``frame`` (column defs as AG Grid wants them)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return dag.AgGrid(
        id=id_, rowData=records, columnDefs=columns,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={"localeText": AG_LOCALE_ZH if lang == "zh" else {}, "animateRows": False,
                         "tooltipShowDelay": 300},
        className="ag-theme-alpine-dark cb-grid", style={"height": height, "width": "100%"}, **kwargs)


def badge(status: str, lang: str = "zh") -> html.Span:
    """A status badge with icon and text (never colour alone)."""
    icons = {"fresh": "●", "stale": "▲", "none": "○", "normal": "●", "warning": "▲", "alarm": "■"}
    return html.Span([html.Span(icons.get(status, "●"), className="cb-icon"), " ",
                      t(f"fresh.{status}", lang)], className=f"cb-badge cb-{status}")


def heading(title: str, intro: str | None = None) -> html.Div:
    return html.Div(className="cb-heading", children=[html.H1(title)] + ([html.P(intro)] if intro else []))
