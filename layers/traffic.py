"""Traffic layer: road segments by congestion index, checkpoints by flow, overload stations,
accidents of the last 24 hours by life-cycle step, and accident black spots."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from citybrain.i18n import fmt_number
from citybrain.queries import geo
from citybrain.store import nrows
from citybrain.store.tables import properties

from .base import (STATUS_COLOURS, Layer, LayerContext, LegendItem, SubLayer, assemble, by_sublayer, classify,
                   columns, empty_features, halo_trace, lookup, minutes, overdue_at, part, pick, point_trace,
                   status_colours, status_legend, value_map)

STEP_ZH = {"reported": "已接报", "dispatched": "已派警", "on_scene": "已到场", "resolved": "处置完毕", "closed": "已结案"}
STEP_EN = {"reported": "reported", "dispatched": "dispatched", "on_scene": "on scene", "resolved": "resolved",
           "closed": "closed"}
BLACK_SPOT = "#c084fc"
#: Indicators read at ``at`` (one scan): (indicator, look-back hours).
VALUES = (("congestion_index", 3.0), ("road_speed", 3.0), ("traffic_flow", 1.0), ("overload_cases", 2.0),
          ("trucks_weighed", 2.0))


def _props(s: np.ndarray) -> list[dict]:
    return [properties(p) for p in s]


class TrafficLayer(Layer):
    """Congestion, flows, overload enforcement and accidents on the region's roads."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        st, reg, at = ctx.store, ctx.region, ctx.at
        ents = geo.layer_entities(st, reg, ("road_segment", "checkpoint", "overload_station", "black_spot"))
        if not nrows(ents):
            return empty_features()
        E = ents  # noqa: N806 (numpy columns)
        props = np.array(_props(E["properties"]), dtype=object)
        kind = E["kind"]
        vals = geo.latest_values_many(st, reg, at, VALUES)
        parts = []
        # road segments: congestion index (TPI 0-10, GB/T 33171)
        m = kind == "road_segment"
        ids = E["entity_id"][m]
        val = lookup(value_map(vals, "congestion_index"), ids)
        sp = lookup(value_map(vals, "road_speed"), ids)
        w, a, d = self.threshold(st, "congestion_index")
        geoms = list(shapely.from_wkb([bytes(g) for g in E["geometry"][m]]))
        mxy = shapely.get_coordinates(shapely.line_interpolate_point(geoms, 0.5, normalized=True))
        parts.append(part({
            "id": ids, "layer": self.id, "sublayer": "segments", "kind": "road_segment",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": mxy[:, 0], "lat": mxy[:, 1],
            "value": val, "unit": "", "status": classify(val, w, a, d),
            "detail_zh": [f"拥堵指数 {x:.1f} · 车速 {fmt_number(s, 'km/h', 'zh')}" for x, s in zip(val, sp)],
            "detail_en": [f"congestion index {x:.1f} · speed {fmt_number(s, 'km/h', 'en')}" for x, s in zip(val, sp)],
            "indicator": "congestion_index", "geometry": geoms}))
        # checkpoints: flow, load against capacity
        m = kind == "checkpoint"
        fl = lookup(value_map(vals, "traffic_flow"), E["entity_id"][m])
        cap = np.array([p.get("capacity_veh_h") or np.nan for p in props[m]], dtype="float64")
        load = fl / cap * 100
        w, a, d = self.threshold(st, "checkpoint_load")
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "checkpoints", "kind": "checkpoint",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": fl, "unit": "辆/时", "status": classify(load, w, a, d),
            "detail_zh": [f"{fmt_number(f, ' 辆/时', 'zh')} · 负荷 {x:.0f}%" for f, x in zip(fl, load)],
            "detail_en": [f"{fmt_number(f, 'veh/h', 'en')} · load {x:.0f}%" for f, x in zip(fl, load)],
            "indicator": "traffic_flow", "geometry": None}))
        # overload stations: overload cases in the last hour
        m = kind == "overload_station"
        oc = lookup(value_map(vals, "overload_cases"), E["entity_id"][m])
        tw = lookup(value_map(vals, "trucks_weighed"), E["entity_id"][m])
        w, a, d = self.threshold(st, "overload_cases")
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "overload", "kind": "overload_station",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": oc, "unit": "起", "status": classify(oc, w, a, d),
            "detail_zh": [f"近1小时称重 {fmt_number(t_, '辆', 'zh')}，超限超载 {fmt_number(c, '起', 'zh')}" for t_, c in zip(tw, oc)],
            "detail_en": [f"last hour: {fmt_number(t_, 'trucks', 'en')} weighed, {fmt_number(c, 'overloaded', 'en')}" for t_, c in zip(tw, oc)],
            "indicator": "overload_cases", "geometry": None}))
        # black spots (informational)
        m = kind == "black_spot"
        bp = props[m]
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "black_spots", "kind": "black_spot",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": [p.get("accidents_90d") for p in bp], "unit": "起", "status": "none",
            "detail_zh": [f"事故多发点：近90天 {p.get('accidents_90d')} 起（非轻微 {p.get('non_minor_90d')} 起）" for p in bp],
            "detail_en": [f"black spot: {p.get('accidents_90d')} accidents in 90 days ({p.get('non_minor_90d')} non-minor)" for p in bp],
            "indicator": None, "geometry": None}))
        # accidents of the last 24 h
        ev = geo.incidents_at(st, reg, "traffic", at, 24.0)
        overdue = overdue_at(ev, at)
        step = ev["step"]
        open_ = np.isin(step, ["reported", "dispatched", "on_scene"])
        serious = np.isin(ev["severity"], ["serious", "major"])
        status = np.where(overdue | serious, "alarm", np.where(open_, "warning", "normal"))
        rep = minutes(ev["reported_at"])
        title_zh = ev["title_zh"]
        parts.append(part({
            "id": ev["event_id"], "layer": self.id, "sublayer": "accidents", "kind": "accident",
            "name_zh": title_zh, "name_en": [e if isinstance(e, str) else z for e, z in zip(ev["title_en"], title_zh)],
            "lon": ev["lon"], "lat": ev["lat"], "value": None, "unit": "", "status": status,
            "detail_zh": [f"{STEP_ZH[s]} · 报警 {r}" + (" · 超时" if o else "") for s, r, o in zip(step, rep, overdue)],
            "detail_en": [f"{STEP_EN[s]} · reported {r}" + (" · overdue" if o else "") for s, r, o in zip(step, rep, overdue)],
            "indicator": None, "geometry": None}))
        return assemble(parts)

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        on = set(sublayers)
        cols = columns(feats)
        segm = cols["sublayer"] == "segments"
        seg = pick(cols, segm)
        geoms = feats["geometry"].to_numpy()[segm]
        out: list[Any] = []
        for s in ("none", "normal", "warning", "alarm"):
            lon: list[float | None] = []
            lat: list[float | None] = []
            for g in geoms[seg["status"] == s]:
                xy = shapely.get_coordinates(g).tolist()
                lon += [p[0] for p in xy] + [None]
                lat += [p[1] for p in xy] + [None]
            out.append({"type": "scattermap", "uid": f"traffic-seg-{s}", "lon": lon, "lat": lat, "mode": "lines",
                        "hoverinfo": "skip", "line": {"color": STATUS_COLOURS[s], "width": 6 if compact else 4.5},
                        "visible": "segments" in on, "showlegend": False})
        out.append(point_trace("traffic-seg-mid", seg, lang, status_colours(seg["status"]), 7, "segments" in on))
        cp = by_sublayer(cols, "checkpoints")
        fl = np.nan_to_num(cp["value"].astype("float64"), nan=0.0)
        size = 8 + 14 * np.sqrt(fl / max(fl.max(initial=0), 1))
        out.append(point_trace("traffic-checkpoints", cp, lang, status_colours(cp["status"]), size, "checkpoints" in on))
        ov = by_sublayer(cols, "overload")
        out.append(point_trace("traffic-overload", ov, lang, status_colours(ov["status"]), 13, "overload" in on))
        bs = by_sublayer(cols, "black_spots")
        out.append(point_trace("traffic-black-spots", bs, lang, BLACK_SPOT, 15, "black_spots" in on, 0.55))
        ac = by_sublayer(cols, "accidents")
        out.append(point_trace("traffic-accidents", ac, lang, status_colours(ac["status"]), 11, "accidents" in on))
        out.append(halo_trace("traffic-halo", by_sublayer(cols, *on)))
        return out

    def legend(self, lang: str) -> list[LegendItem]:
        return [*status_legend("路段拥堵", "Road congestion", "指数<4；4–6 预警；≥6 告警", "index <4; 4–6 warning; ≥6 alarm"),
                LegendItem("卡口（圆越大流量越大；负荷≥80% 预警，≥95% 告警）",
                           "Checkpoint (bigger = more flow; load ≥80% warning, ≥95% alarm)", STATUS_COLOURS["normal"], "ring"),
                LegendItem("治超点（近1小时超限≥1 起预警，≥3 起告警）", "Overload station (≥1 case/h warning, ≥3 alarm)",
                           STATUS_COLOURS["warning"], "dot"),
                LegendItem("交通事故（近24小时；处置中=预警，超时或重大=告警）",
                           "Accident (last 24 h; being handled = warning, overdue or serious = alarm)", STATUS_COLOURS["alarm"], "dot"),
                LegendItem("事故多发点", "Accident black spot", BLACK_SPOT, "dot")]


LAYER = TrafficLayer(
    id="traffic", title_zh="智慧交通", title_en="Traffic", domain="traffic", dataset="traffic",
    sublayers=(SubLayer("segments", "路段拥堵", "Road congestion"), SubLayer("checkpoints", "卡口流量", "Checkpoint flow"),
               SubLayer("overload", "治超点", "Overload stations"), SubLayer("accidents", "交通事故", "Accidents"),
               SubLayer("black_spots", "事故多发点", "Black spots")),
    thresholds={"checkpoint_load": (80.0, 95.0, "down"), "overload_cases": (1.0, 3.0, "down")})
