"""What the order page shows: the order's summary, the steps the caller may take, and its timeline.

``body(order, role, department, lang, ctx)`` is drawn by the layout and again after each step; the
order's version travels with it (``workorder-version``), so a step is always taken at the version
the page showed (409 when someone moved first).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc, html
from sqlalchemy import select

from citybrain.i18n import label, register, t
from citybrain.ops import rules
from citybrain.ops.errors import Forbidden
from citybrain.ops.tables import workorders as table
from citybrain.regions import region_name

P = "workorder"
register({
    "wo.page.title": ("工单 #{id}", "Order #{id}"),
    "wo.page.state": ("状态", "State"), "wo.page.category": ("类别", "Category"), "wo.page.region": ("地区", "Region"),
    "wo.page.dept": ("处置部门", "Department"), "wo.page.due": ("本步时限", "Step due"),
    "wo.page.created": ("创建", "Created"), "wo.page.alarm": ("关联告警", "Alarm"), "wo.page.place": ("位置", "Place"),
    "wo.page.on_map": ("在一张图上查看", "See on the one-map"), "wo.page.board": ("← 工单看板", "← Work orders"),
    "wo.page.next": ("下一步", "Next step"), "wo.page.timeline": ("处置过程", "Timeline"),
    "wo.page.note": ("说明（退回、不予立案时必填）", "Note (required to reject or send back)"),
    "wo.page.dept_in": ("派遣至部门", "Dispatch to department"),
    "wo.page.photos": ("添加照片（JPEG/PNG/WebP，每张不超过 {mb} MB）", "Add photos (JPEG/PNG/WebP, at most {mb} MB each)"),
    "wo.page.readonly": ("当前角色在此状态下没有可执行的步骤。", "This role has no step to take in this state."),
    "wo.page.final": ("工单已办结。", "The order is finished."),
    "wo.page.missing": ("未找到该工单，或当前角色无权查看。", "No such order, or this role may not see it."),
    "wo.page.by": ("{user}（{role}）", "{user} ({role})"), "wo.page.overdue": ("已超时", "Overdue"),
    "wo.page.none": ("—", "—"), "wo.page.photo": ("照片 {n}", "Photo {n}"),
    "wo.do.registered": ("立案", "Register"), "wo.do.rejected": ("不予立案", "Reject"),
    "wo.do.dispatched": ("派遣", "Dispatch"), "wo.do.rework": ("核查不通过，返工", "Verification failed: rework"),
    "wo.do.handled": ("处置完成", "Mark handled"), "wo.do.verified": ("核查通过", "Verification passed"),
    "wo.do.closed": ("结案", "Close"),
    "role.duty": ("值班员", "duty officer"), "role.handler": ("处置人员", "handler"), "role.admin": ("管理员", "admin"),
    "role.leader": ("领导", "leader"), "role.analyst": ("分析员", "analyst"), "role.anonymous": ("系统", "system"),
})


def when(v: Any) -> str:
    return "" if v is None else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def allowed(order: dict[str, Any], role: str | None, department: str | None) -> list[str]:
    """The steps the caller may take from the order's state (life cycle and role both allow)."""
    out = []
    for to in rules.NEXT.get(order["state"], ()):
        try:
            rules.check_role(role, department, to, order["department"])
        except Forbidden:
            continue
        out.append(to)
    return out


def step_label(state: str, to: str, lang: str) -> str:
    return t("wo.do.rework" if (state, to) == ("handled", "dispatched") else f"wo.do.{to}", lang)


def departments(engine: Any) -> list[str]:
    """Departments orders were dispatched to so far (suggestions for the dispatch field)."""
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(select(table.c.department).where(
            table.c.department.is_not(None)).distinct().limit(200)))


def _fact(name: str, value: Any, lang: str) -> html.Div:
    return html.Div([html.Dt(t(f"wo.page.{name}", lang)), html.Dd(value if value not in (None, "") else "—")],
                    className="wo-fact", id=f"{P}-fact-{name}")


