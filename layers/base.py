"""The one-map layer contract: what every layer declares and gives.

A layer (one module per layer under ``layers/``) declares its id, titles, domain, dataset,
sub-layers, thresholds and colours, and gives for a region and a time:

- ``features(ctx)``: one row per thing on the map (``FEATURE_COLUMNS``), each with a status
  ``normal`` / ``warning`` / ``alarm`` (or ``none`` where no threshold applies);
- ``traces(ctx, features, lang, sublayers, compact)``: the plotly traces that draw them — always
  the same number of traces, in the same order, with a stable ``uid`` (so the page can send only
  the traces that changed when the time moves);
- ``legend(lang)``: what the colours, sizes and icons mean.

Everything is drawn in WGS-84 with circle markers and lines only (MapLibre symbol layers would
need glyph and sprite downloads, which the product never makes); text goes into hover labels,
the HTML legend and the detail panel. Status is never colour alone: alarm items get a halo and
every label and alert carries the icon and the word.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from citybrain import queries
from citybrain.i18n import register, t
from citybrain.store import Store

STATUSES = ("normal", "warning", "alarm")
#: The product's status colours (assets/citybrain.css --cb-normal/--cb-warning/--cb-alarm).
STATUS_COLOURS = {"normal": "#2ecc71", "warning": "#f5b400", "alarm": "#ff4d4f", "none": "#8fb3d1"}
STATUS_ICONS = {"normal": "●", "warning": "▲", "alarm": "■", "none": "○"}

#: Columns of every layer's feature frame.
FEATURE_COLUMNS = ["id", "layer", "sublayer", "kind", "name_zh", "name_en", "lon", "lat", "value", "unit",
                   "status", "detail_zh", "detail_en", "indicator", "geometry"]

register({
    "layers.status.normal": ("正常", "normal"), "layers.status.warning": ("预警", "warning"),
    "layers.status.alarm": ("告警", "alarm"), "layers.status.none": ("无阈值", "no threshold"),
    "layers.not_applicable": ("本地区不适用", "Not applicable to this region"),
})


def status_label(status: str, lang: str) -> str:
    """Icon and word of a status, e.g. '▲ 预警'."""
    return f"{STATUS_ICONS.get(status, '○')} {t('layers.status.' + status, lang)}"


def classify(values: Any, warn: float | None, alarm: float | None, direction: str = "down") -> np.ndarray:
    """Status of each value against warning and alarm thresholds.

    ``direction='down'``: higher is worse (level, congestion) — warning at ``>= warn``;
    ``'up'``: lower is worse (coverage, reserve ratio) — warning at ``<= warn``. NaN -> 'none'."""
    v = np.asarray(values, dtype="float64")
    out = np.full(v.shape, "normal", dtype=object)
    if warn is None and alarm is None:
        out[:] = "none"
        return out
    worse = (lambda x, th: x >= th) if direction != "up" else (lambda x, th: x <= th)
    with np.errstate(invalid="ignore"):
        if warn is not None and not pd.isna(warn):
            out[worse(v, warn)] = "warning"
        if alarm is not None and not pd.isna(alarm):
            out[worse(v, alarm)] = "alarm"
    out[np.isnan(v)] = "none"
    return out


@dataclass(frozen=True)
class SubLayer:
    """A toggleable part of a layer (e.g. traffic's checkpoints)."""

    id: str
    title_zh: str
    title_en: str
    default: bool = True

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class LegendItem:
    """One legend row: a swatch (colour and shape) and its meaning."""

    label_zh: str
    label_en: str
    colour: str
    shape: str = "dot"  # dot | line | ring | area
    status: str | None = None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class LayerContext:
    """Where and when a layer is drawn."""

    store: Store
    region: str
    at: datetime
    window_h: float = 24.0
    track_id: str | None = None  # the typhoon passage picked, if any


def empty_features() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FEATURE_COLUMNS})


def frame(rows: dict[str, Any]) -> pd.DataFrame:
    """A feature frame from columns (missing ones filled with None), in ``FEATURE_COLUMNS`` order."""
    n = max((len(v) for v in rows.values() if hasattr(v, "__len__") and not isinstance(v, str)), default=0)
    cols = {}
    for c in FEATURE_COLUMNS:
        v = rows.get(c)
        if v is None or isinstance(v, str):
            cols[c] = [v] * n
        else:
            cols[c] = list(v)
    return pd.DataFrame(cols)


def hover(frame_: pd.DataFrame, lang: str) -> list[str]:
    """Hover labels: name, status (icon and word) and the layer's detail text."""
    names = frame_["name_zh"] if lang == "zh" else frame_["name_en"].fillna(frame_["name_zh"])
    details = frame_["detail_zh"] if lang == "zh" else frame_["detail_en"]
    return [f"<b>{n}</b><br>{status_label(s, lang)} · {d}" for n, s, d in zip(names, frame_["status"], details)]


