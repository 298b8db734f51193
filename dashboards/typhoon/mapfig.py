"""The typhoon page's map: the region's land and the basemap around it, the whole best track (grade colours), the 30-kt and
50-kt wind circles at the replay time, the next 24/48 h of positions (the best track replayed as a
perfect forecast), and the simulated boats at sea. Offline MapLibre style; the view fits the whole
track and the region."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from citybrain.i18n import t
from citybrain.semantics import status as sem_status
from citybrain.store import Store
from citybrain.typhoon.circles import StormPath
from layers import basemap
from layers.figure import FONT, OFFLINE_STYLE
from layers.registry import cached_map_layers

CIRCLE_COLOURS = {30: "#f5b400", 50: "#ff4d4f"}
GRADE_COLOURS = {"TD": "#6fb7ff", "TS": "#35c2ff", "STS": "#2ecc71", "TY": "#f5b400", "STY": "#ff8c1a",
                 "SuperTY": "#ff4d4f", "TS+": "#35c2ff", "ET": "#8fb3d1", "LOW": "#8fb3d1", "LO": "#8fb3d1"}


def fit(lon: np.ndarray, lat: np.ndarray, width_px: int = 1000, height_px: int = 620) -> tuple[dict[str, float], float]:
    """Centre and zoom (Web Mercator) that hold every point with a margin."""
    x = np.radians(lon)
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
    span_x = max(float(x.max() - x.min()), 1e-3) * 1.08
    span_y = max(float(y.max() - y.min()), 1e-3) * 1.08
    # MapLibre's world is 512 px wide at zoom 0
    zoom = min(math.log2(width_px / 512.0 * 2 * math.pi / span_x), math.log2(height_px / 512.0 * 2 * math.pi / span_y))
    lat_c = math.degrees(2 * math.atan(math.exp(cy)) - math.pi / 2)
    return {"lon": math.degrees(cx), "lat": lat_c}, max(0.5, min(zoom, 9.0))


def figure(store: Store, region: str, path: StormPath, track: pd.DataFrame, at: datetime, fleet: pd.DataFrame,
           lang: str, size: tuple[int, int] = (1100, 640), fill: bool = False) -> dict[str, Any]:
    """The map as a plain figure dict (``track``: ts, lon, lat, grade of every fix); ``size``: the
    map's pixels, which the view is fitted to (``fill``: the figure fills its container instead of
    taking ``size``'s height)."""
    at_ts = pd.Timestamp(at)
    data: list[dict[str, Any]] = [{
        "type": "scattermap", "mode": "lines", "lon": track["lon"].tolist(), "lat": track["lat"].tolist(),
        "line": {"color": "#cfe6ff", "width": 2}, "name": t("typhoon.map.track", lang), "hoverinfo": "skip",
        "uid": "typhoon-track"}]
    hover = [f"{pd.Timestamp(ts):%m-%d %H:%M} · {g}" for ts, g in zip(track["ts"], track["grade"])]
    data.append({"type": "scattermap", "mode": "markers", "lon": track["lon"].tolist(), "lat": track["lat"].tolist(),
                 "marker": {"size": 7, "color": [GRADE_COLOURS.get(g, "#8fb3d1") for g in track["grade"]]},
                 "text": hover, "hoverinfo": "text", "name": t("typhoon.map.fixes", lang), "uid": "typhoon-fixes"})
    for kt in (30, 50):
        ring = path.circle(at_ts.to_pydatetime(), kt)
        if ring is None:
            continue
        data.append({"type": "scattermap", "mode": "lines", "fill": "toself", "lon": [p[0] for p in ring],
                     "lat": [p[1] for p in ring], "line": {"color": CIRCLE_COLOURS[kt], "width": 2},
                     "fillcolor": "rgba(245,180,0,0.12)" if kt == 30 else "rgba(255,77,79,0.18)",
                     "name": t(f"typhoon.map.r{kt}", lang), "hoverinfo": "name", "uid": f"typhoon-r{kt}"})
    ahead = [h for h in (24, 48)]
    tt = np.array([np.datetime64((at_ts + pd.Timedelta(hours=h)).to_datetime64(), "us") for h in [0, *ahead]])
    clon, clat, ok = path.centre(tt)
    if ok[0]:
        data.append({"type": "scattermap", "mode": "markers+text", "lon": [float(clon[0])], "lat": [float(clat[0])],
                     "marker": {"size": 22, "color": "#ff6b9a"}, "text": [t("typhoon.map.centre", lang)],
                     "textposition": "top right", "textfont": {"color": "#ffffff", "size": 14},
                     "name": t("typhoon.map.centre", lang), "uid": "typhoon-centre"})
    fut = [(h, x, y) for h, x, y, o in zip(ahead, clon[1:], clat[1:], ok[1:]) if o]
    if fut:
        data.append({"type": "scattermap", "mode": "markers+text", "lon": [f[1] for f in fut], "lat": [f[2] for f in fut],
                     "marker": {"size": 14, "color": "rgba(255,107,154,0.5)"},
                     "text": [f"+{f[0]} h" for f in fut], "textposition": "bottom right",
                     "textfont": {"color": "#ffd1e0", "size": 13}, "name": t("typhoon.map.next", lang),
                     "hoverinfo": "text+name", "uid": "typhoon-next"})
    sea = fleet[fleet["state"] != "in_port"] if len(fleet) else fleet
    if len(sea):
        data.append({"type": "scattermap", "mode": "markers", "lon": sea["lon"].round(4).tolist(),
                     "lat": sea["lat"].round(4).tolist(),
                     "marker": {"size": 8, "color": [sem_status.COLOURS.get(s, "#8fb3d1") for s in sea["status"]]},
                     "text": sea["entity_id"].tolist(), "hoverinfo": "text", "name": t("typhoon.map.boats", lang),
                     "uid": "typhoon-boats"})
    # the land around the region (the basemap: neighbouring counties, the coast) under the region's own
    # and, under it, the coarse land of East Asia (the view fits the whole track, far beyond the basemap's box)
    land = [*basemap.wide_layers(store, region), *basemap.map_layers(store, region),
            *cached_map_layers(store, "boundaries", region, None)]
    from citybrain.queries import geo

    r = geo.region_shapes(store, region)
    blon = np.concatenate([track["lon"].to_numpy("float64"), r["min_lon"], r["max_lon"]])
    blat = np.concatenate([track["lat"].to_numpy("float64"), r["min_lat"], r["max_lat"]])
    centre, zoom = fit(blon, blat, size[0] - 20, size[1] - 20)
    layout = {"map": {"style": OFFLINE_STYLE, "center": centre, "zoom": zoom, "layers": land},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": "rgba(0,0,0,0)",
              "font": {"family": FONT, "color": "#e6f1ff", "size": 13}, "showlegend": True,
              "legend": {"bgcolor": "rgba(7,19,31,.75)", "x": 0.01, "y": 0.99,
                         "font": {"size": 20 if size[0] >= 2000 else 13}} if size[0] > 500
              else {"bgcolor": "rgba(7,19,31,.75)", "orientation": "h", "x": 0, "y": 0, "yanchor": "bottom",
                    "font": {"size": 10}},  # a phone: one strip along the bottom, the track stays visible
              "uirevision": f"{region}:{size[0]}x{size[1]}", "meta": {"fit": {"center": centre, "zoom": zoom}}}
    if fill:
        layout["autosize"] = True
    else:
        layout["height"] = size[1]
    return {"data": data, "layout": layout}
