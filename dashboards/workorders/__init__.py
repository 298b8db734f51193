"""Work orders (工单看板): a board by state, overdue first; the duty officer opens new orders.

One column per state of the life cycle (``citybrain.ops.rules``), each order a card with its number,
title, category, department and due time; overdue orders lead their column with a red badge. A
handler sees its own department's orders only. Roles that may create (duty, admin) get a small form;
the callback checks the role again. Steps are taken through the API
(``POST /api/v1/workorders/<id>/transition``).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from citybrain import audit, context
from citybrain.i18n import label, register, t
from citybrain.ops import words  # noqa: F401  (the words of states and categories)
from citybrain.ops import rules, workorders
from citybrain.ops.caller import caller
from citybrain.ops.db import engine as ops_engine
from citybrain.ops.errors import OpsError
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.semantics.freshness import now as clock_now
from citybrain.ui import heading

log = logging.getLogger(__name__)
P = "workorders"
BOARD = ("received", "registered", "dispatched", "handled", "verified", "closed", "rejected")
register({
    "wo.title": ("工单看板", "Work orders"),
    "wo.intro": ("按状态排列的工单，超时工单排在每列最前。受理、立案、派遣、处置、核查、结案形成闭环。",
                 "Orders by state, overdue first in each column: received, registered, dispatched, handled, "
                 "verified, closed — the closed loop."),
    "wo.new": ("新建工单", "New order"), "wo.new.title": ("工单标题", "Title"),
    "wo.create": ("创建", "Create"), "wo.created": ("已创建工单 #{id}。", "Order #{id} created."),
    "wo.empty": ("无", "None"), "wo.overdue": ("超时", "Overdue"), "wo.due": ("时限", "Due"),
    "wo.dept": ("处置部门", "Department"), "wo.readonly": ("当前角色只能查看工单。", "This role may view orders only."),
    "wo.bad_title": ("请填写 1–200 字的标题。", "Enter a title of 1–200 characters."),
})


def _time(v: Any) -> str:
    return "" if v is None else pd.Timestamp(v).strftime("%m-%d %H:%M")


def card(o: dict[str, Any], lang: str) -> html.Div:
    """One order on the board."""
    meta = [label("wo_category", o["category"], lang)]
    if o["department"]:
        meta.append(f"{t('wo.dept', lang)} {o['department']}")
    if o["due_at"] is not None and o["state"] not in rules.FINAL:
        meta.append(f"{t('wo.due', lang)} {_time(o['due_at'])}")
    return html.Div(className="ops-card" + (" ops-overdue" if o["overdue"] else ""), children=[
        html.Div([html.Strong(f"#{o['id']}"),
                  html.Span(t("wo.overdue", lang), className="ops-badge") if o["overdue"] else None]),
        html.Div(o["title"], className="ops-card-title"),
        html.Div(" · ".join(meta), className="ops-card-meta")])


def board(region: str, lang: str) -> list[html.Section]:
    """The columns of the board: the region's orders the caller may see, overdue first."""
    _user, role, dept = caller()
    rows = workorders.listing(ops_engine(), role=role, department=dept, now=clock_now(), region=region,
                              limit=context.current().settings.api_max_rows)
    out = []
    for state in BOARD:
        mine = [o for o in rows if o["state"] == state]
        out.append(html.Section(className="ops-column", children=[
            html.H2(f"{label('wo_state', state, lang)} · {len(mine)}"),
            *([card(o, lang) for o in mine] or [html.P(t("wo.empty", lang), className="ops-empty")])]))
    return out


def layout(region: str | None = None, lang: str | None = None, **_query: Any) -> html.Div:
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    may = rules.may_create(caller()[1])
    form = [dcc.Input(id=f"{P}-title", placeholder=t("wo.new.title", lang), maxLength=200, className="ops-note"),
            dcc.Dropdown(id=f"{P}-category", clearable=False, searchable=False, value="normal", className="ops-select",
                         options=[{"label": label("wo_category", c, lang), "value": c} for c in rules.CATEGORIES]),
            html.Button(t("wo.create", lang), id=f"{P}-create", n_clicks=0, className="ops-button")] if may else \
        [html.P(t("wo.readonly", lang), id=f"{P}-readonly", className="ops-readonly")]
    return html.Div(className="cb-page", id=f"{P}-page", children=[
        heading(f"{t('wo.title', lang)} · {region_name(region, lang)}", t("wo.intro", lang)),
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        dcc.Interval(id=f"{P}-tick", interval=30_000),
        html.Div(className="ops-bar", children=[html.Strong(t("wo.new", lang)) if may else None, *form]),
        html.Div(id=f"{P}-msg", className="ops-msg", role="status"),
        html.Div(board(region, lang), id=f"{P}-board", className="ops-board"),
    ])


def create(title: str | None, category: str | None, region: str) -> dict[str, Any]:
    """Create an order as the caller (``OpsError`` when the role may not or the input is bad)."""
    user, role, _ = caller()
    title = (title or "").strip()
    if not 0 < len(title) <= 200 or category not in rules.CATEGORIES:
        raise OpsError("bad title or category", parameter="title")
    out = workorders.create(ops_engine(), user=user, role=role, title=title, category=category, region=region,
                            now=clock_now())
    audit.record("workorder_create", user=user, role=role, **out, title=title, category=category, region=region,
                 via="page")
    return out


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(f"{P}-board", "children"), Input(f"{P}-tick", "n_intervals"), State(f"{P}-ctx", "data"),
                  prevent_initial_call=True)
    def _tick(_n, ctx):
        return board(ctx["region"], ctx["lang"])

    @app.callback(Output(f"{P}-board", "children", allow_duplicate=True), Output(f"{P}-msg", "children"),
                  Input(f"{P}-create", "n_clicks"), State(f"{P}-title", "value"), State(f"{P}-category", "value"),
                  State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _create(_n, title, category, ctx):
        lang = ctx["lang"]
        try:
            out = create(title if isinstance(title, str) else None, category, ctx["region"])
        except OpsError as exc:
            return no_update, t("wo.readonly" if exc.status == 403 else "wo.bad_title", lang)
        return board(ctx["region"], lang), t("wo.created", lang).format(id=out["id"])


MODULE = DashboardModule(
    id=P, title_zh="工单看板", title_en="Work orders", path="/workorders", layout=layout, order=86,
    register_callbacks=register_callbacks,
    description_zh="工单按受理、立案、派遣、处置、核查、结案排列，超时在前（GB/T 30428.8 闭环）。",
    description_en="Work orders by state — received, registered, dispatched, handled, verified, closed — "
                   "overdue first (the GB/T 30428.8 closed loop).",
)
