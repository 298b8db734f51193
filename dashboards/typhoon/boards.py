"""Rows and figures of the typhoon page's boards: exposure, vessels, bands, people moved, shelters,
reservoirs and the response level. Each ``*_rows`` returns exactly the rows its table or chart shows
(column names as on screen); the page and the module's views call them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from citybrain import ui
from citybrain.i18n import date_format, register, t
from citybrain.semantics import status as sem_status
from citybrain.store import Store
from citybrain.typhoon import fleet as fl
from citybrain.typhoon import rain
from citybrain.typhoon import replay as rp

register({
    "typhoon.kind.town": ("乡镇", "Town"), "typhoon.kind.port": ("渔港", "Fishing port"),
    "typhoon.kind.shelter": ("避灾点", "Shelter"), "typhoon.kind.reservoir": ("水库", "Reservoir"),
    "typhoon.yes": ("是", "yes"), "typhoon.no": ("否", "no"), "typhoon.na": ("无风圈", "no radii"),
    "typhoon.never": ("未到达", "not reached"),
    "typhoon.state.fishing": ("作业中", "fishing"), "typhoon.state.returning": ("回港途中", "returning"),
    "typhoon.state.in_port": ("在港", "in port"),
    "typhoon.level": ("应急响应", "Response level"), "typhoon.level.none": ("未启动", "not in force"),
    "typhoon.at_sea": ("在海", "at sea"), "typhoon.in_port": ("在港", "in port"),
    "typhoon.planned": ("计划转移（人）", "planned (people)"), "typhoon.moved": ("已转移（人）", "moved (people)"),
    "typhoon.capacity": ("容量（人）", "capacity (people)"), "typhoon.occupants": ("在安置（人）", "occupants (people)"),
    "typhoon.kind.river_station": ("河道站", "River station"), "typhoon.kind.tide_station": ("潮位站", "Tide station"),
    "typhoon.rain.area": ("面雨量（毫米/小时）", "Areal mean (mm/h)"),
    "typhoon.rain.total": ("{name} 过程累计（毫米）", "{name} storm total (mm)"),
    "typhoon.rain.hourly": ("小时雨量（毫米）", "Hourly rain (mm)"), "typhoon.rain.cum": ("累计雨量（毫米）", "Storm total (mm)"),
})
EXPOSURE_COLUMNS = ("entity_id", "status", "kind", "name", "distance_km", "in_30kt", "in_50kt", "arrival_30kt",
                    "closest_km", "closest_time", "lon", "lat")
VESSEL_COLUMNS = ("entity_id", "status", "vessel", "state", "band", "to_circle_km", "deadline", "straggler", "simulated")
SHELTER_COLUMNS = ("entity_id", "status", "shelter", "capacity", "occupants", "rate", "simulated")
RESERVOIR_COLUMNS = ("entity_id", "status", "name", "level_m", "flood_limit_m", "over_m", "simulated")
RAIN_COLUMNS = ("entity_id", "status", "station", "kind", "rain_1h_mm", "rain_24h_mm", "storm_mm", "max_1h_mm",
                "distance_km", "closest_km", "simulated")
LEVEL_COLOURS = {"IV": "#35c2ff", "III": "#f5b400", "II": "#ff8c1a", "I": "#ff4d4f"}
LEVEL_ZH = {"IV": "Ⅳ级", "III": "Ⅲ级", "II": "Ⅱ级", "I": "Ⅰ级"}


def _name(frame: pd.DataFrame, lang: str) -> pd.Series:
    return (frame["name_zh"] if lang == "zh" else frame["name_en"].fillna(frame["name_zh"])).astype(object)


def _when(v: Any, lang: str, never: str = "—") -> str:
    return never if v is None or pd.isna(v) else pd.Timestamp(v).strftime(date_format(lang))


def _flag(v: Any, lang: str) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return t("typhoon.na", lang)
    return t("typhoon.yes" if bool(v) else "typhoon.no", lang)


def exposure_rows(store: Store, track_id: str, region: str, at: datetime, lang: str) -> pd.DataFrame:
    """The exposure table: every town, port, shelter and reservoir, sorted by the 30-kt circle's arrival.
    ``status``: inside the 50-kt circle alarm, inside the 30-kt circle warning, else normal (none without radii)."""
    e = rp.exposure_frame(store, track_id, region, at)
    in30 = e["in_30kt"].astype(object)
    in50 = e["in_50kt"].astype(object)
    status = ["none" if a is pd.NA or a is None else ("alarm" if b is True else "warning" if a is True else "normal")
              for a, b in zip(in30, in50)]
    return pd.DataFrame({
        "entity_id": e["entity_id"].astype(object), "status": status,
        "kind": [t(f"typhoon.kind.{k}", lang) for k in e["kind"]], "name": _name(e, lang),
        "distance_km": e["distance_km"].astype("float64"),
        "in_30kt": [_flag(v, lang) for v in in30], "in_50kt": [_flag(v, lang) for v in in50],
        "arrival_30kt": [_when(v, lang, t("typhoon.never", lang)) for v in e["arrival_30kt"]],
        "closest_km": e["closest_km"].astype("float64"),
        "closest_time": [_when(v, lang) for v in e["closest_time"]],
        "lon": e["lon"], "lat": e["lat"]})


def vessel_rows(store: Store, track_id: str, region: str, at: datetime, bands: fl.Bands, lang: str) -> pd.DataFrame:
    """Boats still at sea (simulated), nearest the 30-kt circle first, with the one status rule."""
    f = rp.fleet_frame(store, track_id, region, at, bands)
    if f.empty:
        return pd.DataFrame({c: [] for c in VESSEL_COLUMNS})
    dl = rp.deadlines(store, track_id, bands)
    sea = f[f["state"] != "in_port"].sort_values(["to_circle_km", "entity_id"], na_position="last")
    names = rp.tq.vessels(store, region).set_index("entity_id")
    return pd.DataFrame({
        "entity_id": sea["entity_id"].astype(object), "status": sea["status"].astype(object),
        "vessel": _name(names.loc[sea["entity_id"]], lang).to_numpy(object),
        "state": [t(f"typhoon.state.{s}", lang) for s in sea["state"]],
        "band": [bands.label(int(b)) for b in sea["band"]],
        "to_circle_km": sea["to_circle_km"].astype("float64"),
        "deadline": [_when(dl["deadline"].iloc[int(b)], lang) for b in sea["band"]],
        "straggler": [t("typhoon.yes" if s else "typhoon.no", lang) for s in sea["straggler"]],
        "simulated": True}).reset_index(drop=True)


def band_rows(store: Store, track_id: str, bands: fl.Bands, lang: str) -> pd.DataFrame:
    """Back-to-port deadline per latitude band: the 30-kt circle's first arrival minus the band's lead."""
    dl = rp.deadlines(store, track_id, bands)
    return pd.DataFrame({"band": dl["band"], "lead_h": list(bands.lead_h),
                         "reach": [_when(v, lang, t("typhoon.never", lang)) for v in dl["reach"]],
                         "deadline": [_when(v, lang) for v in dl["deadline"]]})


def reservoir_rows(store: Store, region: str, at: datetime, lang: str) -> pd.DataFrame:
    """Reservoirs against their flood-limit level (over first)."""
    r = rp.reservoirs(store, region, at)
    return pd.DataFrame({"entity_id": r["entity_id"].astype(object), "status": r["status"].astype(object),
                         "name": _name(r, lang), "level_m": r["level_m"].round(2), "flood_limit_m": r["flood_limit_m"],
                         "over_m": r["over_m"], "simulated": r["simulated"].fillna(True).astype(bool)})


def rain_rows(store: Store, track_id: str, region: str, at: datetime, lang: str) -> pd.DataFrame:
    """Rain along the track at the region's stations (``citybrain.typhoon.rain.stations``), wettest
    first; ``status`` is the 24-hour rain against the rainstorm thresholds."""
    r = rain.stations(store, track_id, region, at)
    return pd.DataFrame({"entity_id": r["entity_id"].astype(object), "status": r["status"].astype(object),
                         "station": _name(r, lang), "kind": [t(f"typhoon.kind.{k}", lang) for k in r["kind"]],
                         **{c: r[c].astype("float64") for c in RAIN_COLUMNS[4:10]},
                         "simulated": r["simulated"].astype(bool)})


def rain_figure(store: Store, track_id: str, region: str, at: datetime, lang: str) -> dict:
    """Hourly areal mean rain (bars, mm/h) and each station's storm total so far (lines, mm) up to ``at``."""
    h = rain.hourly(store, track_id, region, at)
    names = rain.stations(store, track_id, region, at).set_index("entity_id")
    x = [pd.Timestamp(v).isoformat() for v in h.index]
    data = []
    if "area" in h:
        data.append({"type": "bar", "x": x, "y": h["area"].round(1).tolist(), "name": t("typhoon.rain.area", lang),
                     "marker": {"color": "#35c2ff"}, "hovertemplate": "%{y:.1f} mm<extra></extra>"})
    for sid in [s for s in names.index if s in h][:6]:
        nm = names.at[sid, "name_zh"] if lang == "zh" else (names.at[sid, "name_en"] or names.at[sid, "name_zh"])
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": h[sid].fillna(0).cumsum().round(1).tolist(),
                     "name": t("typhoon.rain.total", lang).format(name=nm), "yaxis": "y2",
                     "hovertemplate": "%{y:.1f} mm<extra></extra>"})
    whole = rain.span(store, track_id, region)  # the passage's whole time axis; rain fills in as the replay runs
    xaxis = {"type": "date", **({"range": [whole[0].isoformat(), whole[1].isoformat()]} if whole else {})}
    return ui.figure(data, 260, xaxis=xaxis, yaxis={"title": {"text": t("typhoon.rain.hourly", lang)}, "rangemode": "tozero"},
                     yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "rangemode": "tozero",
                             "title": {"text": t("typhoon.rain.cum", lang)}},
                     legend={"orientation": "h", "y": -0.25, "font": {"size": 11}})


