"""The command-centre look of charts: dark, transparent, light text, the host's own CJK font.

``figure`` builds a plain ``{"data", "layout"}`` dict (no plotly.py validation cost on hot
paths); ``dark`` applies the same look to a ``go.Figure`` where one is needed. One look everywhere:
tick labels lie flat (``tickangle`` 0; long category names wrap, ``wrap``), bar texts stay horizontal,
nothing is drawn over an axis (``automargin``), time axes
speak the interface language (``date_axis``), a chart of a chosen range shows that whole range and
says where its data begin (``range_axis``, ``range_note``), and numbers never read "-0.0"
(``citybrain.i18n.fmt_number``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go


def graph_config(lang: str = "zh", **config: Any) -> dict[str, Any]:
    """A ``dcc.Graph`` config in the interface language: Chinese graphs use plotly's zh-CN locale
    (``assets/plotly-locale-zh-cn.js``, served from this host) for month names and the mode bar."""
    return {**config, **({"locale": "zh-CN"} if lang == "zh" else {})}


def date_axis(lang: str = "zh", **axis: Any) -> dict[str, Any]:
    """A time axis with ticks and hover in the interface language: '12-02' / '12-02 14:00' in
    Chinese, 'Dec 2' / 'Dec 2 14:00' in English."""
    day, hour = ("%m-%d", "%m-%d %H:%M") if lang == "zh" else ("%b %-d", "%b %-d %H:%M")
    return {"type": "date", "hoverformat": hour, "tickformatstops": [
        {"dtickrange": [None, 86_399_999], "value": "%H:%M\n" + day},  # a whole-day step shows days only
        {"dtickrange": [86_400_000, None], "value": day}], **axis}


#: Every axis: dark grid, labels flat and given room (never over the plot or off the figure).
AXIS: dict[str, Any] = {"gridcolor": "#1f4a6e", "automargin": True, "tickangle": 0, "zerolinecolor": "#2d5f88"}


def range_axis(start: datetime, end: datetime, lang: str = "zh", **axis: Any) -> dict[str, Any]:
    """A time axis that spans exactly ``start`` .. ``end`` (the range the chart's label names: '近90天'
    shows 90 days even where the data cover fewer)."""
    return date_axis(lang, range=[start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes")],
                     autorange=False, **axis)


def range_note(first: datetime | None, start: datetime, lang: str = "zh") -> dict[str, Any] | None:
    """An annotation saying where the data begin when they begin after ``start`` ('数据自 11-02 起' /
    'data from Nov 2'), else None."""
    if first is None or first <= start:
        return None
    text = f"数据自 {first:%m-%d} 起" if lang == "zh" else f"data from {first:%b} {first.day}"
    return {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": 1,
            "xanchor": "left", "yanchor": "bottom", "font": {"size": 12, "color": "#8fb3d1"}}


def wrap(text: str, width: int = 8) -> str:
    """A category label broken into lines of at most ``width`` characters (``<br>``), so labels lie flat
    instead of turning sideways."""
    text = str(text)
    if len(text) <= width:
        return text
    if " " in text:  # English: break between words
        lines, cur = [], ""
        for word in text.split():
            if cur and len(cur) + 1 + len(word) > width:
                lines.append(cur)
                cur = word
            else:
                cur = f"{cur} {word}".strip()
        return "<br>".join(lines + [cur])
    return "<br>".join(text[i:i + width] for i in range(0, len(text), width))


def _bar_look(trace: dict[str, Any]) -> dict[str, Any]:
    """A bar trace whose text lies flat: inside a bar it fits, else beside it — never turned sideways
    in a short one. (Text forced outside every bar makes plotly's automatic margins chase each other
    on a phone-wide chart, so ``auto`` stays.)"""
    if trace.get("type") != "bar":
        return trace
    return {"textangle": 0, **trace}


def dark(fig: go.Figure, height: int = 300, **kw: Any) -> go.Figure:
    """The command-centre look for a plotly figure (transparent, light text, local fonts)."""
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 28, "b": 8}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"color": "#cfe6ff", "size": 13,
                                                          "family": "Noto Sans CJK SC, sans-serif"},
                      legend={"orientation": "h", "y": -0.15}, **kw)
    fig.update_xaxes(**AXIS)
    fig.update_yaxes(**AXIS)
    fig.update_traces(textangle=0, selector={"type": "bar"})
    return fig


@functools.lru_cache(maxsize=1)
def plotly_template() -> dict[str, Any]:
    """plotly.py's default template as a plain dict (what ``go.Figure`` would embed); shared, never
    to be changed in place."""
    return go.Figure().to_dict()["layout"]["template"]


def values(col: Any) -> list[Any]:
    """A column as a JSON-ready list (NaN/NaT become None; timestamps ISO text)."""
    s = col if isinstance(col, pd.Series) else pd.Series(col)
    if pd.api.types.is_datetime64_any_dtype(s):
        return [None if v == "NaT" else v
                for v in np.datetime_as_string(s.to_numpy(dtype="datetime64[s]"), unit="s").tolist()]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in s.tolist()]


def figure(data: list[dict[str, Any]], height: int = 300, **layout: Any) -> dict[str, Any]:
    """A dark command-centre figure as a plain dict (what ``dark(go.Figure(...))`` draws, minus
    plotly.py's validation cost). ``layout`` entries are merged; ``xaxis``/``yaxis`` dicts extend the
    dark grid defaults."""
    xaxis = {**AXIS, **layout.pop("xaxis", {})}
    yaxis = {**AXIS, **layout.pop("yaxis", {})}
    return {"data": [_bar_look(tr) for tr in data], "layout": {
        "height": height, "margin": {"l": 8, "r": 8, "t": 28, "b": 8}, "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": "#cfe6ff", "size": 13, "family": "Noto Sans CJK SC, sans-serif"},
        "legend": {"orientation": "h", "y": -0.15}, **layout, "xaxis": xaxis, "yaxis": yaxis,
        "template": plotly_template()}}
