"""Boundaries layer: the region's land (and its districts) drawn as MapLibre GeoJSON layers.

The region's own land, drawn over the basemap of its surroundings (``layers.basemap``); the polygons are the
boundaries dataset's WGS-84 geometry, so every other layer lines up with the coast.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from citybrain.i18n import register
from citybrain.queries import geo

from .base import Layer, LayerContext, LegendItem, SubLayer, frame, point_trace

register({"layers.boundaries.title": ("行政区划", "Boundaries")})
LAND = "#12304a"
EDGE = "#35c2ff"


class BoundariesLayer(Layer):
    """Region and district land polygons."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        r = geo.region_shapes(ctx.store, ctx.region)
        codes = r["region_code"].tolist()
        return frame({
            "id": codes, "layer": self.id,
            "sublayer": ["region" if c == ctx.region else "district" for c in codes],
            "kind": "region", "name_zh": r["name_zh"], "name_en": r["name_en"],
            "lon": r["lon"], "lat": r["lat"], "value": None, "unit": "",
            "status": "none", "detail_zh": [f"行政区划代码 {c}" for c in codes],
            "detail_en": [f"adcode {c}" for c in codes], "indicator": None,
            # the land polygons as WKB: only the GeoJSON export decodes them (the map draws the outline)
            "geometry": r["geometry"]})

    def map_layers(self, ctx: LayerContext) -> list[dict[str, Any]]:
        r = geo.region_shapes(ctx.store, ctx.region)
        sub = np.where(r["region_code"] == ctx.region, "region", "district")
        out = []
        for name, fill, width in (("region", True, 2.0), ("district", False, 1.0)):
            m = (sub == name) & np.array([isinstance(o, str) for o in r["outline"]], dtype=bool)
            if not m.any():
                continue
            # the outline simplified at build time (datasets/boundaries/loader.py)
            src = {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"id": i}, "geometry": json.loads(o)}
                for i, o in zip(r["region_code"][m].tolist(), r["outline"][m].tolist())]}
            if fill:
                out.append({"sourcetype": "geojson", "source": src, "type": "fill", "color": LAND,
                            "opacity": 1.0, "below": "traces"})
            out.append({"sourcetype": "geojson", "source": src, "type": "line", "color": EDGE,
                        "line": {"width": width}, "opacity": 0.8 if fill else 0.45, "below": "traces"})
        return out

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        return [point_trace(f"{self.id}-names", feats, lang, "#8fb3d1", size=6, opacity=0.6)]

    def legend(self, lang: str) -> list[LegendItem]:
        return [LegendItem("陆域（行政区划）", "Land (administrative area)", LAND, "area"),
                LegendItem("区县界", "District boundary", EDGE, "line")]


LAYER = BoundariesLayer(id="boundaries", title_zh="行政区划", title_en="Boundaries", domain="boundaries",
                        dataset="boundaries", sublayers=(SubLayer("region", "陆域边界", "Land boundary"),))
