"""智慧水利 / 防汛防台 Water and flood defence: stations over warning level, rainfall accumulations,
reservoir storage and the typhoon in play."""

from __future__ import annotations

import pandas as pd
from dash import Dash, dcc, html

from citybrain import kpi, views

from citybrain.ui import drill
from citybrain.ui.figures import graph_config
from citybrain.i18n import fmt_number, register, t
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.semantics.status import label as status_label
from citybrain.semantics.status import status as sem_status
from citybrain.store.tables import properties
from citybrain.ui import grid
from citybrain.views import View, ViewContext
from citybrain import ui

P = "water"
KPIS = ("stations_over_warning", "max_rainfall_24h", "rainfall_1h", "reservoir_storage_rate")

register({
    "water.title": ("智慧水利 · 防汛防台", "Water and flood defence"),
    "water.intro": ("水位对照警戒/保证水位、累计雨量、水库蓄水与台风动态（水雨情为模拟数据）。",
                    "Levels against warning and guarantee levels, rainfall totals, reservoir storage and typhoons "
                    "(hydrological series simulated)."),
    "water.stations": ("测站水位与警戒水位", "Station levels against warning levels"),
    "water.rain": ("累计雨量（mm）", "Rainfall totals (mm)"),
    "water.reservoirs": ("水库蓄水", "Reservoir storage"),
    "water.typhoon": ("台风", "Typhoon"),
    "water.typhoon.active": ("台风活动中", "Typhoon active"),
    "water.typhoon.none": ("当前无影响本地区的台风；最近一次影响：", "No typhoon in play now; the latest to affect the region:"),
    "water.typhoon.never": ("数据集中没有影响本地区的台风", "No typhoon in the dataset affected this region"),
    "water.landfall": ("登陆", "Landfall"), "water.closest": ("距本地区最近", "Closest approach"),
    "col.station": ("测站", "Station"), "col.level": ("水位", "Level"), "col.warning": ("警戒", "Warning"),
    "col.guarantee": ("保证", "Guarantee"), "col.margin": ("距警戒", "To warning"),
    "col.h1": ("1小时", "1 h"), "col.h3": ("3小时", "3 h"), "col.h24": ("24小时", "24 h"), "col.h72": ("72小时", "72 h"),
    "col.storage": ("蓄水量", "Storage"), "col.rate": ("蓄水率", "Storage rate"),
})


#: Columns of the station table in metres (water levels and the distance to the warning level).
LEVEL_COLUMNS = ("level", "warning", "guarantee", "margin")
METRES = "m"


