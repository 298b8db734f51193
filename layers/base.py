"""The one-map layer contract: what every layer declares and gives.

A layer (one module per layer under ``layers/``) declares its id, titles, domain, dataset,
sub-layers, thresholds and colours, and gives for a region and a time:

- ``features(ctx)``: one row per thing on the map (``FEATURE_COLUMNS``), each with a status
  ``normal`` / ``warning`` / ``alarm`` (or ``none`` where no threshold applies);
- ``traces(ctx, features, lang, sublayers, compact)``: the plotly traces that draw them, as plain
  JSON-ready trace dicts (numbers as base64 typed arrays; no ``go.*`` objects, whose validation costs
  more than the query) — always the same number of traces, in the same order, with a stable ``uid`` (so the page can send only
  the traces that changed when the time moves);
- ``legend(lang)``: what the colours, sizes and icons mean.

Everything is drawn in WGS-84 with circle markers and lines only (MapLibre symbol layers would
need glyph and sprite downloads, which the product never makes); text goes into hover labels,
the HTML legend and the detail panel. Status is never colour alone: alarm items get a halo and
every label and alert carries the icon and the word.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from _plotly_utils.utils import to_typed_array_spec

from citybrain.queries import geo
from citybrain.i18n import register
from citybrain.semantics import scope
from citybrain.semantics import status as sem
from citybrain.store import Columns, Store

STATUSES = ("normal", "warning", "alarm")
#: The product's one palette and icon set (``citybrain.semantics.status``; the CSS uses the same).
STATUS_COLOURS = sem.COLOURS
STATUS_ICONS = sem.ICONS

#: The kind of a feature that is a path an item took (a vessel's trail), not an item: never counted,
#: never raised; exported as a LineString like every feature.
PATH_KIND = "track"
#: Kinds of feature that exist only when observed (see ``Layer.observed``).
OBSERVED_KINDS = ("vessel_", "incident_", "accident", "typhoon")
#: Columns of every layer's feature frame (``geometry``: a shapely geometry, WKB bytes, or None for a
#: point at lon/lat).
FEATURE_COLUMNS = ["id", "layer", "sublayer", "kind", "name_zh", "name_en", "lon", "lat", "value", "unit",
                   "status", "detail_zh", "detail_en", "indicator", "geometry"]

register({
})

#: Icon and word of a status, e.g. '▲ 预警' (the one definition: ``citybrain.semantics.status.label``).
status_label = sem.label


def classify(values: Any, warn: Any, alarm: Any, direction: str = "down") -> np.ndarray:
    """Status of each value (``citybrain.semantics.status.classify``); a place without a value is
    drawn as ``none``."""
    return sem.classify(values, warn, alarm, direction, missing="none")


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


def value_map(values: Columns, indicator_id: str) -> dict[str, float]:
    """One indicator's latest value by entity id, from ``geo.latest_values_many``."""
    m = values["indicator_id"] == indicator_id
    return dict(zip(values["entity_id"][m].tolist(), values["value"][m].astype("float64").tolist()))


def minutes(ts: np.ndarray) -> np.ndarray:
    """Times as 'MM-DD HH:MM' labels ('' where missing); each distinct minute is formatted once (a
    fleet's positions share one time)."""
    uniq, inv = np.unique(np.asarray(ts, dtype="datetime64[m]"), return_inverse=True)
    labels = np.array([("" if x == "NaT" else f"{x[5:10]} {x[11:16]}") for x in np.datetime_as_string(uniq).tolist()]
                      + [""], dtype=object)
    return labels[inv.ravel()]


def overdue_at(events: Columns, at: datetime) -> np.ndarray:
    """Whether each incident (``geo.incidents_at``) is past its next due time at ``at`` (else its final due)."""
    due = np.where(np.isnat(events["next_due"]), events["due_at"], events["next_due"])
    return ~np.isnat(due) & (due < np.datetime64(at))


def lookup(vmap: dict[str, float], ids: Any) -> np.ndarray:
    """Values of ``ids`` in ``vmap`` (NaN where missing)."""
    return np.array([vmap.get(i, np.nan) for i in ids], dtype="float64")


