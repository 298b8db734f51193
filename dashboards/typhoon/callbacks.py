"""Callbacks of the typhoon page: the storm picks the replay window, the clock (1×–3600×) moves the
replay time, and one render callback redraws every board from the replay helpers."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
from dash import Dash, Input, Output, State, callback_context, no_update

from citybrain import views
from citybrain.i18n import t
from citybrain.store import get_store
from citybrain.typhoon import fleet as fl
from citybrain.typhoon import replay as rp

P = "typhoon"
SPEEDS = (1, 60, 600, 3600)
TICK_S = 1.0


def window(store, track_id: str, region: str) -> dict:
    """The replay window of a track (minutes from its first fix) and where the page opens."""
    from . import default_at

    meta = rp.storm_meta(store, track_id)
    start, end = pd.Timestamp(meta["first_ts"]), pd.Timestamp(meta["last_ts"])
    total = int((end - start).total_seconds() // 60)
    days = pd.date_range(start.ceil("D"), end, freq="2D" if (end - start).days > 8 else "D")
    marks = {int((d - start).total_seconds() // 60): f"{d:%m-%d}" for d in days}
    value = int((default_at(store, track_id, region) - start).total_seconds() // 60)
    return {"start": start.isoformat(), "max": total, "value": value, "marks": marks}


def bands_of(leads: list) -> fl.Bands:
    base = fl.Bands()
    lead = tuple(float(v) if isinstance(v, (int, float)) and 0 <= v <= 96 else d for v, d in zip(leads, base.lead_h))
    return fl.Bands(base.edges, lead)


def map_size(screen: dict | None) -> tuple[int, int]:
    """The map's size in pixels on the viewer's screen (assets/typhoon.css: 640 px high, 1300 px from
    2560 px wide, 420 px below 700 px; three fifths of the width beside the table, all of it on a phone)."""
    w = int((screen or {}).get("w") or 1920)
    if w <= 700:
        return max(w - 40, 200), 420
    return int(w * 0.58), (1300 if w >= 2560 else 640)


def export_href(store, region: str, lang: str, track_id: str, at: pd.Timestamp, name: str = "exposure") -> str:
    """Where a table's export button (``exposure`` or ``rainfall``) points: the module's view (the same
    rows) at the page's default storm and moment, else the typhoon API's CSV of the same rows function
    for the storm and moment on screen."""
    from . import default_at

    if track_id == rp.default_track(store, region) and pd.Timestamp(at) == default_at(store, track_id, region):
        return views.url(P, name, region, lang)
    return "/api/v1/typhoons/{}/{}.csv?{}".format(track_id, name, urlencode({"region": region, "at": at.isoformat()}))


def render(region: str, lang: str, track_id: str, at: pd.Timestamp, bands: fl.Bands,
           size: tuple[int, int] = (1100, 640)) -> dict:
    """Everything the boards show at ``at`` (the same rows functions as the module's views)."""
    from . import boards, mapfig

    store = get_store()
    path = rp.tq.storm_path(store, track_id)
    track = store.df("SELECT ts, lon, lat, grade FROM tracks WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts",
                     [track_id])
    fleet = rp.fleet_frame(store, track_id, region, at, bands)
    exp = boards.exposure_rows(store, track_id, region, at, lang)
    ves = boards.vessel_rows(store, track_id, region, at, bands, lang)
    inside = int((ves["status"] == "alarm").sum()) if len(ves) else 0
    towns = boards.town_rows(store, track_id, region, at, lang)
    sh = boards.shelter_rows(store, track_id, region, at, lang).sort_values("capacity")
    levels = rp.response_levels(store, track_id, region)
    return {
        "map": mapfig.figure(store, region, path, track, at, fleet, lang, size=size),
        "exposure": views.json_rows(exp), "vessels": views.json_rows(ves),
        "bands": views.json_rows(boards.band_rows(store, track_id, bands, lang)),
        "reservoirs": views.json_rows(boards.reservoir_rows(store, region, at, lang)),
        "alarm": (t("typhoon.vessels.alarm", lang).format(n=inside) if inside else t("typhoon.vessels.ok", lang)),
        "alarm_class": "typhoon-alarm kpi-cell-alarm" if inside else "typhoon-alarm",
        "fleet": boards.fleet_figure(rp.fleet_series(store, track_id, region, bands), at, lang),
        "people": boards.bars_figure(towns["town"].tolist(), towns["planned"].tolist(), towns["moved"].tolist(),
                                     (t("typhoon.planned", lang), t("typhoon.moved", lang))),
        "shelters": boards.bars_figure(sh["shelter"].tolist(), sh["capacity"].tolist(), sh["occupants"].tolist(),
                                       (t("typhoon.capacity", lang), t("typhoon.occupants", lang)), 18),
        "levels": boards.level_figure(levels, at, lang),
        "level": f"{t('typhoon.level', lang)}：{boards.level_text(rp.level_at(levels, at), lang)}",
        "note": "" if path.has_radii else t("typhoon.no_radii", lang),
        "export": export_href(store, region, lang, track_id, at),
        "rainfall": views.json_rows(boards.rain_rows(store, track_id, region, at, lang)),
        "rain": boards.rain_figure(store, track_id, region, at, lang),
        "export_rain": export_href(store, region, lang, track_id, at, "rainfall"),
    }


def advance(clock: float | None, value: int | None, top: int | None, speed: int | None) -> tuple:
    """One clock tick: the replay clock (seconds from the first fix) moves ``speed`` × the tick; a
    slider the user moved since wins; past the end it starts again. Returns (slider value, clock)."""
    value = int(value or 0)
    base = clock if clock is not None and int(clock // 60) == value else value * 60.0
    nxt = base + (speed if speed in SPEEDS else 1) * TICK_S
    if nxt > (top or 0) * 60.0:
        nxt = 0.0
    minute = int(nxt // 60)
    return (no_update if minute == value else minute), nxt


def register_callbacks(app: Dash) -> None:
    """Storm → window; play/pause; clock tick → time; time/storm/bands → every board."""

    @app.callback(Output(f"{P}-slider", "max"), Output(f"{P}-slider", "marks"), Output(f"{P}-slider", "value"),
                  Output(f"{P}-clock", "data"),
                  Input(f"{P}-storm", "value"), Input(f"{P}-tick", "n_intervals"),
                  State(f"{P}-speed", "value"), State(f"{P}-clock", "data"), State(f"{P}-slider", "value"),
                  State(f"{P}-slider", "max"), State(f"{P}-ctx", "data"))
    def _clock(track_id, _n, speed, clock, value, top, ctx):
        if callback_context.triggered_id != f"{P}-tick":  # a storm picked (or the page opened)
            w = window(get_store(), track_id, ctx["region"])
            return w["max"], w["marks"], w["value"], w["value"] * 60.0
        return (no_update, no_update, *advance(clock, value, top, speed))

    # the viewer's screen width, so the map's view fits the whole track at any size
    app.clientside_callback("function(ctx) { return {w: window.innerWidth, h: window.innerHeight}; }",
                            Output(f"{P}-screen", "data"), Input(f"{P}-ctx", "data"))

    @app.callback(Output(f"{P}-tick", "disabled"), Output(f"{P}-play", "children"),
                  Input(f"{P}-play", "n_clicks"), State(f"{P}-ctx", "data"))
    def _play(n, ctx):
        playing = bool(n) and n % 2 == 1
        return not playing, t("typhoon.pause" if playing else "typhoon.play", ctx["lang"])

    outs = ["graph.figure", "exposure-grid.rowData", "vessels-grid.rowData", "bands-grid.rowData",
            "reservoirs-grid.rowData", "alarm.children", "alarm.className", "fleet.figure", "people-graph.figure",
            "shelters-graph.figure", "levels-graph.figure", "level.children", "note.children", "export-exposure.href",
            "rainfall-grid.rowData", "rain-graph.figure", "export-rainfall.href", "time.children"]
    keys = ["map", "exposure", "vessels", "bands", "reservoirs", "alarm", "alarm_class", "fleet", "people",
            "shelters", "levels", "level", "note", "export", "rainfall", "rain", "export_rain"]

    @app.callback(*[Output(f"{P}-{o.split('.')[0]}", o.split(".")[1]) for o in outs],
                  Input(f"{P}-slider", "value"), Input(f"{P}-storm", "value"),
                  *[Input(f"{P}-lead-{i}", "value") for i in range(len(fl.Bands().edges))],
                  Input(f"{P}-screen", "data"), State(f"{P}-ctx", "data"))
    def _render(minutes, track_id, *rest):
        *leads, screen, ctx = rest
        store = get_store()
        meta = rp.storm_meta(store, track_id)
        if meta is None:
            return [no_update] * len(outs)
        at = (pd.Timestamp(meta["first_ts"]) + pd.Timedelta(minutes=int(minutes or 0))).floor("min")
        at = min(at, pd.Timestamp(meta["last_ts"]))
        d = render(ctx["region"], ctx["lang"], track_id, at, bands_of(leads), map_size(screen))
        label = f"{t('typhoon.replay_at', ctx['lang'])} {at:%Y-%m-%d %H:%M}（北京时间）" if ctx["lang"] == "zh" \
            else f"{t('typhoon.replay_at', ctx['lang'])} {at:%Y-%m-%d %H:%M} (CST)"
        return [d[k] for k in keys] + [label]


