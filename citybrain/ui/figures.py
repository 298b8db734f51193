"""The command-centre look of charts: dark, transparent, light text, the host's own CJK font.

``figure`` builds a plain ``{"data", "layout"}`` dict (no plotly.py validation cost on hot
paths); ``dark`` applies the same look to a ``go.Figure`` where one is needed.
"""

from __future__ import annotations

import functools
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
        {"dtickrange": [None, 86_400_000], "value": "%H:%M\n" + day},
        {"dtickrange": [86_400_000, None], "value": day}], **axis}


def dark(fig: go.Figure, height: int = 300, **kw: Any) -> go.Figure:
    """The command-centre look for a plotly figure (transparent, light text, local fonts)."""
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 28, "b": 8}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"color": "#cfe6ff", "size": 13,
                                                          "family": "Noto Sans CJK SC, sans-serif"},
                      legend={"orientation": "h", "y": -0.15}, **kw)
    fig.update_xaxes(gridcolor="#1f4a6e", automargin=True)
    fig.update_yaxes(gridcolor="#1f4a6e", automargin=True)
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
    xaxis = {"gridcolor": "#1f4a6e", "automargin": True, **layout.pop("xaxis", {})}
    yaxis = {"gridcolor": "#1f4a6e", "automargin": True, **layout.pop("yaxis", {})}
    return {"data": data, "layout": {
        "height": height, "margin": {"l": 8, "r": 8, "t": 28, "b": 8}, "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": "#cfe6ff", "size": 13, "family": "Noto Sans CJK SC, sans-serif"},
        "legend": {"orientation": "h", "y": -0.15}, **layout, "xaxis": xaxis, "yaxis": yaxis,
        "template": plotly_template()}}