def empty_features() -> pd.DataFrame:
    return assemble([])


Part = dict[str, np.ndarray]


def part(rows: dict[str, Any]) -> Part:
    """Columns of some features as numpy arrays (``FEATURE_COLUMNS``; missing ones None; one scalar
    fills every row). Layers build parts and ``assemble`` them once: a DataFrame per part and a
    ``pd.concat`` cost more than the layer's queries."""
    n = max((len(v) for v in rows.values() if hasattr(v, "__len__") and not isinstance(v, str)), default=0)
    cols: Part = {}
    for c in FEATURE_COLUMNS:
        v = rows.get(c)
        if v is None or isinstance(v, str):
            cols[c] = np.full(n, v, dtype=object)
        elif isinstance(v, np.ndarray) and v.dtype.kind in "Ofiub":
            cols[c] = v
        elif isinstance(v, (pd.Series, pd.Index)):
            cols[c] = v.to_numpy(dtype=object if v.dtype.kind not in "fiub" else None)
        else:  # a list (or another sequence): one object per row, never a nested array
            arr = np.empty(len(v), dtype=object)
            arr[:] = list(v)
            cols[c] = arr
    return cols


#: Feature columns that hold numbers (float64 when every row has one; else kept as objects).
_NUMERIC = ("lon", "lat", "value")


def assemble(parts: list[Part]) -> pd.DataFrame:
    """One feature frame from parts, in order.

    Text columns are plain Python objects (not pandas' Arrow strings: converting a thousand vessel
    labels there and back costs more than their query); lon/lat (and value, when every row has a
    number) are float64. A missing text stays None, so ``if row["indicator"]`` stays false."""
    arrays = {c: [p[c] for p in parts] for c in FEATURE_COLUMNS}
    numeric: dict[int, np.ndarray] = {}
    for c in _NUMERIC:
        pieces = arrays[c]
        if all(a.dtype.kind in "fiub" or not np.equal(a, None).any() for a in pieces):
            try:
                numeric[FEATURE_COLUMNS.index(c)] = (np.concatenate([a.astype("float64") for a in pieces])
                                                     if pieces else np.empty(0, "float64"))
            except (TypeError, ValueError):  # text values (none of the registered layers has them)
                pass
    out = pd.DataFrame({c: np.concatenate([a.astype(object, copy=False) for a in arrays[c]]) if arrays[c]
                        else np.empty(0, dtype=object) for c in FEATURE_COLUMNS}, dtype=object)
    for i, a in numeric.items():
        out.isetitem(i, a)
    return out


def frame(rows: dict[str, Any]) -> pd.DataFrame:
    """A feature frame from columns (see ``part``), in ``FEATURE_COLUMNS`` order."""
    return assemble([part(rows)])


#: Columns the traces read (a feature frame as plain numpy arrays, see ``columns``).
TRACE_COLUMNS = ("id", "layer", "sublayer", "kind", "name_zh", "name_en", "lon", "lat", "value", "status",
                 "detail_zh", "detail_en")


def columns(feats: pd.DataFrame) -> Columns:
    """The trace columns of a feature frame as numpy arrays (slicing these is far cheaper than pandas)."""
    return {c: feats[c].to_numpy() for c in TRACE_COLUMNS}


def pick(cols: Columns, mask: Any) -> Columns:
    """Rows of ``cols`` where ``mask`` is true."""
    m = np.asarray(mask, dtype=bool)
    return {c: a[m] for c, a in cols.items()}


def by_sublayer(cols: Columns, *subs: str) -> Columns:
    """Rows of some sub-layers."""
    return pick(cols, np.isin(cols["sublayer"], list(subs)))


def typed(values: Any, dtype: str | None = None) -> Any:
    """A numeric array as a plotly.js typed-array spec (base64), as the browser gets it; [] when empty."""
    a = np.asarray(values, dtype=dtype) if dtype else np.asarray(values)
    if a.size == 0:
        return []
    short = _SHORT_TYPES.get(str(a.dtype))
    if short and a.ndim == 1:  # the same spec plotly writes, without its per-call dataframe sniffing
        return {"dtype": short, "bdata": base64.b64encode(np.ascontiguousarray(a)).decode("ascii")}
    return to_typed_array_spec(np.ascontiguousarray(a))