def town_rows(store: Store, track_id: str, region: str, at: datetime, lang: str) -> pd.DataFrame:
    m = rp.towns_moved(store, track_id, region, at)
    return pd.DataFrame({"entity_id": m["entity_id"], "town": _name(m, lang), "planned": m["planned"],
                         "moved": m["moved"], "simulated": True})


def shelter_rows(store: Store, track_id: str, region: str, at: datetime, lang: str) -> pd.DataFrame:
    s = rp.shelters(store, track_id, region, at)
    st = sem_status.classify(s["rate"].to_numpy("float64"), 80.0, 100.0, "down")
    return pd.DataFrame({"entity_id": s["entity_id"], "status": st, "shelter": _name(s, lang),
                         "capacity": s["capacity"], "occupants": s["occupants"], "rate": s["rate"], "simulated": True})


def fleet_figure(series: pd.DataFrame, at: datetime, lang: str) -> dict:
    """Boats at sea and in port over the storm (stacked), a line at the replay time."""
    x = [pd.Timestamp(v).isoformat() for v in series["ts"]]
    fig = ui.figure([
        {"type": "scatter", "x": x, "y": series["at_sea"].tolist(), "name": t("typhoon.at_sea", lang),
         "mode": "lines", "line": {"color": "#f5b400"}},
        {"type": "scatter", "x": x, "y": series["in_port"].tolist(), "name": t("typhoon.in_port", lang),
         "mode": "lines", "line": {"color": "#2ecc71"}, "yaxis": "y2"},
    ], 240, yaxis={"title": {"text": t("typhoon.at_sea", lang)}},
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": t("typhoon.in_port", lang)}},
        shapes=[{"type": "line", "x0": pd.Timestamp(at).isoformat(), "x1": pd.Timestamp(at).isoformat(), "yref": "paper",
                 "y0": 0, "y1": 1, "line": {"color": "#ff6b9a", "width": 2}}])
    return fig


