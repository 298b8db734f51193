"""Traffic layer: road segments by congestion index, checkpoints by flow, overload stations,
accidents of the last 24 hours by life-cycle step, and accident black spots."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from citybrain.i18n import fmt_number
from citybrain.queries import geo

from .base import (STATUS_COLOURS, Layer, LayerContext, LegendItem, SubLayer, classify, empty_features, frame,
                   halo_trace, point_trace, status_colours, status_legend)

STEP_ZH = {"reported": "已接报", "dispatched": "已派警", "on_scene": "已到场", "resolved": "处置完毕", "closed": "已结案"}
STEP_EN = {"reported": "reported", "dispatched": "dispatched", "on_scene": "on scene", "resolved": "resolved",
           "closed": "closed"}
BLACK_SPOT = "#c084fc"


def _props(s: pd.Series) -> list[dict]:
    return [json.loads(p) if isinstance(p, str) else {} for p in s]


class TrafficLayer(Layer):
    """Congestion, flows, overload enforcement and accidents on the region's roads."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        st, reg, at = ctx.store, ctx.region, ctx.at
        ents = geo.layer_entities(st, reg, ("road_segment", "checkpoint", "overload_station", "black_spot"))
        if ents.empty:
            return empty_features()
        props = _props(ents["properties"])
        ents = ents.assign(props=props)
        parts = []
        # road segments: congestion index (TPI 0-10, GB/T 33171)
        seg = ents[ents["kind"] == "road_segment"]
        v = geo.latest_entity_values(st, reg, "congestion_index", at, 3.0).set_index("entity_id")["value"]
        sp = geo.latest_entity_values(st, reg, "road_speed", at, 3.0).set_index("entity_id")["value"]
        w, a, d = self.threshold(st, "congestion_index")
        val = seg["entity_id"].map(v).astype("float64")
        geoms = [shapely.from_wkb(bytes(g)) for g in seg["geometry"]]
        mids = [g.interpolate(0.5, normalized=True) for g in geoms]
        parts.append(frame({
            "id": seg["entity_id"], "layer": self.id, "sublayer": "segments", "kind": "road_segment",
            "name_zh": seg["name_zh"], "name_en": seg["name_en"], "lon": [m.x for m in mids], "lat": [m.y for m in mids],
            "value": val, "unit": "", "status": classify(val, w, a, d),
            "detail_zh": [f"拥堵指数 {x:.1f} · 车速 {fmt_number(s, 'km/h', 'zh')}" for x, s in zip(val, seg["entity_id"].map(sp))],
            "detail_en": [f"congestion index {x:.1f} · speed {fmt_number(s, 'km/h', 'en')}" for x, s in zip(val, seg["entity_id"].map(sp))],
            "indicator": "congestion_index", "geometry": geoms}))
        # checkpoints: flow, load against capacity
        cp = ents[ents["kind"] == "checkpoint"]
        fl = cp["entity_id"].map(geo.latest_entity_values(st, reg, "traffic_flow", at, 1.0)
                                 .set_index("entity_id")["value"]).astype("float64")
        cap = np.array([p.get("capacity_veh_h") or np.nan for p in cp["props"]], dtype="float64")
        load = fl.to_numpy() / cap * 100
        w, a, d = self.threshold(st, "checkpoint_load")
        parts.append(frame({
            "id": cp["entity_id"], "layer": self.id, "sublayer": "checkpoints", "kind": "checkpoint",
            "name_zh": cp["name_zh"], "name_en": cp["name_en"], "lon": cp["lon"], "lat": cp["lat"],
            "value": fl, "unit": "辆/时", "status": classify(load, w, a, d),
            "detail_zh": [f"{fmt_number(f, ' 辆/时', 'zh')} · 负荷 {x:.0f}%" for f, x in zip(fl, load)],
            "detail_en": [f"{fmt_number(f, 'veh/h', 'en')} · load {x:.0f}%" for f, x in zip(fl, load)],
            "indicator": "traffic_flow", "geometry": None}))
        # overload stations: overload cases in the last hour
        os_ = ents[ents["kind"] == "overload_station"]
        oc = os_["entity_id"].map(geo.latest_entity_values(st, reg, "overload_cases", at, 2.0)
                                  .set_index("entity_id")["value"]).astype("float64")
        tw = os_["entity_id"].map(geo.latest_entity_values(st, reg, "trucks_weighed", at, 2.0)
                                  .set_index("entity_id")["value"]).astype("float64")
        w, a, d = self.threshold(st, "overload_cases")
        parts.append(frame({
            "id": os_["entity_id"], "layer": self.id, "sublayer": "overload", "kind": "overload_station",
            "name_zh": os_["name_zh"], "name_en": os_["name_en"], "lon": os_["lon"], "lat": os_["lat"],
            "value": oc, "unit": "起", "status": classify(oc, w, a, d),
            "detail_zh": [f"近1小时称重 {fmt_number(t_, '辆', 'zh')}，超限超载 {fmt_number(c, '起', 'zh')}" for t_, c in zip(tw, oc)],
            "detail_en": [f"last hour: {fmt_number(t_, 'trucks', 'en')} weighed, {fmt_number(c, 'overloaded', 'en')}" for t_, c in zip(tw, oc)],
            "indicator": "overload_cases", "geometry": None}))
        # black spots (informational)
        bs = ents[ents["kind"] == "black_spot"]
        parts.append(frame({
            "id": bs["entity_id"], "layer": self.id, "sublayer": "black_spots", "kind": "black_spot",
            "name_zh": bs["name_zh"], "name_en": bs["name_en"], "lon": bs["lon"], "lat": bs["lat"],
            "value": [p.get("accidents_90d") for p in bs["props"]], "unit": "起", "status": "none",
            "detail_zh": [f"事故多发点：近90天 {p.get('accidents_90d')} 起（非轻微 {p.get('non_minor_90d')} 起）" for p in bs["props"]],
            "detail_en": [f"black spot: {p.get('accidents_90d')} accidents in 90 days ({p.get('non_minor_90d')} non-minor)" for p in bs["props"]],
            "indicator": None, "geometry": None}))
        # accidents of the last 24 h
        ev = geo.incidents_at(st, reg, "traffic", at, 24.0)
        due = ev["next_due"].fillna(ev["due_at"])
        overdue = (due < pd.Timestamp(at)).to_numpy()
        open_ = ev["step"].isin(["reported", "dispatched", "on_scene"]).to_numpy()
        serious = ev["severity"].isin(["serious", "major"]).to_numpy()
        status = np.where(overdue | serious, "alarm", np.where(open_, "warning", "normal"))
        parts.append(frame({
            "id": ev["event_id"], "layer": self.id, "sublayer": "accidents", "kind": "accident",
            "name_zh": ev["title_zh"], "name_en": ev["title_en"].fillna(ev["title_zh"]), "lon": ev["lon"], "lat": ev["lat"],
            "value": None, "unit": "", "status": status,
            "detail_zh": [f"{STEP_ZH[s]} · 报警 {r:%m-%d %H:%M}" + (" · 超时" if o else "")
                          for s, r, o in zip(ev["step"], ev["reported_at"], overdue)],
            "detail_en": [f"{STEP_EN[s]} · reported {r:%m-%d %H:%M}" + (" · overdue" if o else "")
                          for s, r, o in zip(ev["step"], ev["reported_at"], overdue)],
            "indicator": None, "geometry": None}))
        return pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else empty_features()

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        on = set(sublayers)
        seg = feats[feats["sublayer"] == "segments"]
        out: list[Any] = []
        for s in ("none", "normal", "warning", "alarm"):
            part = seg[seg["status"] == s]
            lon: list[float | None] = []
            lat: list[float | None] = []
            for g in part["geometry"]:
                xs, ys = g.xy
                lon += [*map(float, xs), None]
                lat += [*map(float, ys), None]
            out.append(go.Scattermap(uid=f"traffic-seg-{s}", lon=lon, lat=lat, mode="lines", hoverinfo="skip",
                                     line={"color": STATUS_COLOURS[s], "width": 6 if compact else 4.5},
                                     visible="segments" in on, showlegend=False))
        out.append(point_trace("traffic-seg-mid", seg, lang, status_colours(seg["status"]), 7, "segments" in on))
        cp = feats[feats["sublayer"] == "checkpoints"]
        fl = cp["value"].astype("float64").fillna(0).to_numpy()
        size = 8 + 14 * np.sqrt(fl / max(fl.max(initial=0), 1))
        out.append(point_trace("traffic-checkpoints", cp, lang, status_colours(cp["status"]), size, "checkpoints" in on))
        ov = feats[feats["sublayer"] == "overload"]
        out.append(point_trace("traffic-overload", ov, lang, status_colours(ov["status"]), 13, "overload" in on))
        bs = feats[feats["sublayer"] == "black_spots"]
        out.append(point_trace("traffic-black-spots", bs, lang, BLACK_SPOT, 15, "black_spots" in on, 0.55))
        ac = feats[feats["sublayer"] == "accidents"]
        out.append(point_trace("traffic-accidents", ac, lang, status_colours(ac["status"]), 11, "accidents" in on))
        out.append(halo_trace("traffic-halo", feats[feats["sublayer"].isin(on)]))
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
