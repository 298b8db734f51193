"""``map_figure``: the one-map as a plotly figure, for the /map page and for pages that embed it.

The map uses plotly's MapLibre ``Scattermap`` with a style dict that has no remote source, glyphs
or sprite: a background (the sea), the basemap (``layers.basemap``: the land around the region, the
coast, name labels drawn as HTML by ``assets/basemap.js``) and the region's land as GeoJSON layers.
Nothing is fetched from outside the host; MapLibre symbol layers (which need glyphs) are never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from citybrain import queries
from citybrain.ui.figures import plotly_template
from citybrain.queries import geo
from citybrain.store import Store, get_store

from . import basemap
from .base import Layer, LayerContext
from .registry import all_layers, cached_features, cached_map_layers, cached_traces, get

SEA = basemap.SEA
#: A MapLibre style with no external sources, glyphs or sprites (offline by design).
OFFLINE_STYLE: dict[str, Any] = {
    # an (empty) local GeoJSON source: plotly.js drops an empty ``sources`` object on relayout and
    # MapLibre then rejects the style ("missing required property sources").
    "version": 8, "name": "citybrain-offline",
    "sources": {"citybrain-empty": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "sea", "type": "background", "paint": {"background-color": SEA}}],
}
FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"


@dataclass
class Drawn:
    """What drawing some layers produced: traces, their owners, features, map layers."""

    traces: list[Any]            # JSON-ready trace dicts (typed arrays), as the browser gets them
    owners: list[str]            # layer id of each trace (same order)
    features: dict[str, pd.DataFrame]
    map_layers: list[dict[str, Any]]
    not_applicable: dict[str, str]
    digests: list[str] = field(default_factory=list)  # hash of each trace (same order)


def view_of(store: Store, region: str, width_px: int = 1100) -> tuple[dict[str, float], float]:
    """Centre and zoom that fit the region's bounding box into about ``width_px`` pixels."""
    r = geo.region_shapes(store, region)
    hit = np.flatnonzero(r["region_code"] == region)
    i = int(hit[0]) if len(hit) else 0
    row = {c: r[c][i] for c in ("min_lon", "max_lon", "min_lat", "max_lat")}
    dlon = max(float(row["max_lon"] - row["min_lon"]), 0.05)
    dlat = max(float(row["max_lat"] - row["min_lat"]), 0.05)
    span = max(dlon, dlat * 1.25)
    zoom = math.log2(360.0 / span * width_px / 512.0) - 0.35
    return ({"lon": float(row["min_lon"] + row["max_lon"]) / 2, "lat": float(row["min_lat"] + row["max_lat"]) / 2},
            round(max(min(zoom, 12.0), 3.0), 2))


def draw(ctx: LayerContext, layer_ids: list[str], lang: str, sublayers: dict[str, list[str]] | None = None,
         compact: bool = False) -> Drawn:
    """Features and traces of the given layers (unknown ids are ignored), in drawing order."""
    wanted = set(layer_ids)
    out = Drawn([], [], {}, [], {})
    for layer in all_layers():
        if layer.id not in wanted:
            continue
        ok, reason = layer.applies(ctx.store, ctx.region)
        if not ok:
            out.not_applicable[layer.id] = reason or ""
        feats = cached_features(ctx.store, layer.id, ctx.region, ctx.at, ctx.window_h, ctx.track_id)
        subs = (sublayers or {}).get(layer.id, layer.default_sublayers())
        tr, dg = cached_traces(ctx.store, layer.id, ctx.region, ctx.at, ctx.window_h, ctx.track_id, lang,
                               tuple(subs or ()), compact)
        out.traces += tr
        out.digests += dg
        out.owners += [layer.id] * len(tr)
        out.features[layer.id] = feats
        if type(layer).map_layers is not Layer.map_layers:
            out.map_layers += cached_map_layers(ctx.store, layer.id, ctx.region, None)
    return out


def base_layout(store: Store, region: str, map_layers: list[dict[str, Any]], compact: bool,
                lang: str = "zh") -> dict[str, Any]:
    """Layout of the map: offline style, basemap, region view (fitted to the map's size in the
    browser), dark theme, hover in the CJK font."""
    centre, zoom = view_of(store, region, 700 if compact else 1100)
    return {
        "map": {"style": OFFLINE_STYLE, "center": centre, "zoom": zoom,
                "layers": [*basemap.map_layers(store, region), *map_layers]},
        "meta": basemap.meta(store, region, lang, centre, zoom),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": SEA, "plot_bgcolor": SEA,
        "showlegend": False, "uirevision": region, "clickmode": "event",
        "font": {"family": FONT, "color": "#e6f1ff", "size": 14 if compact else 13},
        "hoverlabel": {"font": {"family": FONT, "size": 15}, "bgcolor": "#0d2033", "bordercolor": "#35c2ff"},
        "template": plotly_template(),  # what go.Figure embeds: the same look with or without plotly.py
    }


def map_figure_dict(region: str, layer_ids: list[str], at: datetime | None, lang: str, compact: bool = False,
                    *, sublayers: dict[str, list[str]] | None = None, track_id: str | None = None,
                    store: Store | None = None) -> dict[str, Any]:
    """The one-map of ``region`` at ``at`` (default: the store's anchor) with the given layers, as a
    plain figure dict ``{"data": [...], "layout": {...}}`` (what Dash sends; the trace dicts are built
    valid, so no ``go.Figure`` validation or deep copy is paid).

    ``compact`` (overview cards, the wall): fleets drawn as density, no per-vessel points."""
    store = store or get_store()
    at = at or queries.anchor(store)
    ctx = LayerContext(store=store, region=region, at=at, track_id=track_id)
    ids = list(layer_ids)
    if "boundaries" not in ids and any(get(i).id for i in ids if i in {la.id for la in all_layers()}):
        ids = ["boundaries", *ids]
    d = draw(ctx, ids, lang, sublayers, compact)
    return {"data": list(d.traces), "layout": base_layout(store, region, d.map_layers, compact, lang)}


def map_figure(region: str, layer_ids: list[str], at: datetime | None, lang: str, compact: bool = False,
               **kw: Any) -> go.Figure:
    """``map_figure_dict`` as a ``go.Figure`` (for callers that restyle it with plotly's API)."""
    return go.Figure(map_figure_dict(region, layer_ids, at, lang, compact, **kw), _validate=False)
