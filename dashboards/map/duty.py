"""The duty officer on /map: acknowledge alarms in the alert list, open a work order from a clicked
feature or from an alarm (prefilled: title, region, place, alarm), and reach an order's page from the
work-order layer.

Buttons appear only for roles that may act (``citybrain.ui.duty``, ``citybrain.ops.rules``); every
callback checks the role again. Writes go through Dash callbacks (same-origin POSTs), so the CSRF
header the app adds to those covers them.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from citybrain import audit, context
from citybrain.i18n import label, register, t
from citybrain.ops import rules, workorders
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import OpsError
from citybrain.semantics.alarms import alarm_set
from citybrain.semantics.freshness import now as clock_now
from citybrain.store import get_store
from citybrain.ui import duty
from layers.registry import cached_features

from .panels import P, alerts, time_at

log = logging.getLogger(__name__)
register({
    "map.order.title": ("新建工单", "New work order"), "map.order.name": ("工单标题", "Title"),
    "map.order.create": ("创建工单", "Create order"), "map.order.cancel": ("取消", "Cancel"),
    "map.order.where": ("位置 {lon:.5f}°E, {lat:.5f}°N", "Place {lon:.5f}°E, {lat:.5f}°N"),
    "map.order.alarm": ("关联告警 {id}", "Alarm {id}"), "map.order.region": ("地区 {r}", "Region {r}"),
    "map.order.done": ("已创建工单 #{id}", "Order #{id} created"),
    "map.order.open": ("打开工单页 →", "Open the order's page →"),
    "map.order.bad": ("请填写 1–200 字的标题。", "Enter a title of 1–200 characters."),
    "map.order.denied": ("当前角色不能创建工单。", "This role may not create work orders."),
})


def order_form(lang: str) -> html.Div:
    """The new-order form (hidden until a feature's or an alarm's "open order" fills it)."""
    return html.Div(id=f"{P}-order", className="map-order map-order-hidden", children=[
        html.H3(t("map.order.title", lang)),
        dcc.Input(id=f"{P}-order-title", placeholder=t("map.order.name", lang), maxLength=200, className="ops-note"),
        dcc.Dropdown(id=f"{P}-order-category", clearable=False, searchable=False, value="normal", className="ops-select",
                     options=[{"label": label("wo_category", c, lang), "value": c} for c in rules.CATEGORIES]),
        html.Div(id=f"{P}-order-info", className="map-order-info"),
        html.Div([html.Button(t("map.order.create", lang), id=f"{P}-order-create", n_clicks=0, className="ops-button"),
                  html.Button(t("map.order.cancel", lang), id=f"{P}-order-cancel", n_clicks=0,
                              className="duty-button")], className="map-order-buttons"),
    ])


def order_link(oid: int, ctxdata: dict[str, Any]) -> dcc.Link:
    return dcc.Link(t("map.order.open", ctxdata["lang"]), id=f"{P}-order-link",
                    href=f"/workorders/{oid}?region={ctxdata['region']}&lang={ctxdata['lang']}", className="cb-link")


def feature_actions(layer_id: str, fid: str, ctxdata: dict[str, Any]) -> list[Any]:
    """Under a feature's details: its order's page (work-order layer) or "open order" (duty roles)."""
    if layer_id == "workorders" and str(fid).isdigit():
        return [html.P(order_link(int(fid), ctxdata))]
    if rules.may_create(caller()[1]):
        return [html.Button(t("duty.order", ctxdata["lang"]), id={"type": f"{P}-order-feature", "index": 0},
                            n_clicks=0, className="duty-button duty-order")]
    return []


def alert_panel(ctxdata: dict[str, Any], win: dict[str, Any], step: int | None) -> list[Any]:
    """The alert list at the map's time; with states and buttons when it shows the present."""
    at = time_at(win, step)
    raised = alarm_set(get_store(), ctxdata["region"], at)
    if step is not None and int(step) < int(win["n"]):
        return alerts(raised, ctxdata["lang"])
    return alerts(raised, ctxdata["lang"], lc=duty.states(raised["id"].tolist()), acts=duty.may_ack())


def _draft_of_alarm(alarm_id: str, ctxdata: dict[str, Any], win: dict[str, Any], step: int | None) -> dict[str, Any]:
    store, at = get_store(), time_at(win, step)
    raised = alarm_set(store, ctxdata["region"], at)
    row = raised[raised["id"] == alarm_id]
    title = "" if row.empty else str(row[f"title_{ctxdata['lang']}"].iloc[0])
    draft: dict[str, Any] = {"title": title[:200], "alarm_id": alarm_id, "lon": None, "lat": None}
    layer_id, _, fid = alarm_id.partition(":")
    if layer_id != "kpi" and fid:
        feats = cached_features(store, layer_id, ctxdata["region"], at)
        hit = feats[feats["id"] == fid]
        if not hit.empty:
            draft.update(lon=float(hit["lon"].iloc[0]), lat=float(hit["lat"].iloc[0]))
    return draft


