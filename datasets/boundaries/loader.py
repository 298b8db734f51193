"""Loader of the administrative boundaries: GCJ-02 polygons -> WGS-84 ``regions`` rows, and the
basemap around each region (``basemap`` rows: neighbouring land, coarse coast, name labels).

A region's polygon is its administrative area, which covers the bays its border crosses (象山港); the
outline the map draws is that area less the sea in it (the basemap file's ``water`` features, see
tools/extract_basemap.py), while ``geometry`` (what "in the region" means) stays the whole area."""

from __future__ import annotations

import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.geo import geometry_gcj02_to_wgs84
from citybrain.regions import REGIONS


#: Simplification of the drawn land outline (degrees; ~40 m, invisible at region zoom).
OUTLINE_TOLERANCE_DEG = 0.0004
#: Coordinate precision of the basemap sent to the browser (degrees; ~10 m, already simplified
#: to 0.1–0.5 km by tools/extract_basemap.py).
BASEMAP_PRECISION_DEG = 1e-4


def _wgs84(ctx: LoadContext, geom):
    return geometry_gcj02_to_wgs84(geom) if ctx.manifest.crs == "GCJ-02" else geom


def load(ctx: LoadContext) -> None:
    src = ctx.read("data/boundaries_gcj02.geojson")
    basemap = ctx.read("data/basemap_gcj02.geojson")
    water = {rec.code: shapely.make_valid(_wgs84(ctx, rec.geometry))
             for rec in basemap.itertuples() if rec.kind == "water"}
    rows = []
    for i, rec in enumerate(src.itertuples(), start=1):
        if rec.adcode not in REGIONS:
            raise DataError(f"adcode {rec.adcode!r} is not a region this product knows", dataset=ctx.name,
                            file="data/boundaries_gcj02.geojson", row=i, field="adcode")
        geom = shapely.make_valid(_wgs84(ctx, rec.geometry))
        x0, y0, x1, y1 = geom.bounds
        c = geom.representative_point()
        land = shapely.make_valid(shapely.difference(geom, water[rec.adcode])) if rec.adcode in water else geom
        rows.append({
            "region_code": rec.adcode, "name_zh": rec.name_zh, "name_en": rec.name_en,
            "parent_code": REGIONS[rec.adcode].parent, "coastal": REGIONS[rec.adcode].coastal,
            "lon": c.x, "lat": c.y, "min_lon": x0, "min_lat": y0, "max_lon": x1, "max_lat": y1,
            "geometry": shapely.to_wkb(geom),
            # the map draws this simplified outline (computed once here, not on every map request)
            "outline": shapely.to_geojson(shapely.set_precision(shapely.simplify(land, OUTLINE_TOLERANCE_DEG), 1e-5)),
        })
    ctx.emit("regions", pd.DataFrame(rows))
    ctx.emit("basemap", basemap_rows(ctx, basemap))


def basemap_rows(ctx: LoadContext, src: pd.DataFrame) -> pd.DataFrame:
    """The basemap file as ``basemap`` rows: land as GeoJSON outlines, labels as points (WGS-84); its
    ``water`` went into the regions' outlines."""
    rows = []
    for rec in src.itertuples():
        if rec.kind == "water":
            continue
        geom = _wgs84(ctx, rec.geometry)
        land = rec.kind in ("land", "coast", "coarse")
        if land:
            geom = shapely.make_valid(shapely.set_precision(geom, BASEMAP_PRECISION_DEG))
        pt = geom.representative_point() if land else geom
        rows.append({"region_code": rec.view, "kind": rec.kind, "code": rec.code, "name_zh": rec.name_zh,
                     "name_en": rec.name_en, "rank": int(rec.rank), "lon": pt.x, "lat": pt.y,
                     "outline": shapely.to_geojson(geom) if land else None})
    wide = ctx.read("data/east_asia_land_gcj02.geojson")  # coarse East Asia: every view's `wide` land
    for rec in wide.itertuples():
        geom = shapely.make_valid(shapely.set_precision(_wgs84(ctx, rec.geometry), 1e-2))
        pt = geom.representative_point()
        rows += [{"region_code": view, "kind": "wide", "code": rec.code, "name_zh": rec.name_zh, "name_en": rec.name_en,
                  "rank": 3, "lon": pt.x, "lat": pt.y, "outline": shapely.to_geojson(geom)}
                 for view in sorted(set(src["view"]))]
    return pd.DataFrame(rows)
