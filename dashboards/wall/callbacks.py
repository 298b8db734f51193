"""The wall's refresh protocol: one timer per panel, at most one refresh of a panel in flight,
nothing while the tab is hidden or the server is unreachable, payloads only for what changed.

Per panel (pattern-matching ids ``{"type": ..., "panel": key}``):

1. ``wall-iv`` (``dcc.Interval``) ticks at the panel's own period.
2. A clientside *gate* (``cbwall.gate`` in ``assets/wall.js``) turns a tick into a request
   (``wall-req``) only when the page is visible, the connection is up and the panel has no
   request in flight (``cbWall.inflight[key]``, a time stamp; a request older than 60 s counts as
   lost). Dash's own queue would only drop an older answer in favour of a newer one and still send
   both; the gate makes sure a second request is never sent.
3. The server callback renders the panel, compares each part's signature with those the browser
   shows (``wall-meta``) and answers ``no_update`` when nothing changed, a ``Patch`` of only the
   changed parts (a changed figure is swapped in place, keeping its plotly graph) otherwise, and
   always the small ``wall-ack``.
4. A clientside *ack* clears the in-flight mark.

``wall-visible`` (set by ``wall.js`` on ``visibilitychange``) drives a clientside callback that
disables every panel's interval while the tab is hidden.
"""

from __future__ import annotations

import logging
from datetime import datetime

from dash import ALL, MATCH, ClientsideFunction, Dash, Input, Output, Patch, State, no_update

from citybrain import kpi
from citybrain.warm import kinds as warm_kinds
from citybrain.warm import notes as warm_notes

from . import panels as _panels
from .playlist import parse_now, real_now, step_for
from .view import content, head, panel_by_key, panel_class

log = logging.getLogger(__name__)


def render_panel(key: str, cfg: dict) -> tuple[list[_panels.Part], list, str, str] | None:
    """Parts, head, class and head signature of the panel ``key`` for the wall's config."""
    store, region, lang, at = kpi.resolve(cfg.get("region"), cfg.get("lang"))
    step_id = key.partition("--")[0]
    step = step_for(step_id, set(kpi.definitions(store)))
    panel = panel_by_key(key, {step_id: step} if step else {})
    if panel is None:
        return None
    fixed = parse_now(cfg.get("now"))
    if fixed is None:  # a live wall's panel: the warmer rebuilds it for each new version (a replay's stays put)
        warm_notes.note(WARM_KIND, key, {"region": region, "lang": lang})
    now: datetime = fixed or real_now()
    parts, state, last, stale = content(store, region, lang, at, now, key, panel)
    return (parts, head(panel, lang, state, last, stale, now), panel_class(panel, state),
            _panels.sig_of(state, str(last), stale, lang, now.strftime("%Y-%m-%d") if last is not None else ""))


WARM_KIND = "wall-panel"
warm_kinds.register(WARM_KIND, render_panel)


def body_update(parts: list[_panels.Part], shown: list[str]) -> object:
    """``no_update``, a ``Patch`` of the changed parts, or the whole body when its shape changed."""
    sigs = [p.sig for p in parts]
    if sigs == shown:
        return no_update
    if len(sigs) != len(shown):
        return [p.comp for p in parts]
    patch = Patch()
    for i, p in enumerate(parts):
        if p.sig != shown[i]:
            if p.figure is not None:
                patch[i]["props"]["figure"] = p.figure
            else:
                patch[i] = p.comp
    return patch


def register_callbacks(app: Dash) -> None:
    """The wall's clientside gate/ack/visibility callbacks and the server refresh, against ``app``."""
    pid = {"panel": MATCH}
    app.clientside_callback(ClientsideFunction("cbwall", "gate"),
                            Output({"type": "wall-req", **pid}, "data"),
                            Input({"type": "wall-iv", **pid}, "n_intervals"),
                            State({"type": "wall-iv", **pid}, "id"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("cbwall", "ack"),
                            Output({"type": "wall-sink", **pid}, "data"),
                            Input({"type": "wall-ack", **pid}, "data"),
                            State({"type": "wall-ack", **pid}, "id"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("cbwall", "visibility"),
                            Output({"type": "wall-iv", "panel": ALL}, "disabled"),
                            Input("wall-visible", "data"), prevent_initial_call=True)

    @app.callback(Output({"type": "wall-body", **pid}, "children"),
                  Output({"type": "wall-head", **pid}, "children"),
                  Output({"type": "wall-panel", **pid}, "className"),
                  Output({"type": "wall-meta", **pid}, "data"),
                  Output({"type": "wall-ack", **pid}, "data"),
                  Input({"type": "wall-req", **pid}, "data"),
                  State({"type": "wall-meta", **pid}, "data"),
                  State("wall-config", "data"), prevent_initial_call=True)
    def _refresh(req, meta, cfg):
        from dash import ctx

        key = ctx.triggered_id["panel"] if isinstance(ctx.triggered_id, dict) else None
        meta = meta or {}
        try:
            got = render_panel(key, cfg or {}) if key else None
        except Exception:  # a failing feed must never take the wall down: keep what is shown
            log.exception("wall panel %s failed to refresh", key)
            got = None
        if got is None:
            return no_update, no_update, no_update, no_update, req
        parts, head_children, cls, head_sig = got
        body = body_update(parts, meta.get("sigs") or [])
        new_meta = {"sigs": [p.sig for p in parts], "head": head_sig, "cls": cls}
        return (body,
                no_update if head_sig == meta.get("head") else head_children,
                no_update if cls == meta.get("cls") else cls,
                no_update if new_meta == meta else new_meta,
                req)
