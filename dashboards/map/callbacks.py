"""Callbacks of the /map page.

When only the time moves, the map callback answers with a ``Patch`` holding just the traces whose
content changed (compared by hash with what the browser already has), so replaying the fleet sends
the vessel traces and not the whole map. Clicks and alerts fill the detail panel and mark the item
on the map (a ring and its name); an alert also zooms the map to its item. Zoomed out, the fleet switches from points to density.
"""

from __future__ import annotations

import copy
from typing import Any

import dash
from _plotly_utils.utils import convert_to_base64
from dash import ALL, Dash, Input, Output, Patch, State, no_update

from citybrain.i18n import t
from citybrain.store import get_store
from layers.base import LayerContext
from layers.figure import base_layout, draw
from layers.registry import all_layers, cached_features, get, trace_digest

from . import duty
from .duty import alert_panel, feature_actions
from .panels import P, counts, detail, legend, slider_marks, time_at, window_of

SUB_IDS = [la.id for la in all_layers() if la.id != "boundaries"]


def trace_json(trace: Any) -> dict[str, Any]:
    """A trace as the browser gets it (numpy arrays as base64 typed arrays); the layers' trace dicts
    already are, ``go`` objects are converted."""
    d = copy.deepcopy(trace if isinstance(trace, dict) else trace.to_plotly_json())
    convert_to_base64(d)
    return d


def digest(d: dict[str, Any]) -> str:
    """A short hash of a trace as sent (see ``layers.registry.trace_digest``)."""
    return trace_digest(d)


def _ctx(ctxdata: dict, win: dict, step: int | None) -> LayerContext:
    return LayerContext(store=get_store(), region=ctxdata["region"], at=time_at(win, step), track_id=win.get("track"))


def render(ctxdata: dict, win: dict, step: int | None, layer_ids: list[str], subs: dict[str, list[str]]) -> dict:
    """Everything the map callback needs: traces (as JSON + hashes), panels."""
    ctx = _ctx(ctxdata, win, step)
    lang = ctxdata["lang"]
    ids = ["boundaries", *[i for i in layer_ids if i != "boundaries"]] if layer_ids else ["boundaries"]
    d = draw(ctx, ids, lang, subs)
    tj = d.traces  # JSON-ready dicts, memoised with their digests
    extra: dict[str, str] = {}
    for i in ids:  # each layer's own note (the moratorium, where to find a typhoon, …)
        note = None if i in d.not_applicable else get(i).legend_note(ctx, d.features[i], lang)
        if note:
            extra[i] = note
    shown = [i for i in ids if i != "boundaries"]
    stats = {i: get(i).counts(d.features[i]) for i in shown}
    no_data = {i for i in shown if i not in d.not_applicable and not get(i).observed(d.features[i])}
    return {"ctx": ctx, "drawn": d, "traces": tj,
            "uids": [{"uid": x.get("uid"), "h": h, "layer": o} for x, h, o in zip(tj, d.digests, d.owners)],
            "legend": legend(shown, d.not_applicable, extra, lang, no_data),
            "alerts": alert_panel(ctxdata, win, step),
            "counts": counts(stats, ctxdata["region"], ctx.at, win.get("track"), lang),
            "label": f"{ctx.at:%Y-%m-%d %H:%M}" + (f" · {win['track']}" if win.get("track") else "")}


