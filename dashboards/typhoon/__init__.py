"""防台风 Typhoon defence: a stored typhoon replayed as if live — the track, the 30-/50-kt wind circles
and the next 24/48 h of positions on a map; the exposure of every town, port, shelter and reservoir
(sorted by the 30-kt circle's arrival); the simulated fleet heading back to port against
latitude-band deadlines; people moved and shelters (simulated); reservoirs over their flood-limit
level; rainfall at the region's stations as the storm passes; the response level (IV → I). A replay clock (1×–3600×) drives every board.

The module's views serve the page's default storm and replay time; the exposure and rainfall tables
of any other storm or time export through ``/api/v1/typhoons/<id>/exposure.csv`` and ``rainfall.csv``
(the same rows functions)."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from citybrain import kpi, ui, views
from citybrain.i18n import register, t
from citybrain.registry import DashboardModule
from citybrain.typhoon import fleet as fl
from citybrain.typhoon import replay as rp
from citybrain.views import View, ViewContext

from . import boards
from .callbacks import SPEEDS, P, register_callbacks

register({
    "typhoon.title": ("防台风", "Typhoon defence"),
    "typhoon.intro": ("台风最佳路径回放：风圈（7 级 30 kt、10 级 50 kt，JMA 风圈半径）、影响范围内的乡镇渔港避灾点水库、渔船回港、"
                      "人员转移与安置（模拟）、水库超汛限、应急响应等级。",
                      "A best track replayed as if live: wind circles (30 kt ≈ force 7, 50 kt ≈ force 10, JMA radii), "
                      "towns, ports, shelters and reservoirs in their path, boats back to port, people moved and shelters "
                      "(simulated), reservoirs over flood limit, rainfall along the track, response level."),
    "typhoon.storm": ("台风", "Storm"), "typhoon.play": ("▶ 回放", "▶ Play"), "typhoon.pause": ("❚❚ 暂停", "❚❚ Pause"),
    "typhoon.speed": ("倍速", "Speed"), "typhoon.replay_at": ("回放时刻", "Replay time"),
    "typhoon.map": ("路径与风圈（后 24/48 小时位置为回放实况）", "Track and wind circles (next 24/48 h from the best track)"),
    "typhoon.map.track": ("最佳路径", "Best track"), "typhoon.map.fixes": ("路径点（色：强度）", "Fixes (colour: grade)"),
    "typhoon.map.r30": ("7 级风圈（30 kt）", "30-kt circle (force 7)"), "typhoon.map.r50": ("10 级风圈（50 kt）", "50-kt circle (force 10)"),
    "typhoon.map.centre": ("台风中心", "Centre"), "typhoon.map.next": ("未来 24/48 小时位置", "Next 24/48 h"),
    "typhoon.map.boats": ("在海渔船（模拟）", "Boats at sea (simulated)"),
    "typhoon.no_radii": ("该机构（CMA）最佳路径不含风圈半径：不绘制风圈，也不计算风圈到达时间（决不臆造）。选择 JMA 路径可查看风圈。",
                         "This agency's (CMA) best track gives no wind radii: no circle is drawn and no arrival computed "
                         "(never invented). Pick the JMA track to see the circles."),
    "typhoon.exposure": ("影响范围（按 7 级风圈到达时间排序）", "In the path (by arrival of the 30-kt circle)"),
    "typhoon.vessels": ("渔船回港（模拟）", "Boats back to port (simulated)"),
    "typhoon.vessels.alarm": ("■ {n} 艘渔船仍在 7 级风圈内！", "■ {n} boat(s) still inside the 30-kt circle!"),
    "typhoon.vessels.ok": ("● 无渔船在 7 级风圈内", "● No boat inside the 30-kt circle"),
    "typhoon.bands": ("分纬度回港时限（提前小时数可调）", "Back-to-port deadline by latitude band (lead hours adjustable)"),
    "typhoon.people": ("人员转移（模拟）：计划与已转移", "People moved (simulated): planned vs moved"),
    "typhoon.shelters": ("避灾安置点在安置人数与容量（模拟）", "Shelter occupants vs capacity (simulated)"),
    "typhoon.reservoirs": ("水库水位与汛限水位（模拟序列）", "Reservoir level vs flood limit (simulated series)"),
    "typhoon.rainfall": ("沿路径降雨：各站小时雨量与过程雨量（水利站点，模拟序列）",
                         "Rainfall along the track: hourly and storm rain at the stations (water stations, simulated series)"),
    "typhoon.col.station": ("站点", "Station"), "typhoon.col.rain_1h_mm": ("1 小时雨量（毫米）", "Last hour (mm)"),
    "typhoon.col.rain_24h_mm": ("24 小时雨量（毫米）", "Last 24 h (mm)"), "typhoon.col.storm_mm": ("过程雨量（毫米）", "Storm total (mm)"),
    "typhoon.col.max_1h_mm": ("最大小时雨量（毫米）", "Wettest hour (mm)"),
    "typhoon.levels": ("应急响应等级（按风圈到达时间推算，非历史指令）", "Response level (derived from the circle's arrival, not the historical orders)"),
    "typhoon.none": ("本地区无台风路径记录", "No typhoon track for this region"),
    "typhoon.col.kind": ("类别", "Kind"), "typhoon.col.name": ("名称", "Name"), "typhoon.col.distance_km": ("距中心（公里）", "To centre (km)"),
    "typhoon.col.in_30kt": ("7 级风圈内", "In 30-kt"), "typhoon.col.in_50kt": ("10 级风圈内", "In 50-kt"),
    "typhoon.col.arrival_30kt": ("7 级风圈到达", "30-kt arrival"), "typhoon.col.closest_km": ("最近距离（公里）", "Closest (km)"),
    "typhoon.col.closest_time": ("最近时刻", "Closest at"), "typhoon.col.vessel": ("渔船", "Vessel"), "typhoon.col.state": ("状态", "State"),
    "typhoon.col.band": ("纬度带", "Band"), "typhoon.col.to_circle_km": ("距 7 级风圈（公里）", "To 30-kt circle (km)"),
    "typhoon.col.deadline": ("回港时限", "Deadline"), "typhoon.col.straggler": ("滞留", "Straggler"), "typhoon.col.lead_h": ("提前（小时）", "Lead (h)"),
    "typhoon.col.reach": ("7 级风圈到达", "30-kt arrival"), "typhoon.col.reservoir": ("水库", "Reservoir"), "typhoon.col.level_m": ("水位（米）", "Level (m)"),
    "typhoon.col.flood_limit_m": ("汛限水位（米）", "Flood limit (m)"), "typhoon.col.over_m": ("超汛限（米）", "Over limit (m)"),
})


def default_at(store, track_id: str, region: str) -> pd.Timestamp:
    """While a live replay plays this storm (``citybrain simulate --typhoon``), the storm time of its
    latest live position; else the page opens 24 h before the 30-kt circle first reaches the region
    (level II), else 24 h before landfall, within the track."""
    live = rp.live_replay(store, region)
    if live is not None and live[0] == track_id:
        return live[1].floor("10min")
    meta = rp.storm_meta(store, track_id)
    lv = rp.response_levels(store, track_id, region)
    ref = lv["start"].iloc[min(2, len(lv) - 1)] if len(lv) else rp.default_time(meta) - pd.Timedelta(hours=24)
    return pd.Timestamp(min(max(pd.Timestamp(ref), meta["first_ts"]), meta["last_ts"])).floor("10min")


def _default(ctx: ViewContext) -> tuple[str | None, pd.Timestamp | None]:
    tid = rp.default_track(ctx.store, ctx.region)
    return (tid, default_at(ctx.store, tid, ctx.region)) if tid else (None, None)


def _view(fn, columns: tuple[str, ...]):
    def rows(ctx: ViewContext) -> pd.DataFrame:
        tid, at = _default(ctx)
        return fn(ctx, tid, at) if tid else pd.DataFrame({c: [] for c in columns})
    return rows


EXPOSURE = View("exposure", "影响范围（默认台风与回放时刻）", "In the path (default storm and replay time)",
                _view(lambda c, tid, at: boards.exposure_rows(c.store, tid, c.region, at, c.lang), boards.EXPOSURE_COLUMNS))
VESSELS = View("vessels", "在海渔船（模拟）", "Boats at sea (simulated)",
               _view(lambda c, tid, at: boards.vessel_rows(c.store, tid, c.region, at, fl.Bands(), c.lang),
                     boards.VESSEL_COLUMNS))
SHELTERS = View("shelters", "避灾安置点（模拟）", "Shelters (simulated)",
                _view(lambda c, tid, at: boards.shelter_rows(c.store, tid, c.region, at, c.lang), boards.SHELTER_COLUMNS))
RAINFALL = View("rainfall", "沿路径降雨（默认台风与回放时刻）", "Rainfall along the track (default storm and replay time)",
                _view(lambda c, tid, at: boards.rain_rows(c.store, tid, c.region, at, c.lang), boards.RAIN_COLUMNS))
RESERVOIRS = View("reservoirs", "水库与汛限水位", "Reservoirs vs flood limit",
                  _view(lambda c, tid, at: boards.reservoir_rows(c.store, c.region, at, c.lang), boards.RESERVOIR_COLUMNS))


#: Columns of names: twice the room of a number column, the whole name as a tooltip (never "Hepu Midd…").
_NAMES = ("name", "station", "vessel")
#: Yes/no columns: narrow.
_FLAGS = ("in_30kt", "in_50kt", "straggler")


def _grid(key: str, lang: str, cols: list[str], height: str | None = "320px", rows: list | None = None) -> html.Div:
    defs = [{"field": c, "headerName": t(f"typhoon.col.{c}", lang),
             **({"flex": 2, "minWidth": 170, "tooltipField": c} if c in _NAMES else
                {"minWidth": 76} if c in _FLAGS else {})} for c in cols]
    defs[0]["cellClassRules"] = {"kpi-cell-alarm": "params.data.status == 'alarm'",
                                 "kpi-cell-warning": "params.data.status == 'warning'"}
    return ui.grid(f"{P}-{key}-grid", rows or [], defs, lang, height=height)


def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The typhoon page of ``region`` (the boards are filled by the replay callback)."""
    store, region, lang, at = kpi.resolve(region, lang)
    storms = rp.region_storms(store, region)
    if storms.empty:
        return ui.page(P, t("typhoon.title", lang), t("typhoon.intro", lang), region, lang,
                       [html.P(t("typhoon.none", lang), className="dash-empty")])  # live: a storm may come
    tid = rp.default_track(store, region)
    rows = views.reader(P, store, region, lang, at)  # the views' default storm and replay time, as the clock opens
    opts = [{"label": (f"{r.name_zh}（{r.intl_no}）· {r.agency}" if lang == "zh" else f"{r.name_en.title()} ({r.intl_no}) · {r.agency}")
             + ("" if r.has_radii else (" · 无风圈" if lang == "zh" else " · no radii")), "value": r.track_id}
            for r in storms.itertuples()]
    cfg = ui.graph_config(lang, displayModeBar=False)
    leads = html.Div(className="typhoon-leads", children=[
        html.Label([b, dcc.Input(id=f"{P}-lead-{i}", type="number", min=0, max=96, step=1, value=h, debounce=True,
                                 className="typhoon-lead")])
        for i, (b, h) in enumerate(zip([fl.Bands().label(i) for i in range(len(fl.Bands().edges))], fl.Bands().lead_h))])
    # not redrawn on pushed data: its clock and replay are the reader's (the boards follow the clock)
    return ui.page(P, t("typhoon.title", lang), t("typhoon.intro", lang), region, lang, live=False, children=[
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        dcc.Interval(id=f"{P}-tick", interval=1000, disabled=True),
        dcc.Store(id=f"{P}-clock", data=None),
        dcc.Store(id=f"{P}-screen", data=None),
        html.Div(className="typhoon-bar", children=[
            html.Label(t("typhoon.storm", lang)),
            dcc.Dropdown(id=f"{P}-storm", options=opts, value=tid, clearable=False, searchable=False,
                         className="typhoon-storm"),
            html.Button(t("typhoon.play", lang), id=f"{P}-play", n_clicks=0, className="map-play"),
            html.Label(t("typhoon.speed", lang)),
            dcc.Dropdown(id=f"{P}-speed", options=[{"label": f"{s}×", "value": s} for s in SPEEDS], value=600,
                         clearable=False, searchable=False, className="map-speed"),
            html.Span(id=f"{P}-time", className="typhoon-time"),
            html.Span(id=f"{P}-level", className="typhoon-level"),
            html.Div(className="typhoon-slider", children=[dcc.Slider(
                id=f"{P}-slider", min=0, max=1, step=1, value=0, updatemode="mouseup", marks=None,
                allow_direct_input=False)]),
        ]),
        html.P(id=f"{P}-note", className="typhoon-note"),
        html.Div(className="dash-grid typhoon-grid", children=[
            ui.section(P, "map", t("typhoon.map", lang), [
                dcc.Graph(id=f"{P}-graph", className="typhoon-graph", config=ui.graph_config(lang, displaylogo=False, scrollZoom=True))]),
            ui.section(P, "exposure", t("typhoon.exposure", lang), [
                _grid("exposure", lang, ["kind", "name", "distance_km", "in_30kt", "in_50kt", "arrival_30kt", "closest_km",
                                         "closest_time"], "560px", views.json_rows(rows(EXPOSURE)))],
                views.export(P, "exposure", region, lang)),
            ui.section(P, "vessels", t("typhoon.vessels", lang), [
                html.Div(id=f"{P}-alarm", className="typhoon-alarm"),
                dcc.Graph(id=f"{P}-fleet", config=cfg),
                _grid("vessels", lang, ["vessel", "state", "band", "to_circle_km", "deadline", "straggler"], "260px",
                      views.json_rows(rows(VESSELS)))]),
            ui.section(P, "bands", t("typhoon.bands", lang), [leads, _grid("bands", lang, ["band", "lead_h", "reach", "deadline"], None)]),
            ui.section(P, "levels", t("typhoon.levels", lang), [dcc.Graph(id=f"{P}-levels-graph", config=cfg)]),
            ui.section(P, "people", t("typhoon.people", lang), [dcc.Graph(id=f"{P}-people-graph", config=cfg)]),
            ui.section(P, "shelters", t("typhoon.shelters", lang), [dcc.Graph(id=f"{P}-shelters-graph", config=cfg)]),
            ui.section(P, "reservoirs", t("typhoon.reservoirs", lang), [
                _grid("reservoirs", lang, ["name", "level_m", "flood_limit_m", "over_m"], "260px",
                      views.json_rows(rows(RESERVOIRS)))]),
            ui.section(P, "rainfall", t("typhoon.rainfall", lang), [
                dcc.Graph(id=f"{P}-rain-graph", config=cfg),
                _grid("rainfall", lang, ["station", "kind", "rain_1h_mm", "rain_24h_mm", "storm_mm", "max_1h_mm",
                                         "distance_km", "closest_km"], "220px", views.json_rows(rows(RAINFALL)))],
                views.export(P, "rainfall", region, lang)),
        ]),
    ])


MODULE = DashboardModule(
    nav_en="Typhoon",
    id=P, title_zh="防台风", title_en="Typhoon defence", path=f"/d/{P}", layout=layout, order=55,
    datasets=("typhoon", "fisheries", "emergency", "water"), layers=("emergency",),
    description_zh="台风回放：风圈、影响范围、渔船回港、人员转移、水库超汛限、沿路径降雨、应急响应等级。",
    description_en="Typhoon replay: wind circles, places in the path, boats back to port, people moved, "
                   "reservoirs over flood limit, rainfall along the track, response level.",
    register_callbacks=register_callbacks, views=(EXPOSURE, VESSELS, SHELTERS, RESERVOIRS, RAINFALL),
)
