"""Small shared building blocks of the pages (grids, badges, page heading)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import pandas as pd
from dash import html

from citybrain.i18n import t

#: AG Grid's interface texts in Chinese (the rest falls back to English).
AG_LOCALE_ZH = {"noRowsToShow": "无数据", "loadingOoo": "加载中…", "filterOoo": "筛选…",
                "equals": "等于", "contains": "包含", "page": "页", "of": "共", "to": "至"}


#: The dark grid theme (AG Grid Theming API); fonts are the host's own, never downloaded.
GRID_THEME = ("themeAlpine.withParams({backgroundColor: '#0d2033', foregroundColor: '#e6f1ff', "
              "headerBackgroundColor: '#12304a', headerTextColor: '#cfe6ff', oddRowBackgroundColor: '#0b1c2d', "
              "borderColor: '#1f4a6e', accentColor: '#35c2ff', fontSize: '0.875rem', cellFontSize: '0.875rem', iconSize: '1rem', spacing: '0.375rem', "
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

    ``height=None`` sizes the grid to its rows (for short tables); a height in px is given in rem (16 px
    to a rem) so the grid grows with the screen like the rest of the page (assets/citybrain.css).
    Column widths are pixels of the 1920 design: ``assets/scale.js`` multiplies
    them by the screen's scale like the rem sizes of the rest of the page (twice at 3840×2160).
    On a phone (assets/cards.js) the grid's rows are shown as cards instead."""
    if height and height.endswith("px"):
        height = f"{float(height[:-2]) / 16:g}rem"
    # a column given no size shares the grid's width (AG Grid's fixed 200 px left text cut beside
    # empty room, or pushed the last columns out of sight)
    columns = [c if {"width", "flex", "children"} & c.keys() else {**c, "flex": 1, "minWidth": c.get("minWidth", 110)}
               for c in columns]
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
    """A freshness or status badge with icon and text (never colour alone)."""
    from citybrain.semantics import freshness, status as sem_status

    text = freshness.label(status, lang) if status in freshness.ICONS else sem_status.label(status, lang)
    return html.Span(text, className=f"cb-badge cb-{status}")


def stale_note(prefix: str, states: dict[str, dict[str, Any]], datasets: tuple[str, ...] | list[str],
               lang: str = "zh") -> html.Div | None:
    """The one way a page says that feeds it shows are overdue (/, /d/*, /map; the wall and the catalog
    use the same icon and word): '◷ 数据超时 · 渔业（最后更新 07-15 12:00）'. None when all are fresh."""
    from citybrain.i18n import domain_label
    from citybrain.semantics.freshness import label as fresh_label

    stale = [(d, states[d]["last_ts"]) for d in datasets if d in states and states[d]["state"] == "stale"]
    if not stale:
        return None
    parts = [f"{domain_label(d, lang)}（{t('fresh.last', lang)} {ts:%m-%d %H:%M}）" if lang == "zh"
             else f"{domain_label(d, lang)} ({t('fresh.last', lang)} {ts:%m-%d %H:%M})" for d, ts in stale]
    return html.Div(className="cb-stale-note", id=f"{prefix}-stale", role="alert",
                    children=[html.Strong(fresh_label("stale", lang)), " · ", ("、" if lang == "zh" else "; ").join(parts)])


def heading(title: str, intro: str | None = None) -> html.Div:
    return html.Div(className="cb-heading", children=[html.H1(title)] + ([html.P(intro)] if intro else []))