def station_table(ent: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Latest level of every station with its warning and guarantee levels and status."""
    lv = ent[ent["indicator_id"] == "water_level"]
    rows = []
    for r in lv.itertuples():
        p = properties(r.properties)
        w, g = p.get("warning_level_m"), p.get("guarantee_level_m")
        st = "alarm" if g is not None and r.value >= g else ("warning" if w is not None and r.value >= w else "normal")
        rows.append({"station": r.name_zh if lang == "zh" else r.name_en, "level": round(r.value, 2),
                     "warning": w, "guarantee": g,
                     "margin": None if w is None else round(r.value - w, 2),
                     "status": status_label(st, lang)})
    return pd.DataFrame(rows, columns=["station", "level", "warning", "guarantee", "margin", "status"]).sort_values(
        "margin", ascending=False)


def _applies(ctx: ViewContext) -> bool:
    return kpi.applicable(ctx.store, ctx.region, "water")[0]


def _entities(ctx: ViewContext) -> pd.DataFrame:
    return qk.entity_latest(ctx.store, ctx.region, ("water_level", "reservoir_storage", "reservoir_storage_rate"),
                            ctx.at)


def stations_rows(ctx: ViewContext) -> pd.DataFrame:
    """The station grid: latest level, warning and guarantee levels, margin to warning (highest first) and
    the status the water layer gives the station on the map (code ``status``, shown word ``status_text``)."""
    cols = ["entity_id", "station", "level", "warning", "guarantee", "margin", "status", "status_text"]
    if not _applies(ctx):
        return pd.DataFrame(columns=cols)
    from layers.registry import cached_features

    ent = _entities(ctx)
    lv = ent[ent["indicator_id"] == "water_level"]
    feats = cached_features(ctx.store, "water", ctx.region, ctx.at)
    on_map = dict(zip(feats["id"].tolist(), feats["status"].tolist())) if len(feats) else {}
    rows = []
    for r in lv.itertuples():
        p = properties(r.properties)
        w, g = p.get("warning_level_m"), p.get("guarantee_level_m")
        st = on_map.get(r.entity_id) or sem_status(r.value, w, g, "down")
        rows.append({"entity_id": r.entity_id, "station": r.name_zh if ctx.lang == "zh" else r.name_en,
                     "level": round(r.value, 2), "warning": w, "guarantee": g,
                     "margin": None if w is None else round(r.value - w, 2),
                     "status": st, "status_text": status_label(st, ctx.lang)})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("margin", ascending=False, kind="stable").reset_index(drop=True)


def rain_rows(ctx: ViewContext) -> pd.DataFrame:
    """The rainfall grid: rain per station over the last 1, 3, 24 and 72 hours (mm, most 24 h rain first)."""
    cols = ["entity_id", "station", "h1", "h3", "h24", "h72"]
    if not _applies(ctx):
        return pd.DataFrame(columns=cols)
    rain = qk.rain_accum(ctx.store, ctx.region, ctx.at)
    return pd.DataFrame({"entity_id": rain["entity_id"],
                         "station": rain["name_zh"] if ctx.lang == "zh" else rain["name_en"],
                         **{c: rain[c].round(1) for c in ("h1", "h3", "h24", "h72")}}, columns=cols)


def storage_rows(ctx: ViewContext) -> pd.DataFrame:
    """The reservoir chart: storage rate (%) and storage (万m³) per reservoir, with the bar's label."""
    cols = ["entity_id", "reservoir", "storage_rate", "storage", "label"]
    if not _applies(ctx):
        return pd.DataFrame(columns=cols)
    ent = _entities(ctx)
    storage = ent[ent["indicator_id"] == "reservoir_storage"].drop_duplicates("entity_id").set_index("entity_id")["value"]
    res = ent[ent["indicator_id"] == "reservoir_storage_rate"].reset_index(drop=True)
    st = res["entity_id"].map(storage)
    return pd.DataFrame({
        "entity_id": res["entity_id"], "reservoir": res["name_zh"] if ctx.lang == "zh" else res["name_en"],
        "storage_rate": res["value"], "storage": st,
        "label": [f"{fmt_number(round(v, 1), '%', ctx.lang)} · {fmt_number(s, '万m³', ctx.lang)}"
                  for v, s in zip(res["value"], st)]}, columns=cols)


_CARDS = views.cards_view(lambda ctx: KPIS if _applies(ctx) else ())


def cards_rows(ctx: ViewContext) -> pd.DataFrame:
    """The KPI cards (``views.cards_view``), none where water does not apply; times as ISO text so the
    CSV says what the JSON says (``views.csv_bytes`` writes datetimes as ``2026-07-15 12:00:00.000000``)."""
    frame = _CARDS.rows(ctx)
    for c in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[c].dtype):
            frame[c] = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in frame[c]]
    return frame


CARDS = View(_CARDS.id, _CARDS.title_zh, _CARDS.title_en, cards_rows)
STATIONS = View("stations", "测站水位与警戒水位", "Station levels against warning levels", stations_rows)
RAIN = View("rain", "累计雨量（mm）", "Rainfall totals (mm)", rain_rows)
STORAGE = View("storage", "水库蓄水", "Reservoir storage", storage_rows)


