"""Loader of the administrative boundaries: GCJ-02 polygons -> WGS-84 ``regions`` rows."""

from __future__ import annotations

import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.geo import geometry_gcj02_to_wgs84
from citybrain.regions import REGIONS


#: Simplification of the drawn land outline (degrees; ~40 m, invisible at region zoom).
OUTLINE_TOLERANCE_DEG = 0.0004


def load(ctx: LoadContext) -> None:
    src = ctx.read("data/boundaries_gcj02.geojson")
    rows = []
    for i, rec in enumerate(src.itertuples(), start=1):
        if rec.adcode not in REGIONS:
            raise DataError(f"adcode {rec.adcode!r} is not a region this product knows", dataset=ctx.name,
                            file="data/boundaries_gcj02.geojson", row=i, field="adcode")
        geom = geometry_gcj02_to_wgs84(rec.geometry) if ctx.manifest.crs == "GCJ-02" else rec.geometry
        geom = shapely.make_valid(geom)
        x0, y0, x1, y1 = geom.bounds
        c = geom.representative_point()
        rows.append({
            "region_code": rec.adcode, "name_zh": rec.name_zh, "name_en": rec.name_en,
            "parent_code": REGIONS[rec.adcode].parent, "coastal": REGIONS[rec.adcode].coastal,
            "lon": c.x, "lat": c.y, "min_lon": x0, "min_lat": y0, "max_lon": x1, "max_lat": y1,
            "geometry": shapely.to_wkb(geom),
            # the map draws this simplified outline (computed once here, not on every map request)
            "outline": shapely.to_geojson(shapely.set_precision(shapely.simplify(geom, OUTLINE_TOLERANCE_DEG), 1e-5)),
        })
    ctx.emit("regions", pd.DataFrame(rows))
