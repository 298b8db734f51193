"""The cockpit's duty list: the region's alarm set with who acknowledged what, and — for the duty
officer — an acknowledge button per alarm (``citybrain.ui.duty``). The cockpit's layout is memoised
for everyone, so the list is drawn by a callback for the caller (role-dependent, never cached)."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from citybrain import kpi
from citybrain.i18n import register, t
from citybrain.semantics.alarms import alarm_set
from citybrain.semantics.status import label as status_label
from citybrain.ui import duty

P = "overview"
#: Alarms the list shows (the count in the bar above covers all of them).
LIMIT = 20
register({"overview.duty": ("告警确认", "Acknowledge alarms"),
          "overview.duty.none": ("当前无预警或告警。", "Nothing in warning or alarm.")})


def placeholder(region: str, lang: str) -> list[Any]:
    """The empty list and its context, filled by the callback."""
    return [dcc.Store(id=f"{P}-duty-ctx", data={"region": region, "lang": lang}),
            html.Div(id=f"{P}-duty-msg", className="ops-msg", role="status"),
            html.Div(id=f"{P}-duty", className="dash-duty")]


def items(region: str, lang: str) -> list[Any]:
    """One row per alarm of the set (alarms first): severity, title, state, buttons for a duty role."""
    store, region, lang, at = kpi.resolve(region, lang)
    raised = alarm_set(store, region, at)
    if raised.empty:
        return [html.P(t("overview.duty.none", lang), className="dash-empty")]
    head = raised.head(LIMIT)
    lc, acts = duty.states(head["id"].tolist()), duty.may_ack()
    return [html.Div(className=f"dash-duty-item cb-{r.severity}", **{"data-alarm": r.id}, children=[
        html.Div([html.Strong(status_label(r.severity, lang)), " ", r.title_zh if lang == "zh" else r.title_en]),
        duty.ack_line(P, r.id, lc.get(r.id), lang, acts)]) for r in head.itertuples()]


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(f"{P}-duty", "children"), Output(f"{P}-duty-msg", "children"),
                  Input(f"{P}-duty-ctx", "data"), Input({"type": f"{P}-ack", "index": ALL}, "n_clicks"),
                  State(f"{P}-duty-ctx", "data"))
    def _duty(_ctx, _n, ctx):
        region, lang = ctx["region"], ctx["lang"]
        trig = dash.ctx.triggered_id
        if isinstance(trig, dict):
            if not duty.clicked():
                return no_update, no_update
            msg = duty.acknowledge(str(trig["index"])[:200], region, lang)
            return items(region, lang), msg
        return items(region, lang), ""