_SHORT_TYPES = {"float32": "f4", "float64": "f8", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
                "int32": "i4", "uint32": "u4"}


def _arr(v: Any) -> Any:
    """Marker size/colour: numpy arrays become typed arrays, lists and scalars stay as they are."""
    return typed(v) if isinstance(v, np.ndarray) and v.dtype != object else v


_LABELS = {lang: {s: status_label(s, lang) for s in (*STATUSES, "none")} for lang in ("zh", "en")}


def hover(frame_: Any, lang: str) -> list[str]:
    """Hover labels: name, status (icon and word) and the layer's detail text."""
    zh = lang == "zh"
    names = frame_["name_zh"] if zh else [e if isinstance(e, str) else z
                                          for e, z in zip(frame_["name_en"], frame_["name_zh"])]
    details = frame_["detail_zh"] if zh else frame_["detail_en"]
    labels = _LABELS.get(lang, _LABELS["en"])
    return [f"<b>{n}</b><br>{labels.get(s) or status_label(s, lang)} · {d}"
            for n, s, d in zip(names, frame_["status"], details)]


def point_trace(uid: str, sub: Any, lang: str, colour: Any, size: Any = 10,
                visible: bool = True, opacity: float = 0.9, name: str = "") -> dict[str, Any]:
    """A clickable circle-marker trace of features (customdata = 'layer|id', as the alert list's keys), as a plain trace dict
    with float32 typed arrays (building ``go.Scattermap`` objects costs more than the query)."""
    layer, ids = np.asarray(sub["layer"], dtype=object), np.asarray(sub["id"], dtype=object)
    return {"type": "scattermap", "uid": uid, "name": name or uid, "mode": "markers",
            "lon": typed(sub["lon"], "float32"), "lat": typed(sub["lat"], "float32"),
            "marker": {"color": _arr(colour), "size": _arr(size), "opacity": opacity},
            "hovertext": hover(sub, lang), "hoverinfo": "text",
            "customdata": [f"{la}|{i}" for la, i in zip(layer.tolist(), ids.tolist())],
            "visible": visible, "showlegend": False}


def halo_trace(uid: str, feats: Any, visible: bool = True) -> dict[str, Any]:
    """A ring under alarm items (status is never shown by colour alone)."""
    al = np.asarray(feats["status"], dtype=object) == "alarm"
    return {"type": "scattermap", "uid": uid, "name": uid, "mode": "markers",
            "lon": typed(np.asarray(feats["lon"], dtype="float32")[al]),
            "lat": typed(np.asarray(feats["lat"], dtype="float32")[al]),
            "marker": {"color": STATUS_COLOURS["alarm"], "size": 26, "opacity": 0.35},
            "hoverinfo": "skip", "visible": visible, "showlegend": False}


def status_colours(statuses: Any) -> list[str]:
    return [STATUS_COLOURS.get(s, STATUS_COLOURS["none"]) for s in statuses]