def bars_figure(labels: list[str], a: list[float], b: list[float], names: tuple[str, str], height_per: int = 24) -> dict:
    """Two overlaid horizontal bars per row (planned vs moved, capacity vs occupants)."""
    return ui.figure([
        {"type": "bar", "orientation": "h", "y": labels, "x": a, "name": names[0], "marker": {"color": "#1f4a6e"}},
        {"type": "bar", "orientation": "h", "y": labels, "x": b, "name": names[1], "marker": {"color": "#f5b400"}},
    ], 90 + height_per * max(len(labels), 1), barmode="overlay")


def level_figure(levels: pd.DataFrame, at: datetime, lang: str) -> dict:
    """The response-level timeline (IV → I) as bars along time, a line at the replay time."""
    data = []
    for r in levels.itertuples():
        name = LEVEL_ZH[r.level] if lang == "zh" else f"Level {r.level}"
        data.append({"type": "bar", "orientation": "h", "y": [t("typhoon.level", lang)],
                     "x": [(r.end - r.start).total_seconds() * 1000], "base": [r.start.isoformat()],
                     "marker": {"color": LEVEL_COLOURS[r.level]}, "name": name, "text": [name],
                     "textposition": "inside", "insidetextanchor": "middle"})
    return ui.figure(data, 150, barmode="overlay", xaxis={"type": "date"}, showlegend=False,
                     shapes=[{"type": "line", "x0": pd.Timestamp(at).isoformat(), "x1": pd.Timestamp(at).isoformat(),
                              "yref": "paper", "y0": 0, "y1": 1, "line": {"color": "#ff6b9a", "width": 2}}])


def level_text(level: str | None, lang: str) -> str:
    if level is None:
        return t("typhoon.level.none", lang)
    return LEVEL_ZH[level] if lang == "zh" else f"Level {level}"
