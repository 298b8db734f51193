"""Small shared building blocks of the pages (grids, badges, page heading)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import html

from .i18n import label, t

#: AG Grid's interface texts in Chinese (the rest falls back to English).
AG_LOCALE_ZH = {"noRowsToShow": "无数据", "loadingOoo": "加载中…", "filterOoo": "筛选…",
                "equals": "等于", "contains": "包含", "page": "页", "of": "共", "to": "至"}


#: The dark grid theme (AG Grid Theming API); fonts are the host's own, never downloaded.
GRID_THEME = ("themeAlpine.withParams({backgroundColor: '#0d2033', foregroundColor: '#e6f1ff', "
              "headerBackgroundColor: '#12304a', headerTextColor: '#cfe6ff', oddRowBackgroundColor: '#0b1c2d', "
              "borderColor: '#1f4a6e', accentColor: '#35c2ff', fontSize: 14, "
              "fontFamily: ['Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'sans-serif']})")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame`` as grid rows (one dict per row), missing values as ``None``; built column by column
    (a whole-frame ``astype(object).where(...).to_dict`` costs several times more)."""
    names = [str(c) for c in frame.columns]
    cols = []
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):  # NaT -> None (to_numpy keeps NaT)
            cols.append([None if m else v for v, m in zip(col.tolist(), col.isna().tolist())])
        else:
            cols.append(col.to_numpy(dtype=object, na_value=None).tolist())
    return [dict(zip(names, row)) for row in zip(*cols)]


def grid(id_: str, frame: pd.DataFrame | list[dict[str, Any]], columns: list[dict[str, Any]], lang: str = "zh",
         height: str | None = "420px", **kwargs: Any) -> dag.AgGrid:
    """A sortable, filterable grid of ``frame`` (a DataFrame, or rows already as dicts; column defs as
    AG Grid wants them).

    ``height=None`` sizes the grid to its rows (for short tables)."""
    return dag.AgGrid(
        id=id_, rowData=records(frame) if isinstance(frame, pd.DataFrame) else frame, columnDefs=columns,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={"localeText": AG_LOCALE_ZH if lang == "zh" else {}, "animateRows": False,
                         "tooltipShowDelay": 300, "theme": {"function": GRID_THEME},
                         **({"domLayout": "autoHeight"} if height is None else {})},
        className="cb-grid", style={"height": height or "auto", "width": "100%"}, **kwargs)


def export_button(id_: str, endpoint: str, params: dict[str, Any], lang: str = "zh",
                  fmt: str = "csv") -> html.A:
    """A download link to ``/api/v1/<endpoint>.<fmt>`` with exactly the on-screen filters.

    Every export in the product goes through the API's one export path (streamed, audited)."""
    from urllib.parse import urlencode

    flat = []
    for k, v in params.items():
        if v is None or v == "" or v == []:
            continue
        for item in v if isinstance(v, (list, tuple)) else [v]:
            flat.append((k, item.isoformat(timespec="minutes") if hasattr(item, "isoformat") else item))
    href = f"/api/v1/{endpoint}.{fmt}" + (f"?{urlencode(flat)}" if flat else "")
    return html.A(["⇩ ", t("export.csv", lang) if fmt == "csv" else fmt.upper()], id=id_, href=href,
                  className="cb-export", title=t("export.title", lang), download="")


def badge(status: str, lang: str = "zh") -> html.Span:
    """A status badge with icon and text (never colour alone)."""
    icons = {"fresh": "●", "stale": "▲", "none": "○", "normal": "●", "warning": "▲", "alarm": "■"}
    return html.Span([html.Span(icons.get(status, "●"), className="cb-icon"), " ",
                      label("freshness" if status in ("fresh", "stale", "none") else "status", status, lang)],
                     className=f"cb-badge cb-{status}")


def heading(title: str, intro: str | None = None) -> html.Div:
    return html.Div(className="cb-heading", children=[html.H1(title)] + ([html.P(intro)] if intro else []))
