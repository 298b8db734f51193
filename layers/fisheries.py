"""Fisheries layer: ports with vessels in port, vessels coloured by status, fleet density, the
last two hours of tracks (tens of thousands of points as float32 arrays), alarm vessels (left
their zone, position lost) highlighted, and whether the summer moratorium is in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from citybrain.i18n import fmt_number, label, register
from citybrain.queries import geo
from citybrain.sim import in_moratorium
from citybrain.store.tables import properties

from .base import (PATH_KIND, STATUS_COLOURS, Layer, LayerContext, LegendItem, SubLayer, assemble, by_sublayer, columns,
                   empty_features, halo_trace, lookup, minutes, part, pick, point_trace, typed)

VESSEL_COLOURS = {"in_port": "#6f8fb0", "at_sea": "#35c2ff", "fishing": "#2ecc71",
                  "alarm_left_zone": STATUS_COLOURS["alarm"], "alarm_lost": "#ff9f43", "unknown": "#9aa5b1"}
_KIND = {k: "vessel_" + k for k in VESSEL_COLOURS}  # status -> feature kind (built once, not per vessel)
_KIND_COLOURS = {"vessel_" + k: c for k, c in VESSEL_COLOURS.items()}
PORT = "#e6f1ff"
TRAIL_HOURS = 2.0
#: Below this map zoom the fleet is drawn as a density.
ZOOM_DENSITY = 8.5
register({"layers.moratorium.on": ("伏季休渔期（5月1日—9月16日）进行中", "Summer fishing moratorium (1 May – 16 Sep) in force"),
          "layers.moratorium.off": ("非休渔期", "Outside the fishing moratorium")})


class FisheriesLayer(Layer):
    """Ports and the fishing fleet."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        st, reg, at = ctx.store, ctx.region, ctx.at
        if not self.applies(st, reg)[0]:
            return empty_features()
        ports = geo.layer_entities(st, reg, ("port",))
        pp = [properties(p) for p in ports["properties"]]
        lev = geo.latest_entity_values(st, reg, "vessels_in_port_by_port", at, 1.0)
        inport = lookup(dict(zip(lev["entity_id"].tolist(), lev["value"].tolist())), ports["entity_id"].tolist())
        cap = np.array([p.get("capacity_vessels") or np.nan for p in pp], dtype="float64")
        share = inport / cap * 100
        pstatus = np.where(share >= 100, "warning", "normal")
        pf = part({
            "id": ports["entity_id"], "layer": self.id, "sublayer": "ports", "kind": "port",
            "name_zh": ports["name_zh"], "name_en": ports["name_en"], "lon": ports["lon"], "lat": ports["lat"],
            "value": inport, "unit": "艘", "status": pstatus,
            "detail_zh": [f"在港渔船 {fmt_number(v, ' 艘', 'zh')} / 可停泊 {fmt_number(c, ' 艘', 'zh')}（估算）" for v, c in zip(inport, cap)],
            "detail_en": [f"{fmt_number(v, 'vessels', 'en')} in port / room for {fmt_number(c, '', 'en')} (estimate)" for v, c in zip(inport, cap)],
            "indicator": "vessels_in_port_by_port", "geometry": None})
        v = geo.vessel_positions(st, reg, at)
        vs, vsp = v["status"].tolist(), v["speed_kn"].tolist()
        alarm = np.array([s.startswith("alarm") for s in vs], dtype=bool)
        vts = minutes(v["ts"])
        tid = v["track_id"]
        vsp1 = [f"{sp:.1f}" for sp in vsp]  # formatted once for both languages
        zh = {x: label("vessel_status", x, "zh") for x in set(vs)}  # a handful of statuses, not a label per vessel
        en_ = {x: label("vessel_status", x, "en") for x in set(vs)}
        vf = part({
            "id": tid, "layer": self.id, "sublayer": "vessels", "kind": [_KIND.get(s) or "vessel_" + s for s in vs],
            "name_zh": tid, "name_en": v["name_en"],  # the hull number in pinyin
            "lon": v["lon"], "lat": v["lat"], "value": vsp,
            "unit": "kn", "status": np.where(alarm, "alarm", "normal"),
            "detail_zh": [f"{zh[s]} · {sp} 节 · {t}" for s, sp, t in zip(vs, vsp1, vts)],
            "detail_en": [f"{en_[s]} · {sp} kn · {t}" for s, sp, t in zip(vs, vsp1, vts)],
            "indicator": None, "geometry": None})
        return assemble([pf, vf, self._trails(ctx)])

    def _trails(self, ctx: LayerContext) -> dict[str, Any]:
        """Each vessel's path over the last ``TRAIL_HOURS`` as a LineString feature (kind ``track``, or
        ``track_alarm`` when the vessel was in alarm on the way), ending at its latest position."""
        tr = geo.vessel_trail(ctx.store, ctx.region, ctx.at - timedelta(hours=TRAIL_HOURS), ctx.at)
        tid = tr["track_id"]
        if len(tid) == 0:
            return part({c: [] for c in ("id",)})
        n = np.fromiter((len(a) for a in tr["lon"]), dtype="int64", count=len(tid))
        lon, lat = np.concatenate(tr["lon"]).astype("float64"), np.concatenate(tr["lat"]).astype("float64")
        ends = np.cumsum(n)
        lines = shapely.linestrings(lon, lat, indices=np.repeat(np.arange(len(tid)), n))
        alarm = np.asarray(tr["alarm"], dtype="uint8")
        return part({
            "id": [x + "#trail" for x in tid.tolist()], "layer": self.id, "sublayer": "trails",
            "kind": np.where(alarm > 0, f"{PATH_KIND}_alarm", PATH_KIND).astype(object),
            "name_zh": tid, "name_en": tr["name_en"],  # the vessel's; kind says track
            "lon": lon[ends - 1], "lat": lat[ends - 1],
            "value": n.astype("float64"), "unit": "",  # positions on the path
            "status": "none", "detail_zh": f"近{TRAIL_HOURS:g}小时航迹", "detail_en": f"track, last {TRAIL_HOURS:g} h",
            "indicator": None, "geometry": lines})  # shapely LineStrings (the export writes them as GeoJSON)

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        on = set(sublayers)
        cols = columns(feats)
        ves = by_sublayer(cols, "vessels")
        ports = by_sublayer(cols, "ports")
        colours = [_KIND_COLOURS.get(k) or VESSEL_COLOURS.get(k.removeprefix("vessel_"), "#8fb3d1") for k in ves["kind"]]
        trails = by_sublayer(cols, "trails")
        if len(trails["id"]) and "trails" in on:
            geoms = feats["geometry"].to_numpy(object)[(feats["sublayer"] == "trails").to_numpy()]
            xy, which = shapely.get_coordinates(geoms, return_index=True)
            red = np.array([k.endswith("_alarm") for k in trails["kind"]], dtype="uint8")[which]
            tlon, tlat = typed(xy[:, 0], "float32"), typed(xy[:, 1], "float32")
        else:
            red, tlon, tlat = np.array([], "uint8"), [], []
        empty = np.array([], "float32")
        # the trail's arrays are encoded once and shared by the trail and density traces
        dlon, dlat = ((typed(ves["lon"], "float32"), typed(ves["lat"], "float32")) if not len(red) else (tlon, tlat))
        return [
            {"type": "densitymap", "uid": "fisheries-density", "lon": dlon, "lat": dlat, "radius": 12 if compact else 14,
             "colorscale": [[0, "rgba(53,194,255,0)"], [0.3, "rgba(53,194,255,0.5)"], [1, "#e6f1ff"]],
             "showscale": False, "hoverinfo": "skip", "visible": ("density" in on) or compact},
            {"type": "scattermap", "uid": "fisheries-trails",
             "lon": tlon, "lat": tlat, "mode": "markers",
             "marker": {"size": 2.5, "color": typed(red if len(red) else empty, "uint8"),
                        "colorscale": [[0, "#35c2ff"], [1, STATUS_COLOURS["alarm"]]], "cmin": 0, "cmax": 1,
                        "opacity": 0.55},
             "hoverinfo": "skip", "visible": "trails" in on and not compact, "showlegend": False},
            point_trace("fisheries-vessels", ves, lang, colours, 6, "vessels" in on and not compact),
            halo_trace("fisheries-halo", ves if "alarms" in on else pick(ves, np.zeros(len(ves["id"]), bool))),
            point_trace("fisheries-ports", ports, lang, PORT, 16, "ports" in on, 0.9),
        ]

    def legend(self, lang: str) -> list[LegendItem]:
        return [*[LegendItem(f"渔船：{label('vessel_status', k, 'zh')}", f"Vessel: {label('vessel_status', k, 'en')}", c, "dot",
                             "alarm" if k.startswith("alarm") else None) for k, c in VESSEL_COLOURS.items()],
                LegendItem("■ 告警渔船（红圈）", "■ Vessel in alarm (red ring)", STATUS_COLOURS["alarm"], "ring", "alarm"),
                LegendItem("渔港（在港渔船数见详情）", "Fishing port (vessels in port in details)", PORT, "dot"),
                LegendItem("渔船密度（缩小时显示）", "Fleet density (shown when zoomed out)", "#35c2ff", "area")]

    def legend_note(self, ctx: LayerContext, feats: pd.DataFrame, lang: str) -> str | None:
        """Whether the summer fishing moratorium is in force at the time drawn."""
        from citybrain.i18n import t

        return t("layers.moratorium.on" if in_moratorium(ctx.at) else "layers.moratorium.off", lang)

    def zoom_visibility(self, zoom: float, sublayers: list[str]) -> dict[str, bool]:
        """Vessels as points close up, as a density far away (thousands of points are noise there)."""
        far = zoom < ZOOM_DENSITY
        return {"fisheries-vessels": "vessels" in sublayers and not far,
                "fisheries-density": "density" in sublayers or (far and "vessels" in sublayers)}


LAYER = FisheriesLayer(
    id="fisheries", title_zh="智慧渔港", title_en="Fisheries", domain="fisheries", dataset="fisheries",
    sublayers=(SubLayer("vessels", "渔船", "Vessels"), SubLayer("ports", "渔港", "Ports"),
               SubLayer("alarms", "告警渔船", "Vessels in alarm"), SubLayer("density", "渔船密度", "Fleet density", False),
               SubLayer("trails", "近2小时航迹", "Tracks, last 2 h", False)),
    dynamic=True)