def typhoon_panel(ty: pd.DataFrame, region: str, lang: str) -> html.Div:
    """The typhoon in play, or the latest one that affected the region."""
    if ty.empty:
        return html.P(t("water.typhoon.never", lang), id=f"{P}-typhoon-body", className="dash-empty")
    r = ty.iloc[0]
    p = properties(r["properties"])
    close = (p.get("closest_km") or {}).get(region) or {}
    head = t("water.typhoon.active", lang) if bool(r["active"]) else t("water.typhoon.none", lang)
    return html.Div(id=f"{P}-typhoon-body", className="dash-facts", children=[
        html.P(head), html.H3(r["name_zh"] if lang == "zh" else r["name_en"]),
        html.Div(f"{t('water.landfall', lang)}: {str(p.get('landfall_time', '—')).replace('T', ' ')[:16]} · "
                 f"{p.get('landfall_place_zh' if lang == 'zh' else 'landfall_place_en', '—')} · "
                 f"{p.get('landfall_intensity_zh', '') if lang == 'zh' else ''} "
                 f"{fmt_number(p.get('landfall_wind_ms'), 'm/s', lang)}"),
        html.Div(f"{t('water.closest', lang)}: {fmt_number(close.get('km'), 'km', lang)}"),
    ])


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The water page of ``region``."""
    store, region, lang, at = kpi.resolve(region, lang)
    na = ui.not_applicable_page(P, "water", region, lang)
    if na is not None:
        return na
    vrows = views.reader(P, store, region, lang, at)

    def vgrid(view: View, columns: list[str]) -> object:
        frame = vrows(view)
        # levels carry their unit in the header (the cells are bare numbers); the columns fill the panel
        defs = [{"field": c, "headerName": t(f"col.{c}", lang) + (
                    (f"（{METRES}）" if lang == "zh" else f" ({METRES})") if c in LEVEL_COLUMNS else ""),
                 "flex": 1.4 if c == "station" else 1, "minWidth": 90} for c in columns]
        return grid(f"{P}-{view.id}-grid", views.json_rows(frame), defs, lang, height=None)

    res = vrows(STORAGE)
    rfig = ui.figure([{"type": "bar", "x": [ui.wrap(r, 5 if lang == "zh" else 12) for r in ui.values(res["reservoir"])], "y": ui.values(res["storage_rate"]),
                        "marker": {"color": "#35c2ff"}, "text": res["label"].tolist()}], 300,
                      yaxis={"title": {"text": "%"}})
    return ui.page(P, t("water.title", lang), t("water.intro", lang), region, lang, [
        ui.cards(P, store, region, KPIS, at, lang),
        html.Div(className="dash-grid", children=[
            ui.section(P, "stations", t("water.stations", lang),
                        [vgrid(STATIONS, ["station", "level", "warning", "guarantee", "margin", "status_text"])],
                        views.export(P, STATIONS.id, region, lang)),
            ui.section(P, "rain", t("water.rain", lang),
                        [vgrid(RAIN, ["station", "h1", "h3", "h24", "h72"])],
                        views.export(P, RAIN.id, region, lang)),
            ui.section(P, "reservoirs", t("water.reservoirs", lang),
                        [dcc.Graph(figure=rfig, config=graph_config(lang, displayModeBar=False))] if len(res) else
                        [html.P("—", className="dash-empty")],
                        views.export(P, STORAGE.id, region, lang)),
            ui.section(P, "typhoon", t("water.typhoon", lang), [typhoon_panel(qk.typhoons(store, region, at),
                                                                               region, lang)]),
        ]),
    ])


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Water & floods",
    id=P, title_zh="智慧水利", title_en="Water and flood defence", path=f"/d/{P}", layout=layout,
    datasets=("water", "typhoon"), indicators=KPIS + ("water_level", "reservoir_storage"), layers=("water",),
    description_zh="超警戒测站、累计雨量、水库蓄水与台风。",
    description_en="Stations over warning, rainfall totals, reservoir storage and typhoons.",
    order=40, register_callbacks=register_callbacks, views=(CARDS, STATIONS, RAIN, STORAGE),
)