def summary(o: dict[str, Any], lang: str) -> html.Dl:
    due: list[Any] = [when(o["due_at"])] if o["due_at"] is not None and o["state"] not in rules.FINAL else []
    if o["overdue"]:
        due.append(html.Span(f"■ {t('wo.page.overdue', lang)}", className="ops-badge"))
    place: Any = None
    if o["lon"] is not None and o["lat"] is not None:
        place = [f"{o['lon']:.5f}°E, {o['lat']:.5f}°N  ",
                 dcc.Link(t("wo.page.on_map", lang), href=f"/map?region={o['region_code']}&lang={lang}",
                          className="cb-link")]
    return html.Dl(className="wo-facts", children=[
        _fact("state", html.Span(label("wo_state", o["state"], lang), className=f"wo-state wo-state-{o['state']}",
                                 id=f"{P}-state"), lang),
        _fact("category", label("wo_category", o["category"], lang), lang),
        _fact("region", region_name(o["region_code"], lang), lang),
        _fact("dept", o["department"], lang), _fact("due", due or None, lang),
        _fact("created", f"{o['created_by']} · {when(o['created_at'])}", lang),
        _fact("alarm", o["alarm_id"], lang), _fact("place", place, lang)])


def actions(o: dict[str, Any], steps: list[str], lang: str, depts: list[str], max_mb: float) -> html.Section:
    if not steps:
        text = t("wo.page.final" if o["state"] in rules.FINAL else "wo.page.readonly", lang)
        return html.Section(html.P(text, id=f"{P}-readonly", className="ops-readonly"), className="wo-actions")
    fields: list[Any] = [dcc.Textarea(id=f"{P}-note", placeholder=t("wo.page.note", lang), maxLength=2000,
                                      className="wo-note")]
    # always there (the step callback reads it), shown only when a dispatch is among the steps
    fields.append(dcc.Input(id=f"{P}-dept", placeholder=t("wo.page.dept_in", lang), maxLength=64,
                            value=o["department"] or None, list=f"{P}-depts", className="ops-note wo-dept",
                            style=None if "dispatched" in steps else {"display": "none"}))
    fields.append(html.Datalist(id=f"{P}-depts", children=[html.Option(value=d) for d in depts]))
    fields.append(dcc.Upload(id=f"{P}-photo", multiple=True, accept="image/jpeg,image/png,image/webp",
                             max_size=-1, className="wo-upload",
                             children=html.Div(t("wo.page.photos", lang).format(mb=f"{max_mb:g}"))))
    fields.append(html.Div(id=f"{P}-photo-list", className="wo-photo-list"))
    buttons = [html.Button(step_label(o["state"], to, lang), id={"type": f"{P}-step", "to": to}, n_clicks=0,
                           className="ops-button wo-step" + (" wo-step-back" if to in ("rejected",) or
                                                               (o["state"], to) == ("handled", "dispatched") else ""))
               for to in steps]
    return html.Section(className="wo-actions", children=[
        html.H2(t("wo.page.next", lang)), html.Div(fields, className="wo-fields"),
        html.Div(buttons, className="wo-buttons")])


def timeline(o: dict[str, Any], lang: str) -> html.Ol:
    items = []
    for s in o["history"]:
        pics = [html.A(html.Img(src=f"/api/v1/workorders/{o['id']}/photos/{p['sha256']}",
                                alt=t("wo.page.photo", lang).format(n=i + 1), className="wo-thumb"),
                       href=f"/api/v1/workorders/{o['id']}/photos/{p['sha256']}", target="_blank")
                for i, p in enumerate(s.get("photos") or [])]
        who = t("wo.page.by", lang).format(user=s["user"], role=t(f"role.{s['role']}", lang)
                                           if s["role"] in ("duty", "handler", "admin", "leader", "analyst",
                                                            "anonymous") else s["role"])
        head = [html.Span(step_label(s["from"] or "", s["to"], lang) if s["from"] else label("wo_state", s["to"], lang),
                          className=f"wo-state wo-state-{s['to']}"),
                html.Span(when(s["at"]), className="wo-when"), html.Span(who, className="wo-who")]
        if s.get("department") and s["to"] == "dispatched":
            head.append(html.Span(f"→ {s['department']}", className="wo-dept-to"))
        items.append(html.Li(className="wo-step-item", **{"data-version": str(s["version"])}, children=[
            html.Div(head, className="wo-step-head"),
            html.P(s["note"], className="wo-step-note") if s.get("note") else None,
            html.Div(pics, className="wo-photos") if pics else None]))
    return html.Ol(list(reversed(items)), id=f"{P}-timeline", className="wo-timeline")


def body(o: dict[str, Any], steps: list[str], lang: str, depts: list[str], max_mb: float) -> list[Any]:
    """Summary, actions and timeline of the order, with the version they show."""
    return [dcc.Store(id=f"{P}-version", data=o["version"]), summary(o, lang),
            actions(o, steps, lang, depts, max_mb),
            html.Section([html.H2(t("wo.page.timeline", lang)), timeline(o, lang)], className="wo-history")]
