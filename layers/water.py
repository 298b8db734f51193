"""Water layer: river and tide stations and reservoirs coloured by level against each station's own
warning and guarantee levels (entity properties), and hourly rainfall at every station."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from citybrain.i18n import fmt_number
from citybrain.queries import geo
from citybrain.store import Store, nrows
from citybrain.store.tables import properties

from .base import (STATUS_COLOURS, Layer, LayerContext, LegendItem, SubLayer, assemble, by_sublayer, classify,
                   columns, empty_features, halo_trace, lookup, part, point_trace, status_colours, status_legend,
                   value_map)

KINDS = ("reservoir", "river_station", "tide_station")
RAIN = "#4aa8ff"


def _suffix(values: np.ndarray, suffix: str) -> list[Any]:
    """Each string with ``suffix`` appended (a missing value stays missing, as pandas' ``+`` does)."""
    return [v + suffix if isinstance(v, str) else v for v in values.tolist()]


class WaterLayer(Layer):
    """Water levels and rainfall."""

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        st, reg, at = ctx.store, ctx.region, ctx.at
        ents = geo.layer_entities(st, reg, KINDS)
        if not nrows(ents):
            return empty_features()
        props = [properties(p) for p in ents["properties"]]
        warn = np.array([p.get("warning_level_m") or np.nan for p in props], dtype="float64")
        guar = np.array([p.get("guarantee_level_m") or np.nan for p in props], dtype="float64")
        vals = geo.latest_values_many(st, reg, at, (("water_level", 3.0), ("reservoir_storage_rate", 3.0),
                                                    ("rainfall_1h", 2.0)))
        eid, kind, nzh, nen = ents["entity_id"], ents["kind"], ents["name_zh"], ents["name_en"]
        lon, lat = ents["lon"], ents["lat"]
        lvl = lookup(value_map(vals, "water_level"), eid)
        rate = lookup(value_map(vals, "reservoir_storage_rate"), eid)
        status = classify(lvl, warn, guar, "down")  # each station's own warning / guarantee level

        def det(lang: str) -> list[str]:
            out = []
            for k, l_, w, g, r, p in zip(kind, lvl, warn, guar, rate, props):
                wn = p.get("warning_name_zh", "警戒水位") if lang == "zh" else "warning"
                gn = p.get("guarantee_name_zh", "保证水位") if lang == "zh" else "guarantee"
                s = (f"水位 {fmt_number(l_, ' m', 'zh', 2)}（{wn} {w:.2f} m，{gn} {g:.2f} m）" if lang == "zh"
                     else f"level {fmt_number(l_, 'm', 'en', 2)} ({wn} {w:.2f} m, {gn} {g:.2f} m)")
                if k == "reservoir" and not np.isnan(r):
                    s += f" · {'蓄水率' if lang == 'zh' else 'storage'} {r:.0f}%"
                out.append(s)
            return out

        sub = np.where(kind == "reservoir", "reservoirs", "stations")
        levels = part({
            "id": eid, "layer": self.id, "sublayer": sub, "kind": kind,
            "name_zh": nzh, "name_en": nen, "lon": lon, "lat": lat,
            "value": lvl, "unit": "m", "status": status, "detail_zh": det("zh"), "detail_en": det("en"),
            "indicator": "water_level", "geometry": None})
        rain = lookup(value_map(vals, "rainfall_1h"), eid)
        w, a, d = self.threshold(st, "rainfall_1h")
        rains = part({
            "id": _suffix(eid, "#rain"), "layer": self.id, "sublayer": "rainfall", "kind": "rain_gauge",
            "name_zh": _suffix(nzh, " 雨量"), "name_en": _suffix(nen, " rainfall"),
            "lon": lon, "lat": lat, "value": rain, "unit": "mm", "status": classify(rain, w, a, d),
            "detail_zh": [f"近1小时雨量 {fmt_number(r, ' mm', 'zh')}" for r in rain],
            "detail_en": [f"rain in the last hour {fmt_number(r, 'mm', 'en')}" for r in rain],
            "indicator": "rainfall_1h", "geometry": None})
        return assemble([levels, rains])

    def raised_thresholds(self, store: Store, raised: pd.DataFrame) -> list[float | None]:
        """A station's own warning / guarantee level (from its properties) for its level; the
        indicator's thresholds for rainfall."""
        levels = raised[raised["indicator"] == "water_level"]
        props: dict[str, dict] = {}
        if len(levels):
            ents = geo.entities_by_id(store, tuple(levels["id"].tolist()))
            props = {e: properties(p) for e, p in zip(ents["entity_id"], ents["properties"])}
        base = super().raised_thresholds(store, raised)
        out: list[float | None] = []
        for fid, ind, st, b in zip(raised["id"].tolist(), raised["indicator"].tolist(), raised["status"].tolist(), base):
            if ind == "water_level":
                p = props.get(fid, {})
                out.append(p.get("guarantee_level_m") if st == "alarm" else p.get("warning_level_m"))
            else:
                out.append(b)
        return out

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        on = set(sublayers)
        cols = columns(feats)
        rn = by_sublayer(cols, "rainfall")
        r = np.nan_to_num(rn["value"].astype("float64"), nan=0.0)
        rsize = 10 + 4 * np.sqrt(r) * (1.4 if compact else 1)
        st = by_sublayer(cols, "stations")
        rs = by_sublayer(cols, "reservoirs")
        return [
            point_trace("water-rainfall", rn, lang, RAIN, np.minimum(rsize, 40), "rainfall" in on, 0.35),
            point_trace("water-stations", st, lang, status_colours(st["status"]), 11, "stations" in on),
            point_trace("water-reservoirs", rs, lang, status_colours(rs["status"]), 15, "reservoirs" in on),
            halo_trace("water-halo", by_sublayer(cols, *on)),
        ]

    def legend(self, lang: str) -> list[LegendItem]:
        return [*status_legend("水位", "Water level", "低于警戒（汛限）水位；≥警戒 预警；≥保证 告警",
                               "below warning level; ≥ warning level: warning; ≥ guarantee level: alarm"),
                LegendItem("水库（大圆）/ 河道、潮位站（小圆）", "Reservoir (large) / river or tide station (small)",
                           STATUS_COLOURS["normal"], "ring"),
                LegendItem("小时雨量（圆越大雨越大；≥20 mm 预警，≥50 mm 告警）",
                           "Hourly rainfall (bigger = more rain; ≥20 mm warning, ≥50 mm alarm)", RAIN, "dot")]


LAYER = WaterLayer(
    id="water", title_zh="智慧水利", title_en="Water", domain="water", dataset="water",
    sublayers=(SubLayer("stations", "河道与潮位站", "River and tide stations"), SubLayer("reservoirs", "水库", "Reservoirs"),
               SubLayer("rainfall", "雨量", "Rainfall")))