def register_callbacks(app: Dash) -> None:
    """Register the page's callbacks against ``app``."""
    sub_inputs = [Input(f"{P}-sub-{i}", "value") for i in SUB_IDS]

    @app.callback(Output(f"{P}-graph", "figure"), Output(f"{P}-traces", "data"), Output(f"{P}-legend", "children"),
                  Output(f"{P}-alerts", "children"), Output(f"{P}-counts", "children"),
                  Output(f"{P}-time-label", "children"),
                  Input(f"{P}-layers", "value"), *sub_inputs, Input(f"{P}-slider", "value"), Input(f"{P}-win", "data"),
                  State(f"{P}-ctx", "data"), State(f"{P}-traces", "data"))
    def _map(layer_ids, *rest):
        subs = dict(zip(SUB_IDS, rest[:len(SUB_IDS)]))
        step, win, ctxdata, old = rest[len(SUB_IDS):]
        r = render(ctxdata, win, step, layer_ids or [], subs)
        new = r["uids"]
        # only the time moved (the slider, or new data moving the present): send the changed traces
        moved = {t["prop_id"].rsplit(".", 1)[0] for t in dash.ctx.triggered}
        only_time = moved <= {f"{P}-slider"} or (bool(win.get("live")) and moved <= {f"{P}-slider", f"{P}-win"})
        if only_time and old and [o["uid"] for o in old] == [n["uid"] for n in new]:
            fig: Any = Patch()
            for i, (o, n) in enumerate(zip(old, new)):
                if o["h"] != n["h"]:
                    fig["data"][i] = r["traces"][i]
        else:
            layout = base_layout(r["ctx"].store, ctxdata["region"], r["drawn"].map_layers, False, ctxdata["lang"])
            if win.get("track"):  # a typhoon passage: zoom out so the track is in view
                layout["map"]["zoom"] = 4.6
                layout["meta"].pop("cb_fit", None)  # the track's view, not the region's
                layout["uirevision"] = f"{ctxdata['region']}:{win['track']}"
            fig = {"data": r["traces"], "layout": layout}
        return fig, new, r["legend"], r["alerts"], r["counts"], r["label"]

    @app.callback(Output(f"{P}-win", "data"), Output(f"{P}-slider", "max"), Output(f"{P}-slider", "marks"),
                  Output(f"{P}-slider", "value"), Input(f"{P}-window", "value"), Input(f"{P}-live", "data"),
                  State(f"{P}-ctx", "data"), State(f"{P}-win", "data"), State(f"{P}-slider", "value"),
                  State(f"{P}-tick", "disabled"), prevent_initial_call=True)
    def _window(value, version, ctxdata, old, step, paused):
        """A replay window chosen; or new data arrived (``assets/live.js``): while the map shows the
        present (slider at the end, no replay playing) the present moves to the newest data."""
        if dash.ctx.triggered_id == f"{P}-live":
            present = old and not old.get("track") and paused is not False and step == old.get("n")
            if not present:
                return no_update, no_update, no_update, no_update
            win = {**window_of(get_store(), ctxdata["region"], value), "live": version}  # new data: redraw
            return win, win["n"], slider_marks(win), win["n"]
        win = window_of(get_store(), ctxdata["region"], value)
        return win, win["n"], slider_marks(win), (0 if win.get("track") else win["n"])

    @app.callback(Output(f"{P}-tick", "disabled"), Output(f"{P}-play", "children"), Input(f"{P}-play", "n_clicks"),
                  State(f"{P}-tick", "disabled"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _play(_n, disabled, ctxdata):
        lang = ctxdata["lang"]
        return (not disabled), t("map.pause" if disabled else "map.play", lang)

    @app.callback(Output(f"{P}-slider", "value", allow_duplicate=True), Input(f"{P}-tick", "n_intervals"),
                  State(f"{P}-slider", "value"), State(f"{P}-slider", "max"), State(f"{P}-speed", "value"),
                  prevent_initial_call=True)
    def _tick(_n, value, vmax, speed):
        v = (value or 0) + int(speed or 1)
        return 0 if v > vmax else v

    # A click on an alert becomes one value of ``alert-pick`` in the browser; a list re-rendered by
    # the next replay step writes nothing, so it cannot supersede a click still on its way
    # (with the list itself as the input, Dash dropped the click's answer for the re-render's).
    app.clientside_callback(
        """function(_n) {
            const t = (dash_clientside.callback_context.triggered || [])[0];
            if (!t || !t.value) { return dash_clientside.no_update; }
            const id = JSON.parse(t.prop_id.slice(0, t.prop_id.lastIndexOf('.')));
            return {index: id.index, at: Date.now()};
        }""",
        Output(f"{P}-alert-pick", "data"), Input({"type": f"{P}-alert", "index": ALL}, "n_clicks"),
        prevent_initial_call=True)

    @app.callback(Output(f"{P}-detail", "children"), Output(f"{P}-graph", "figure", allow_duplicate=True),
                  Output(f"{P}-pick", "data"),
                  Input(f"{P}-graph", "clickData"), Input(f"{P}-alert-pick", "data"),
                  State(f"{P}-ctx", "data"), State(f"{P}-win", "data"), State(f"{P}-slider", "value"),
                  prevent_initial_call=True)
    def _detail(click, alert_pick, ctxdata, win, step):
        zoom_to = False
        if dash.ctx.triggered_id == f"{P}-alert-pick":
            if not isinstance(alert_pick, dict) or "|" not in str(alert_pick.get("index")):
                return no_update, no_update, no_update
            layer_id, fid = str(alert_pick["index"]).split("|", 1)
            zoom_to = True
        else:
            pts = (click or {}).get("points") or []
            cd = pts[0].get("customdata") if pts else None
            if not isinstance(cd, str) or "|" not in cd:
                return no_update, no_update, no_update
            layer_id, fid = cd.split("|", 1)
        ctx = _ctx(ctxdata, win, step)
        feats = cached_features(ctx.store, layer_id, ctx.region, ctx.at, ctx.window_h, ctx.track_id)
        panel = detail(ctx.store, feats, layer_id, fid, ctx.at, ctxdata["lang"])
        row = feats[feats["id"] == fid]
        pick = None
        if row.empty:
            return panel, no_update, pick
        lang = ctxdata["lang"]
        lon, lat = float(row["lon"].iloc[0]), float(row["lat"].iloc[0])
        name = row["name_zh"].iloc[0] if lang == "zh" else (row["name_en"].iloc[0] or row["name_zh"].iloc[0])
        pick = {"title": f"{get(layer_id).title(lang)} · {name}"[:200], "lon": lon, "lat": lat}
        panel = [*panel, *feature_actions(layer_id, fid, ctxdata)]
        fig = Patch()
        # the selected item's ring and name (drawn by assets/basemap.js, see layers.basemap)
        fig["layout"]["meta"]["cb_sel"] = {"lon": lon, "lat": lat, "name": str(name or fid)}
        if zoom_to:
            fig["layout"]["map"]["center"] = {"lon": lon, "lat": lat}
            fig["layout"]["map"]["zoom"] = 12
        return panel, fig, pick

    @app.callback(Output(f"{P}-graph", "figure", allow_duplicate=True), Input(f"{P}-graph", "relayoutData"),
                  State(f"{P}-traces", "data"), *[State(f"{P}-sub-{i}", "value") for i in SUB_IDS],
                  prevent_initial_call=True)
    def _zoom(relayout, uids, *subs):
        """Each layer says which of its traces show at the new zoom (``Layer.zoom_visibility``)."""
        zoom = (relayout or {}).get("map.zoom")
        if zoom is None or not uids:
            return no_update
        idx = {u["uid"]: i for i, u in enumerate(uids)}
        fig = Patch()
        changed = False
        for lid, on in zip(SUB_IDS, subs):
            for uid, visible in get(lid).zoom_visibility(zoom, list(on or [])).items():
                if uid in idx:
                    fig["data"][idx[uid]]["visible"] = visible
                    changed = True
        return fig if changed else no_update

    duty.register_callbacks(app)
