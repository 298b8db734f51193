"""Offline tool: write ``data/ports.csv`` and ``data/port_routes.csv`` of the fisheries dataset.

Run by a developer (not by the build), from the repository root::

    python datasets/fisheries/tools/derive_ports.py

It needs scipy (graph search and distance transform), which the product itself does not.

For each port it takes the marker (as given by the source, treated as GCJ-02 like the AMap
boundary it is compared with), converts it to WGS-84 and, on a 50 m grid of the land polygons
of the boundaries dataset (WGS-84, same as ``ctx.land``):

* moves it to the quay: the nearest water cell that keeps >= 40 m from the coast and is joined
  to open water by a channel keeping >= 25 m off the coast, reported as ``moved_m``;
* finds the harbour exit route: the cheapest water path from the quay to open sea (a cell at
  least 6 km from any of our land, east of every piece of our land on its parallel within the
  search window, and east of a per-region longitude so that routes never use the western bays
  whose far shore, Ningbo/Taizhou mainland, is not in our polygons), preferring mid-channel,
  then simplified while it keeps >= 10 m off the coast.

Both are converted back to GCJ-02 so that the dataset has one source CRS (the manifest's).
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import shapely
from scipy import ndimage, sparse
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from citybrain.store.build import run_loaders  # noqa: E402
from citybrain.geo import gcj02_to_wgs84, haversine_m, wgs84_to_gcj02  # noqa: E402
from citybrain.settings import Settings  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
SHARED = "shared/data/ports/ports_xiangshan_zhoushan_with_sources.csv"
MAP_XS = "github:web2-wangjinye/map-xiangshan index.js geoCoordMap @5b1fdff19df24831cb695f6017fa8194e4267ea2"
HAND = "hand-placed (project, from general geography; checked against the AMap coastline)"

#: port_id, name_zh, name_en, region_code, src_lat, src_lon (GCJ-02 unless noted), src_kind,
#: source, trust, berths_est, capacity_est, note
PORTS = [
    ("shipu", "石浦渔港", "Shipu fishing port", "330225", 29.201, 121.936, "poi",
     f"{SHARED} row 石浦渔港古镇 (search-index POI, find_string id 5018064834)", "low", 60, 1000,
     "国家级中心渔港；原文件另有石浦镇镇标 29.2373,121.9441 与 '象山石浦' POI 29.2167,121.95，取紧邻港湾的古镇 POI"),
    ("dongmen", "东门渔港", "Dongmen fishing port (Dongmen Island)", "330225", None, None, "hand",
     HAND, "low", 15, 250,
     "东门岛渔村，与石浦隔港相望；原文件无此行，位置为人工标定（约 ±1 km）"),
    ("hepu", "鹤浦渔港", "Hepu fishing port (Nantian Island)", "330225", 29.1246, 121.9318, "town_marker",
     f"{SHARED} row 鹤浦 ({MAP_XS}['鹤浦镇'])", "low-medium", 25, 400,
     "镇标而非码头；码头位置按最近港湾水域推定"),
    ("gaotang", "高塘渔港", "Gaotang fishing port (Gaotang Island)", "330225", 29.1222, 121.8343, "town_marker",
     f"{SHARED} row 高塘 ({MAP_XS}['高塘岛乡'])", "low-medium", 15, 250,
     "乡标而非码头；码头位置按最近港湾水域推定"),
    ("juexi", "爵溪渔港", "Juexi fishing port", "330225", 29.4695, 121.951, "town_marker",
     f"{SHARED} row 爵溪 ({MAP_XS}['爵溪街道'])", "low-medium", 12, 200,
     "街道标而非码头；码头位置按最近海岸水域推定"),
    ("shenjiamen", "沈家门渔港", "Shenjiamen fishing port", "330903", 29.9454, 122.29503, "map_view_center",
     f"{SHARED} row 沈家门渔港 (story-map camera centre, find_string id 4884972745)", "low-medium", 80, 2000,
     "国家级中心渔港；原文件另有沈家门渔港小镇景区 POI 29.946139,122.291953（相距约 350 m）"),
    ("taimen", "台门渔港", "Taimen fishing port (Liuheng Island)", "330903", None, None, "hand",
     HAND, "low", 15, 250,
     "六横岛东南部台门；原文件无此行，位置为人工标定（约 ±2 km）"),
    ("dinghai", "定海港区渔船停泊点", "Dinghai harbour (fishing berths)", "330902", 30.0, 122.1, "port_reference",
     f"{SHARED} row Zhoushan (Dinghai) (NGA World Port Index 59960, WGS-84, 1' precision)", "medium", 10, 150,
     "WPI 商港参考点（WGS-84，精度 1′≈1.8 km），按本数据集统一按 GCJ-02 处理，引入约 0.5 km 偏差，小于其精度"),
    ("gaoting", "高亭渔港", "Gaoting fishing port (Daishan Island)", "330921", None, None, "hand",
     HAND, "low", 30, 500,
     "岱山县城高亭镇南岸；原文件无此行，位置为人工标定（约 ±1 km）"),
    ("qushan", "衢山渔港", "Qushan fishing port (Qushan Island)", "330921", None, None, "hand",
     HAND, "low", 15, 200,
     "衢山岛南岸；原文件无此行，位置为人工标定（约 ±2 km）"),
    ("caiyuan", "嵊泗菜园渔港", "Caiyuan fishing port (Sijiao Island, Shengsi)", "330922", None, None, "hand",
     HAND, "low", 12, 150,
     "嵊泗县城菜园镇（泗礁山南岸）；原文件无此行，位置为人工标定（约 ±2 km）"),
    ("shengshan", "嵊山渔港", "Shengshan fishing port (Shengshan Island)", "330922", None, None, "hand",
     HAND, "low", 15, 200,
     "嵊山岛西侧，与枸杞岛相望；原文件无此行，位置为人工标定（约 ±1 km）"),
]

#: Hand-placed markers, chosen in WGS-84 against the converted AMap coastline.
HAND_WGS = {
    "dongmen": (121.962, 29.188), "taimen": (122.175, 29.668), "gaoting": (122.205, 30.245),
    "qushan": (122.355, 30.430), "caiyuan": (122.452, 30.708), "shengshan": (122.808, 30.718),
}

#: Open sea for the exit route: at least 4 km from land and east of this longitude.
OPEN_EAST = {"330225": 122.0, "330902": 122.2, "330903": 122.2, "330921": 122.2, "330922": 122.2}
CELL_M = 50.0
WINDOW_DEG = 0.35
QUAY_CLEAR_M = 40.0
LINK_CLEAR_M = 25.0
ROUTE_CLEAR_M = 10.0
OPEN_CLEAR_M = 6000.0


def land_union() -> shapely.Geometry:
    out = run_loaders(["boundaries"], Settings(sim_anchor=datetime(2026, 1, 1)))["boundaries"]["regions"]
    geoms = [shapely.from_wkb(bytes(b)) for c, b in zip(out["region_code"], out["geometry"])
             if c == "330225" or c.startswith("3309")]
    land = shapely.union_all(geoms)
    shapely.prepare(land)
    return land


def derive(port: tuple, land: shapely.Geometry) -> tuple[dict, list[tuple[float, float]]]:
    pid, name_zh, name_en, region, slat, slon, kind, source, trust, berths, cap, note = port
    if slat is None:
        wlon, wlat = HAND_WGS[pid]
        glon, glat = (float(v) for v in wgs84_to_gcj02(wlon, wlat))
        slon, slat = round(glon, 4), round(glat, 4)
    mlon, mlat = (float(v) for v in gcj02_to_wgs84(slon, slat))
    kx = 111320.0 * np.cos(np.radians(mlat))
    ky = 110574.0
    x0, y0 = mlon - WINDOW_DEG, mlat - WINDOW_DEG
    nx = int(2 * WINDOW_DEG * kx / CELL_M)
    ny = int(2 * WINDOW_DEG * ky / CELL_M)
    xs = x0 + (np.arange(nx) + 0.5) * CELL_M / kx
    ys = y0 + (np.arange(ny) + 0.5) * CELL_M / ky
    gx, gy = np.meshgrid(xs, ys)
    local = shapely.clip_by_rect(land, x0 - 0.05, y0 - 0.05, x0 + 2 * WINDOW_DEG + 0.05, y0 + 2 * WINDOW_DEG + 0.05)
    water = ~shapely.contains_xy(local, gx, gy)
    dist = ndimage.distance_transform_edt(water) * CELL_M
    ok = ~shapely.contains_xy(local.buffer(LINK_CLEAR_M / ky), gx, gy)
    quay_ok = ~shapely.contains_xy(local.buffer(QUAY_CLEAR_M / ky), gx, gy)
    labels, _ = ndimage.label(ok, structure=np.ones((3, 3)))
    cols = np.arange(nx)[None, :]
    last_land = np.max(np.where(~water, cols, -1), axis=1, keepdims=True)
    open_sea = ok & (dist >= OPEN_CLEAR_M) & (gx >= OPEN_EAST[region]) & (cols > last_land)
    sea_labels = np.unique(labels[open_sea])
    sea = np.isin(labels, sea_labels[sea_labels > 0])
    # Quay: nearest sea cell with clearance to the marker.
    d2 = ((gx - mlon) * kx) ** 2 + ((gy - mlat) * ky) ** 2
    d2 = np.where(sea & quay_ok, d2, np.inf)
    qi = np.unravel_index(np.argmin(d2), d2.shape)
    qlon, qlat = float(gx[qi]), float(gy[qi])
    # Route: Dijkstra over sea cells (8-neighbour), cost grows near the coast.
    idx = -np.ones(sea.shape, dtype=np.int64)
    idx[sea] = np.arange(int(sea.sum()))
    pen = 1.0 + 3.0 * np.exp(-dist / 250.0)
    rows, cols_, wts = [], [], []
    for dy, dx in [(0, 1), (1, 0), (1, 1), (1, -1)]:
        a = idx[max(0, -dy):ny - max(0, dy), max(0, -dx):nx - max(0, dx)]
        b = idx[max(0, dy):ny - max(0, -dy) or None, max(0, dx):nx - max(0, -dx) or None]
        pa = pen[max(0, -dy):ny - max(0, dy), max(0, -dx):nx - max(0, dx)]
        pb = pen[max(0, dy):ny - max(0, -dy) or None, max(0, dx):nx - max(0, -dx) or None]
        m = (a >= 0) & (b >= 0)
        step = np.hypot(dx, dy)
        rows.append(a[m]); cols_.append(b[m]); wts.append(step * 0.5 * (pa[m] + pb[m]))
    n = int(sea.sum())
    g = sparse.coo_matrix((np.concatenate(wts), (np.concatenate(rows), np.concatenate(cols_))), shape=(n, n))
    src = int(idx[qi])
    cost, pred = csgraph.dijkstra(g.tocsr(), directed=False, indices=src, return_predecessors=True)
    targets = idx[open_sea & sea]
    tgt = int(targets[np.argmin(cost[targets])])
    path = [tgt]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
    path.reverse()
    flat_x, flat_y = gx[sea], gy[sea]
    pts = np.column_stack([flat_x[path], flat_y[path]])
    line = shapely.LineString(pts)
    coast = local.buffer(ROUTE_CLEAR_M / ky)
    for tol in (150, 100, 60, 30, 15, 0):
        simp = line.simplify(tol / ky) if tol else line
        if not simp.intersects(coast):
            break
    else:
        raise SystemExit(f"{pid}: no route keeps {ROUTE_CLEAR_M} m off the coast")
    route = [(float(x), float(y)) for x, y in simp.coords]
    moved = float(haversine_m(mlon, mlat, qlon, qlat))
    qg = [float(v) for v in wgs84_to_gcj02(qlon, qlat)]
    row = dict(port_id=pid, name_zh=name_zh, name_en=name_en, region_code=region, src_lon=slon, src_lat=slat,
               src_kind=kind, source=source, trust=trust, quay_lon=round(qg[0], 6), quay_lat=round(qg[1], 6),
               moved_m=round(moved), berths_est=berths, capacity_est=cap,
               note=f"{note}；码头点自标记移动 {moved:.0f} m 至最近港湾水域（离岸≥{QUAY_CLEAR_M:.0f} m）")
    return row, route


def main() -> None:
    land = land_union()
    rows, routes = [], []
    for port in PORTS:
        row, route = derive(port, land)
        rows.append(row)
        glon, glat = wgs84_to_gcj02(np.array([p[0] for p in route]), np.array([p[1] for p in route]))
        length = float(np.sum(haversine_m(np.array(route)[:-1, 0], np.array(route)[:-1, 1],
                                          np.array(route)[1:, 0], np.array(route)[1:, 1])))
        for k, (x, y) in enumerate(zip(glon, glat)):
            routes.append(dict(port_id=row["port_id"], seq=k, lon=round(float(x), 6), lat=round(float(y), 6)))
        print(f"{row['port_id']:11s} moved {row['moved_m']:5d} m  route {len(route):3d} pts {length / 1000:6.1f} km "
              f"gate {route[-1][0]:.3f},{route[-1][1]:.3f}")
    with open(HERE / "data" / "ports.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    with open(HERE / "data" / "port_routes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["port_id", "seq", "lon", "lat"], lineterminator="\n")
        w.writeheader()
        w.writerows(routes)


if __name__ == "__main__":
    main()