def point_trace(uid: str, sub: pd.DataFrame, lang: str, colour: Any, size: Any = 10,
                visible: bool = True, opacity: float = 0.9, name: str = "") -> go.Scattermap:
    """A clickable circle-marker trace of features (customdata = [layer, id])."""
    return go.Scattermap(
        uid=uid, name=name or uid, lon=sub["lon"].astype("float32").to_numpy(),
        lat=sub["lat"].astype("float32").to_numpy(), mode="markers",
        marker={"color": colour, "size": size, "opacity": opacity},
        hovertext=hover(sub, lang), hoverinfo="text", customdata=sub[["layer", "id"]].to_numpy().tolist(),
        visible=visible, showlegend=False)


def halo_trace(uid: str, feats: pd.DataFrame, visible: bool = True) -> go.Scattermap:
    """A ring under alarm items (status is never shown by colour alone)."""
    al = feats[feats["status"] == "alarm"]
    return go.Scattermap(uid=uid, name=uid, lon=al["lon"].astype("float32").to_numpy(),
                         lat=al["lat"].astype("float32").to_numpy(), mode="markers",
                         marker={"color": STATUS_COLOURS["alarm"], "size": 26, "opacity": 0.35},
                         hoverinfo="skip", visible=visible, showlegend=False)


def status_colours(statuses: Any) -> list[str]:
    return [STATUS_COLOURS.get(s, STATUS_COLOURS["none"]) for s in statuses]


def status_legend(what_zh: str, what_en: str, thresholds_zh: str = "", thresholds_en: str = "") -> list[LegendItem]:
    """The three status rows (normal / warning / alarm) of one kind of thing."""
    extra = (f"（{thresholds_zh}）" if thresholds_zh else "", f" ({thresholds_en})" if thresholds_en else "")
    return [LegendItem(f"{what_zh} {STATUS_ICONS[s]} {t('layers.status.' + s, 'zh')}" + (extra[0] if s == "normal" else ""),
                       f"{what_en} {STATUS_ICONS[s]} {t('layers.status.' + s, 'en')}" + (extra[1] if s == "normal" else ""),
                       STATUS_COLOURS[s], "dot", s) for s in STATUSES]


@dataclass
class Layer(ABC):
    """Base class of every one-map layer (see the module docstring for the contract)."""

    id: str
    title_zh: str
    title_en: str
    domain: str
    dataset: str
    sublayers: tuple[SubLayer, ...] = ()
    #: indicator id -> (warning, alarm, direction); per-entity thresholds live in entity properties.
    thresholds: dict[str, tuple[float | None, float | None, str]] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=lambda: dict(STATUS_COLOURS))
    #: True when things move with time (the page re-sends these traces when the slider moves).
    dynamic: bool = False

    def title(self, lang: str = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def applies(self, store: Store, region: str) -> tuple[bool, str | None]:
        """Whether the layer's dataset covers the region (the coverage table), and why not."""
        cov = queries.coverage(store, region)
        row = cov[cov["dataset"] == self.dataset]
        if row.empty or bool(row["applicable"].iloc[0]):
            return True, None
        reason = row["reason"].iloc[0]
        return False, None if pd.isna(reason) else str(reason)

    def threshold(self, store: Store, indicator_id: str) -> tuple[float | None, float | None, str]:
        """Thresholds of an indicator: the layer's own, else the indicator table's."""
        if indicator_id in self.thresholds:
            return self.thresholds[indicator_id]
        ind = queries.indicators(store)
        row = ind[ind["indicator_id"] == indicator_id]
        if row.empty:
            return None, None, "down"
        r = row.iloc[0]
        return (None if pd.isna(r["warn"]) else float(r["warn"]), None if pd.isna(r["alarm"]) else float(r["alarm"]),
                str(r["direction"]))

    def default_sublayers(self) -> list[str]:
        return [s.id for s in self.sublayers if s.default]

    @abstractmethod
    def features(self, ctx: LayerContext) -> pd.DataFrame:
        """Things on the map for the region at ``ctx.at`` (``FEATURE_COLUMNS``)."""

    @abstractmethod
    def traces(self, ctx: LayerContext, feats: pd.DataFrame, lang: str, sublayers: list[str],
               compact: bool = False) -> list[Any]:
        """The traces that draw ``feats`` (fixed count and order; hidden sub-layers are invisible)."""

    @abstractmethod
    def legend(self, lang: str) -> list[LegendItem]:
        """What the layer's colours, sizes and icons mean."""

    def map_layers(self, ctx: LayerContext) -> list[dict[str, Any]]:
        """MapLibre GeoJSON layers drawn under the traces (boundaries use this)."""
        return []

    def counts(self, feats: pd.DataFrame) -> dict[str, int]:
        """Things on the map and how many are in warning or alarm."""
        st = feats["status"] if len(feats) else pd.Series(dtype=object)
        return {"total": int(len(feats)), "warning": int((st == "warning").sum()), "alarm": int((st == "alarm").sum())}

    def alerts(self, feats: pd.DataFrame) -> pd.DataFrame:
        """Features in warning or alarm, alarm first."""
        a = feats[feats["status"].isin(["warning", "alarm"])].copy()
        a["_rank"] = (a["status"] == "alarm").map({True: 0, False: 1})
        return a.sort_values(["_rank", "name_zh"]).drop(columns="_rank")