def status_legend(what_zh: str, what_en: str, thresholds_zh: str = "", thresholds_en: str = "") -> list[LegendItem]:
    """The three status rows (normal / warning / alarm) of one kind of thing."""
    extra = (f"（{thresholds_zh}）" if thresholds_zh else "", f" ({thresholds_en})" if thresholds_en else "")
    return [LegendItem(f"{what_zh} {STATUS_ICONS[s]} {sem.word(s, 'zh')}" + (extra[0] if s == "normal" else ""),
                       f"{what_en} {STATUS_ICONS[s]} {sem.word(s, 'en')}" + (extra[1] if s == "normal" else ""),
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
    #: True for a layer read from the operational database (what people write, e.g. work orders): its
    #: features are never memoised by the store's data version and it raises nothing into the alarm set.
    live: bool = False

    def title(self, lang: str = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def applies(self, store: Store, region: str) -> tuple[bool, str | None]:
        """Whether the layer's dataset covers the region (the coverage table), and why not."""
        return scope.applicable(store, region, self.dataset)

    def threshold(self, store: Store, indicator_id: str) -> tuple[float | None, float | None, str]:
        """Thresholds of an indicator: the layer's own, else the indicator table's."""
        if indicator_id in self.thresholds:
            return self.thresholds[indicator_id]
        th = geo.indicator_thresholds(store, indicator_id)
        if not len(th["direction"]):
            return None, None, "down"
        warn, alarm = float(th["warn"][0]), float(th["alarm"][0])
        return (None if np.isnan(warn) else warn, None if np.isnan(alarm) else alarm, str(th["direction"][0]))

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
        """MapLibre GeoJSON layers drawn under the traces (boundaries use this); they may depend on the
        region only (``registry.cached_map_layers`` memoises them per region)."""
        return []

    def observed(self, feats: pd.DataFrame) -> bool:
        """Whether anything was observed at the time drawn: a value of one of the layer's indicators, or
        an item that only exists when observed (a vessel position, an incident, a typhoon). Stations
        alone, with no value (e.g. a typhoon replay years before a feed began), are not data."""
        if feats.empty:
            return False
        ind = feats["indicator"].to_numpy(object)
        val = pd.to_numeric(feats["value"], errors="coerce").to_numpy("float64")
        has_ind = np.array([isinstance(i, str) and bool(i) for i in ind], dtype=bool)
        if (has_ind & ~np.isnan(val)).any():
            return True
        kinds = feats["kind"].astype(str)
        return bool(kinds.str.startswith(OBSERVED_KINDS).any())

    def legend_note(self, ctx: LayerContext, feats: pd.DataFrame, lang: str) -> str | None:
        """A line the map's legend adds under the layer's items (the layer's own state, e.g. the
        fishing moratorium); None for nothing."""
        return None

    def zoom_visibility(self, zoom: float, sublayers: list[str]) -> dict[str, bool]:
        """Trace uid -> visible at map ``zoom`` with ``sublayers`` on (e.g. points close up, a density
        far away); the map applies it when the user zooms. Empty: the layer does not change with zoom."""
        return {}

    #: Whether the layer draws a chosen typhoon passage (the map passes its track to the layer's export).
    takes_track: bool = False

    def raised_thresholds(self, store: Store, raised: pd.DataFrame) -> list[float | None]:
        """The threshold each raised feature crossed (for the alarm set): the alarm threshold of an
        alarm, the warning threshold of a warning, from ``threshold``; a layer with per-entity
        thresholds (water levels) overrides this."""
        out: list[float | None] = []
        for ind, st in zip(raised["indicator"].tolist(), raised["status"].tolist()):
            if not (isinstance(ind, str) and ind):
                out.append(None)
                continue
            warn, alarm, _ = self.threshold(store, ind)
            out.append(alarm if st == "alarm" else warn)
        return out

    def raised_times(self, raised: pd.DataFrame, at: datetime) -> list[datetime]:
        """When each raised feature's state was observed (for the alarm set); the moment drawn unless
        a layer knows better."""
        return [at] * len(raised)

    def counts(self, feats: pd.DataFrame) -> dict[str, int]:
        """Things on the map and how many are in warning or alarm."""
        feats = feats[~feats["kind"].astype(str).str.startswith(PATH_KIND)] if len(feats) else feats
        st = feats["status"] if len(feats) else pd.Series(dtype=object)
        return {"total": int(len(feats)), "warning": int((st == "warning").sum()), "alarm": int((st == "alarm").sum())}

    def alerts(self, feats: pd.DataFrame) -> pd.DataFrame:
        """Features in warning or alarm, alarm first."""
        a = feats[feats["status"].isin(["warning", "alarm"])].copy()
        a["_rank"] = (a["status"] == "alarm").map({True: 0, False: 1})
        return a.sort_values(["_rank", "name_zh"]).drop(columns="_rank")