def _info(draft: dict[str, Any], ctxdata: dict[str, Any]) -> list[Any]:
    lang = ctxdata["lang"]
    out = [html.Div(t("map.order.region", lang).format(r=ctxdata["region"]))]
    if draft.get("lon") is not None and draft.get("lat") is not None:
        out.append(html.Div(t("map.order.where", lang).format(lon=draft["lon"], lat=draft["lat"])))
    if draft.get("alarm_id"):
        out.append(html.Div(t("map.order.alarm", lang).format(id=draft["alarm_id"])))
    return out


def create(title: Any, category: Any, draft: dict[str, Any], region: str) -> dict[str, Any]:
    """Create the drafted order as the caller (``OpsError`` on a bad title or a role that may not)."""
    user, role, _ = caller()
    title = title.strip() if isinstance(title, str) else ""
    if not 0 < len(title) <= 200 or category not in rules.CATEGORIES:
        raise OpsError("bad title or category", parameter="title")
    alarm_id = draft.get("alarm_id") if isinstance(draft.get("alarm_id"), str) else None
    lon, lat = draft.get("lon"), draft.get("lat")
    ok = isinstance(lon, (int, float)) and isinstance(lat, (int, float)) and -180 <= lon <= 180 and -90 <= lat <= 90
    out = workorders.create(ensure(context.current().ops), user=user, role=role, title=title, category=category,
                            region=region, now=clock_now(), alarm_id=(alarm_id or None) and alarm_id[:200],
                            lon=float(lon) if ok else None, lat=float(lat) if ok else None)
    audit.record("workorder_create", user=user, role=role, **out, title=title, category=category, region=region,
                 alarm_id=alarm_id, via="map")
    return out


def register_callbacks(app: Dash) -> None:
    """Acknowledge, open the form, create (all writes check the role themselves)."""

    @app.callback(Output(f"{P}-alerts", "children", allow_duplicate=True), Output(f"{P}-ack-msg", "children"),
                  Input({"type": f"{P}-ack", "index": ALL}, "n_clicks"), State(f"{P}-ctx", "data"),
                  State(f"{P}-win", "data"), State(f"{P}-slider", "value"), prevent_initial_call=True)
    def _ack(_n, ctxdata, win, step):
        if not duty.clicked() or not isinstance(dash.ctx.triggered_id, dict):
            return no_update, no_update
        msg = duty.acknowledge(str(dash.ctx.triggered_id["index"])[:200], ctxdata["region"], ctxdata["lang"])
        return alert_panel(ctxdata, win, step), msg

    @app.callback(Output(f"{P}-order", "className"), Output(f"{P}-order-title", "value"),
                  Output(f"{P}-order-draft", "data"), Output(f"{P}-order-info", "children"),
                  Input({"type": f"{P}-order", "index": ALL}, "n_clicks"),
                  Input({"type": f"{P}-order-feature", "index": ALL}, "n_clicks"),
                  Input(f"{P}-order-cancel", "n_clicks"), State(f"{P}-pick", "data"), State(f"{P}-ctx", "data"),
                  State(f"{P}-win", "data"), State(f"{P}-slider", "value"), prevent_initial_call=True)
    def _open(_a, _f, _c, pick, ctxdata, win, step):
        trig = dash.ctx.triggered_id
        if trig == f"{P}-order-cancel":
            return "map-order map-order-hidden", no_update, no_update, no_update
        if not duty.clicked() or not rules.may_create(caller()[1]):
            return no_update, no_update, no_update, no_update
        if isinstance(trig, dict) and trig.get("type") == f"{P}-order":
            draft = _draft_of_alarm(str(trig["index"])[:200], ctxdata, win, step)
        else:
            draft = {"title": (pick or {}).get("title", ""), "alarm_id": None,
                     "lon": (pick or {}).get("lon"), "lat": (pick or {}).get("lat")}
        return "map-order", draft["title"], draft, _info(draft, ctxdata)

    @app.callback(Output(f"{P}-ack-msg", "children", allow_duplicate=True),
                  Output(f"{P}-order", "className", allow_duplicate=True),
                  Input(f"{P}-order-create", "n_clicks"), State(f"{P}-order-title", "value"),
                  State(f"{P}-order-category", "value"), State(f"{P}-order-draft", "data"), State(f"{P}-ctx", "data"),
                  prevent_initial_call=True)
    def _create(_n, title, category, draft, ctxdata):
        lang = ctxdata["lang"]
        try:
            out = create(title, category, draft or {}, ctxdata["region"])
        except OpsError as exc:
            return t("map.order.denied" if exc.status == 403 else "map.order.bad", lang), no_update
        return [t("map.order.done", lang).format(id=out["id"]), " ", order_link(out["id"], ctxdata)], \
            "map-order map-order-hidden"
