"""GeoJSON of the one-map layers for GIS users: ``/api/v1/layers`` and ``/api/v1/layers/<id>.geojson``.

Each layer's features for a region at a time (default: the store's anchor) as an RFC 7946
FeatureCollection in WGS-84; every feature's properties carry ``layer``, ``sublayer``, ``kind``,
``status`` (normal / warning / alarm / none), names, value and unit. The /map page's export
buttons link here with exactly the on-screen region and time.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import shapely
from flask import Response, current_app, jsonify, request

from citybrain import queries
from citybrain.queries import geo as geo_queries
from citybrain.store import get_store
from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route, ok_answer, operation
from citybrain.auth.policy import EXPORT, STAFF

MEDIA = "application/geo+json"
REGION = Param("region", "region", "Region code (adcode); default: the configured default region.")
AT = Param("at", "datetime", "Time of the picture (China Standard Time); default: the store's latest time.")
TRACK = Param("track", "id", "Typhoon best-track id to draw (e.g. CMA-1909); emergency layer only.")


def feature_collection(feats: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of a layer's feature frame (point or line geometry, WGS-84)."""
    out = []
    for r in feats.itertuples(index=False):
        g = r.geometry if r.geometry is not None and not (isinstance(r.geometry, float)) else None
        if isinstance(g, (bytes, bytearray, memoryview)):  # WKB, decoded only when exported
            g = shapely.from_wkb(bytes(g))
        geom = shapely.geometry.mapping(g) if g is not None else {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]}
        val = None if r.value is None or pd.isna(r.value) else (float(r.value) if not isinstance(r.value, str) else r.value)
        out.append({"type": "Feature", "id": r.id, "geometry": geom, "properties": {
            "id": r.id, "layer": r.layer, "sublayer": r.sublayer, "kind": r.kind, "status": r.status,
            "name_zh": r.name_zh, "name_en": r.name_en, "value": val, "unit": r.unit or None,
            "detail_zh": r.detail_zh, "detail_en": r.detail_en}})
    return {"type": "FeatureCollection", "features": out, **meta}


def layer_list():
    """All layers with ids, titles, domain, dataset and sub-layers."""
    from layers.registry import all_layers

    parse(request.args, [])
    return jsonify(layers=[{"id": la.id, "title_zh": la.title_zh, "title_en": la.title_en, "domain": la.domain,
                            "dataset": la.dataset, "dynamic": la.dynamic,
                            "sublayers": [{"id": s.id, "title_zh": s.title_zh, "title_en": s.title_en}
                                          for s in la.sublayers],
                            "geojson": f"/api/v1/layers/{la.id}.geojson"} for la in all_layers()])


def _geojson_view(layer_id: str):
    def view():
        from layers.base import LayerContext
        from layers.registry import get

        layer = get(layer_id)
        params = [REGION, AT] + ([TRACK] if layer_id == "emergency" else [])
        v = parse(request.args, params)
        store = get_store()
        region = v["region"] or current_app.config["CITYBRAIN_SETTINGS"].region
        at = v["at"] or queries.anchor(store)
        if v.get("track") and v["track"] not in set(geo_queries.typhoons(store, region)["track_id"]):
            raise LookupError(("track", v["track"]))  # 404 naming the parameter, not a silent empty map
        ctx = LayerContext(store=store, region=region, at=at, track_id=v.get("track"))
        ok, reason = layer.applies(store, region)
        feats = layer.features(ctx)
        body = feature_collection(feats, {"layer": layer_id, "region": region, "at": at.isoformat(),
                                          "applicable": ok, "reason": reason, "crs": "WGS-84 (EPSG:4326)",
                                          "data_version": store.version})
        return Response(json.dumps(body, ensure_ascii=False, allow_nan=False, default=str), mimetype=MEDIA,
                        headers={"X-Data-Version": store.version})
    view.__name__ = f"layer_geojson_{layer_id}"
    return view


def _doc(summary: str, params: list[Param], media: str, op: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": operation(op, summary, "layers", ok_answer(media, schema), {
        400: "Bad parameter", 404: "Unknown typhoon track for the region", 503: "Store not built yet"}, params=params)}


def register_routes() -> None:
    """Add the layer routes (one documented GeoJSON path per registered layer)."""
    from layers.registry import all_layers

    add_route("/layers", "layers_list", layer_list,
              _doc("One-map layers: id, titles, domain, dataset, sub-layers.", [], "application/json", "layers_list",
                   {"type": "object", "properties": {"layers": {"type": "array", "items": {"type": "object"}}}}),
              access=STAFF)
    for la in all_layers():
        params = [REGION, AT] + ([TRACK] if la.id == "emergency" else [])
        add_route(f"/layers/{la.id}.geojson", f"layer_geojson_{la.id}", _geojson_view(la.id),
                  _doc(f"{la.title_en} ({la.title_zh}) layer as a GeoJSON FeatureCollection (WGS-84); properties "
                       "include kind and status.", params, MEDIA, f"layer_{la.id}_geojson",
                       {"type": "object", "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                                         "features": {"type": "array", "items": {"type": "object"}}}}),
                  access=EXPORT)


register_routes()
