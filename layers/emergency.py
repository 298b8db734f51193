"""Emergency layer: typhoon best track (time, intensity), shelters by occupancy, supply depots by
reserve ratio, rescue teams, and incidents by life-cycle step with overdue ones marked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from citybrain.i18n import fmt_number, register
from citybrain.queries import geo
from citybrain.store.tables import properties

from .base import (STATUS_COLOURS, Layer, LayerContext, LegendItem, Part, SubLayer, assemble, by_sublayer,
                   classify, columns, halo_trace, lookup, minutes, overdue_at, part, point_trace, status_colours,
                   status_legend, value_map)
from .traffic import STEP_EN, STEP_ZH

STEP_COLOURS = {"reported": "#ff8c42", "dispatched": "#f5b400", "on_scene": "#35c2ff", "resolved": "#2ecc71",
                "closed": "#8fb3d1"}
TEAM = "#b0c4de"
#: GB/T 19201-2006 grades by 2-minute wind (m/s).
GRADES = [(51.0, "超强台风", "Super typhoon"), (41.5, "强台风", "Severe typhoon"), (32.7, "台风", "Typhoon"),
          (24.5, "强热带风暴", "Severe tropical storm"), (17.2, "热带风暴", "Tropical storm"),
          (10.8, "热带低压", "Tropical depression"), (0.0, "低压", "Low")]


def grade_of(wind: float, lang: str) -> str:
    if wind is None or np.isnan(wind):
        return "—"
    for lim, zh, en in GRADES:
        if wind >= lim:
            return zh if lang == "zh" else en
    return "—"


def pick_track(ctx: LayerContext) -> dict[str, Any] | None:
    """The typhoon passage to draw (one row of ``geo.typhoons``): the one asked for, else one whose
    track spans ``ctx.at``."""
    tp = geo.typhoons(ctx.store, ctx.region)
    if ctx.track_id:
        hit = np.flatnonzero(tp["track_id"] == ctx.track_id)
    else:
        at = np.datetime64(ctx.at)
        hit = np.flatnonzero((tp["first_ts"] <= at) & (tp["last_ts"] >= at))
    return {c: a[hit[0]] for c, a in tp.items()} if len(hit) else None


class EmergencyLayer(Layer):
    """Typhoon, shelters, depots, rescue teams and incidents."""

    def _typhoon(self, ctx: LayerContext) -> list[Part]:
        """The passage's best track up to ``ctx.at`` and its centre now (no parts when none is in play)."""
        tr = pick_track(ctx)
        if tr is None:
            return []
        pts = geo.typhoon_track(ctx.store, tr["track_id"])
        at = pd.Timestamp(ctx.at)
        n = int((pts["ts"] <= np.datetime64(ctx.at)).sum())  # best-track points up to now (time order)
        if not n:
            return []
        past = {c: a[:n] for c, a in pts.items()}
        now = {c: a[n - 1] for c, a in pts.items()}
        if n < len(pts["ts"]):  # interpolate between best-track points
            f = (np.datetime64(ctx.at) - now["ts"]) / (pts["ts"][n] - now["ts"])
            for c in ("lon", "lat"):
                now[c] = now[c] + f * (pts[c][n] - now[c])
        wind = float(now["wind_ms"])
        w, a, d = self.threshold(ctx.store, "typhoon_wind")
        status = classify([wind], w, a, d)[0]
        hours = [t[:13] for t in np.datetime_as_string(past["ts"], unit="h").tolist()]  # 'YYYY-MM-DDTHH'
        track = part({
            "id": [f"{tr['track_id']}@{h[:4]}{h[5:7]}{h[8:10]}{h[11:13]}" for h in hours], "layer": self.id,
            "sublayer": "typhoon_track", "kind": "typhoon_point",
            "name_zh": [f"{tr['name_zh']} {h[5:10]} {h[11:13]}时" for h in hours],
            "name_en": [f"{tr['name_en']} {h[5:10]} {h[11:13]}:00" for h in hours], "lon": past["lon"], "lat": past["lat"],
            "value": past["wind_ms"], "unit": "m/s", "status": "none",
            "detail_zh": [f"{grade_of(x, 'zh')} · {fmt_number(x, ' m/s', 'zh')} · {fmt_number(p, ' hPa', 'zh')}"
                          for x, p in zip(past["wind_ms"], past["pressure_hpa"])],
            "detail_en": [f"{grade_of(x, 'en')} · {fmt_number(x, 'm/s', 'en')} · {fmt_number(p, 'hPa', 'en')}"
                          for x, p in zip(past["wind_ms"], past["pressure_hpa"])],
            "indicator": None, "geometry": None})
        centre = part({
            "id": [tr["track_id"]], "layer": self.id, "sublayer": "typhoon", "kind": "typhoon",
            "name_zh": [f"台风 {tr['name_zh']}（{tr['track_id']}）"], "name_en": [f"Typhoon {tr['name_en']} ({tr['track_id']})"],
            "lon": [now["lon"]], "lat": [now["lat"]], "value": [wind], "unit": "m/s", "status": [status],
            "detail_zh": [f"{at:%Y-%m-%d %H:%M} {grade_of(wind, 'zh')} · 最大风速 {fmt_number(wind, ' m/s', 'zh')} · "
                          f"{fmt_number(now['pressure_hpa'], ' hPa', 'zh')}"],
            "detail_en": [f"{at:%Y-%m-%d %H:%M} {grade_of(wind, 'en')} · max wind {fmt_number(wind, 'm/s', 'en')} · "
                          f"{fmt_number(now['pressure_hpa'], 'hPa', 'en')}"],
            "indicator": None, "geometry": None})
        return [track, centre]

    def features(self, ctx: LayerContext) -> pd.DataFrame:
        st, reg, at = ctx.store, ctx.region, ctx.at
        parts = self._typhoon(ctx)
        ents = geo.layer_entities(st, reg, ("shelter", "depot", "rescue_team", "hazard_site"))
        E = ents  # noqa: N806 (numpy columns)
        props = np.array([properties(p) for p in E["properties"]] + [None],
                         dtype=object)[:-1]
        kind = E["kind"]
        m = kind == "shelter"
        vals = geo.latest_values_many(st, reg, at, (("shelter_occupancy", 3.0), ("shelter_occupancy_rate", 3.0)))
        occ = lookup(value_map(vals, "shelter_occupancy"), E["entity_id"][m])
        rate = lookup(value_map(vals, "shelter_occupancy_rate"), E["entity_id"][m])
        cap = [p.get("capacity") for p in props[m]]
        w, a, d = self.threshold(st, "shelter_occupancy_rate")
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "shelters", "kind": "shelter",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": rate, "unit": "%", "status": classify(rate, w, a, d),
            "detail_zh": [f"在安置 {fmt_number(o, ' 人', 'zh')} / 容量 {fmt_number(c, ' 人', 'zh')} · 容纳率 {r:.0f}%"
                          for o, c, r in zip(occ, cap, rate)],
            "detail_en": [f"{fmt_number(o, 'people', 'en')} of {fmt_number(c, '', 'en')} · occupancy {r:.0f}%"
                          for o, c, r in zip(occ, cap, rate)],
            "indicator": "shelter_occupancy_rate", "geometry": None}))
        m = kind == "depot"
        rr = lookup(value_map(geo.latest_values_many(st, reg, at, (("depot_reserve_ratio", 49.0),)),
                              "depot_reserve_ratio"), E["entity_id"][m])
        w, a, d = self.threshold(st, "depot_reserve_ratio")
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "depots", "kind": "depot",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": rr, "unit": "%", "status": classify(rr, w, a, d),
            "detail_zh": [f"储备达标率 {fmt_number(r, '%', 'zh')}（<110% 预警，<100% 告警）" for r in rr],
            "detail_en": [f"reserve ratio {fmt_number(r, '%', 'en')} (<110% warning, <100% alarm)" for r in rr],
            "indicator": "depot_reserve_ratio", "geometry": None}))
        m = kind == "rescue_team"
        tp = props[m]
        parts.append(part({
            "id": E["entity_id"][m], "layer": self.id, "sublayer": "teams", "kind": "rescue_team",
            "name_zh": E["name_zh"][m], "name_en": E["name_en"][m], "lon": E["lon"][m], "lat": E["lat"][m],
            "value": [p.get("headcount") for p in tp], "unit": "人", "status": "none",
            "detail_zh": [f"救援队伍 · {fmt_number(p.get('headcount'), ' 人', 'zh')}" for p in tp],
            "detail_en": [f"rescue team · {fmt_number(p.get('headcount'), 'people', 'en')}" for p in tp],
            "indicator": None, "geometry": None}))
        ev = geo.incidents_at(st, reg, "emergency", at, 24.0 * 30)
        overdue = overdue_at(ev, at)
        step = ev["step"]
        open_ = np.isin(step, ["reported", "dispatched", "on_scene"])
        rep = minutes(ev["reported_at"])
        due = [u if o else "" for u, o in zip(minutes(np.where(np.isnat(ev["next_due"]), ev["due_at"], ev["next_due"])),
                                              overdue)]
        title_zh = ev["title_zh"]
        parts.append(part({
            "id": ev["event_id"], "layer": self.id, "sublayer": "incidents", "kind": ["incident_" + s for s in step],
            "name_zh": title_zh, "name_en": [e if isinstance(e, str) else z for e, z in zip(ev["title_en"], title_zh)],
            "lon": ev["lon"], "lat": ev["lat"],
            "value": None, "unit": "", "status": np.where(overdue, "alarm", np.where(open_, "warning", "normal")),
            "detail_zh": [f"{k or ''} · {STEP_ZH[s]} · 接报 {r}" + (f" · 超时（时限 {u}）" if o else "")
                          for k, s, r, o, u in zip(ev["kind_zh"], step, rep, overdue, due)],
            "detail_en": [f"{STEP_EN[s]} · reported {r}" + (f" · overdue (due {u})" if o else "")
                          for s, r, o, u in zip(step, rep, overdue, due)],
            "indicator": None, "geometry": None}))
        return assemble(parts)

    def traces(self, ctx, feats, lang, sublayers, compact=False) -> list[Any]:
        on = set(sublayers)
        cols = columns(feats)
        ty = by_sublayer(cols, "typhoon_track")
        centre = by_sublayer(cols, "typhoon")
        wind = np.nan_to_num(ty["value"].astype("float64"), nan=0.0)
        sh = by_sublayer(cols, "shelters")
        dp = by_sublayer(cols, "depots")
        tm = by_sublayer(cols, "teams")
        inc = by_sublayer(cols, "incidents")
        step = [k.removeprefix("incident_") for k in inc["kind"]]
        return [
            {"type": "scattermap", "uid": "emergency-typhoon-line", "lon": ty["lon"].astype("float64").tolist(),
             "lat": ty["lat"].astype("float64").tolist(), "mode": "lines", "line": {"color": "#ff6b9a", "width": 3},
             "hoverinfo": "skip", "visible": "typhoon" in on, "showlegend": False},
            point_trace("emergency-typhoon-points", ty, lang,
                        [STATUS_COLOURS["alarm"] if x >= 32.7 else STATUS_COLOURS["warning"] if x >= 17.2 else "#8fb3d1"
                         for x in wind], 9, "typhoon" in on),
            point_trace("emergency-shelters", sh, lang, status_colours(sh["status"]), 12, "shelters" in on),
            point_trace("emergency-depots", dp, lang, status_colours(dp["status"]), 12, "depots" in on),
            point_trace("emergency-teams", tm, lang, TEAM, 9, "teams" in on, 0.8),
            point_trace("emergency-incidents", inc, lang, [STEP_COLOURS[s] for s in step], 11, "incidents" in on),
            halo_trace("emergency-halo", by_sublayer(cols, *(on - {"typhoon_track"}))),
            point_trace("emergency-typhoon", centre, lang, "#ff6b9a", 30, "typhoon" in on, 0.95),
        ]

    def legend_note(self, ctx: LayerContext, feats: pd.DataFrame, lang: str) -> str | None:
        """Where to find a typhoon when the time drawn has none."""
        from citybrain.i18n import t

        return None if (feats["sublayer"] == "typhoon").any() else t("layers.no_typhoon", lang)

    def legend(self, lang: str) -> list[LegendItem]:
        return [LegendItem("台风路径（点色：≥热带风暴 黄，≥台风 红）", "Typhoon track (point: ≥ tropical storm yellow, ≥ typhoon red)",
                           "#ff6b9a", "line"),
                *status_legend("避灾安置点容纳率", "Shelter occupancy", "<80%；≥80% 预警；≥95% 告警",
                               "<80%; ≥80% warning; ≥95% alarm"),
                LegendItem("物资储备库（按储备达标率着色）", "Supply depot (coloured by reserve ratio)", STATUS_COLOURS["normal"], "ring"),
                LegendItem("救援队伍", "Rescue team", TEAM, "dot"),
                *[LegendItem(f"事件：{STEP_ZH[s]}", f"Incident: {STEP_EN[s]}", c, "dot") for s, c in STEP_COLOURS.items()
                  if s != "closed"],
                LegendItem("■ 超时事件（红圈）", "■ Overdue incident (red ring)", STATUS_COLOURS["alarm"], "ring", "alarm")]


register({"layers.no_typhoon": ("此时段无台风；可在“回放时段”中选择台风过程。",
                                 "No typhoon in this window; pick a typhoon passage under Replay window.")})

LAYER = EmergencyLayer(
    id="emergency", title_zh="应急管理", title_en="Emergency", domain="emergency", dataset="emergency",
    sublayers=(SubLayer("typhoon", "台风路径", "Typhoon track"), SubLayer("shelters", "避灾安置点", "Shelters"),
               SubLayer("depots", "物资储备库", "Supply depots"), SubLayer("teams", "救援队伍", "Rescue teams"),
               SubLayer("incidents", "突发事件", "Incidents")),
    thresholds={"typhoon_wind": (17.2, 32.7, "down")}, dynamic=True, takes_track=True)
