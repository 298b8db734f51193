"""One work order (工单详情) at ``/workorders/<id>``: its facts, its timeline and the next steps.

The timeline shows every step (state, who, when, department, note, photos). The steps the caller's
role may take from the current state are buttons (register or reject, dispatch to a department,
handle — with photos —, verify or send back for rework, close); each is taken with the existing
``citybrain.ops.workorders.transition`` at the version the page shows, so when someone else moved
first the page says so (409), reloads the order and takes nothing. A handler sees only its own
department's orders (anything else is "not found", as in the API).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from citybrain import audit, context
from citybrain.i18n import label, register, t
from citybrain.ops import photos, workorders
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import NotFound, OpsError
from citybrain.regions import REGIONS
from citybrain.registry import DashboardModule
from citybrain.semantics.freshness import now as clock_now
from citybrain.ui import duty, heading

from .view import P, allowed, body, departments

log = logging.getLogger(__name__)
register({
    "wo.msg.done": ("已执行：{step}（第 {v} 版）。", "Done: {step} (version {v})."),
    "wo.msg.conflict": ("该工单刚被他人更新（现为第 {v} 版），页面已刷新；请核对后再操作。",
                        "Someone changed this order first (now version {v}); the page has been reloaded — check "
                        "and try again."),
    "wo.msg.denied": ("当前角色不能执行此步骤。", "This role may not take this step."),
    "wo.msg.note": ("此步骤需要填写说明（原因）。", "This step needs a note (the reason)."),
    "wo.msg.dept": ("派遣须填写处置部门。", "A dispatch names the department."),
    "wo.msg.illegal": ("当前状态下不能执行此步骤。", "This step is not allowed in the current state."),
    "wo.msg.photo": ("照片须为 JPEG、PNG 或 WebP 图片（按文件内容检查）：{name}",
                     "Photos must be JPEG, PNG or WebP images (checked by content): {name}"),
    "wo.msg.large": ("照片超过 {mb} MB：{name}", "Photo larger than {mb} MB: {name}"),
    "wo.msg.many": ("一步最多 {n} 张照片。", "At most {n} photos per step."),
    "wo.msg.db": ("运行库暂不可用，请稍后重试。", "The operational database is unavailable; try again shortly."),
})


def _ctx(lang: str | None, region: str | None) -> tuple[str, str]:
    s = context.current().settings
    return (lang if lang in ("zh", "en") else s.lang), (region if region in REGIONS else s.region)


def _max_mb() -> float:
    return round(context.current().settings.ops_photo_max_bytes / 1024 / 1024, 1)


def render(order_id: int, lang: str, with_title: bool = False) -> Any:
    """The page's body for the caller (and the order's title), or None when the order does not exist
    for them."""
    _user, role, dept = caller()
    engine = ensure(context.current().ops)
    try:
        o = workorders.get(engine, order_id, role=role, department=dept, now=clock_now())
    except NotFound:
        return None
    out = body(o, allowed(o, role, dept), lang, departments(engine), _max_mb())
    return (out, o["title"]) if with_title else out


def layout(order_id: str | None = None, lang: str | None = None, region: str | None = None, **_q: Any) -> html.Div:
    lang, region = _ctx(lang, region)
    oid = int(order_id) if isinstance(order_id, str) and order_id.isdigit() and len(order_id) <= 9 else 0
    got = render(oid, lang, with_title=True) if oid else None
    title = t("wo.page.title", lang).format(id=oid or "?")
    back = dcc.Link(t("wo.page.board", lang), href=f"/workorders?region={region}&lang={lang}", className="cb-link")
    if got is None:
        return html.Div(className="cb-page wo-page", id=f"{P}-page", children=[
            heading(title), back, html.P(t("wo.page.missing", lang), id=f"{P}-missing", className="ops-readonly")])
    content, o_title = got
    return html.Div(className="cb-page wo-page", id=f"{P}-page", children=[
        dcc.Store(id=f"{P}-ctx", data={"id": oid, "lang": lang, "region": region}),
        heading(f"{title} · {o_title}"), back,
        html.Div(id=f"{P}-msg", className="ops-msg", role="status"),
        html.Div(content, id=f"{P}-body", className="wo-body"),
    ])


def decode(contents: list[str] | None, names: list[str] | None) -> list[tuple[bytes, str]]:
    """The uploaded files' bytes and names (``OpsError`` naming ``photo`` when one is not base64)."""
    out = []
    for i, c in enumerate(contents or []):
        name = (names or [])[i] if i < len(names or []) else f"#{i + 1}"
        if not isinstance(c, str) or "," not in c:
            raise OpsError("not a file", parameter="photo", got=str(name))
        limit = context.current().settings.ops_photo_max_bytes
        b64 = c.split(",", 1)[1]
        if len(b64) * 3 // 4 > limit + 3:
            raise photos.TooLarge("photo too large", parameter="photo", got=str(name))
        try:
            out.append((base64.b64decode(b64, validate=True), str(name)))
        except (binascii.Error, ValueError):
            raise OpsError("not a file", parameter="photo", got=str(name)) from None
    return out


def take_step(order_id: int, to: str, version: int, note: str | None, department: str | None,
              files: list[tuple[bytes, str]]) -> dict[str, Any]:
    """Check the photos, take the step as the caller at ``version``, attach the photos to it; audited."""
    user, role, dept = caller()
    settings, engine, now = context.current().settings, ensure(context.current().ops), clock_now()
    if len(files) > photos.MAX_PER_STEP:
        raise OpsError("too many photos", parameter="photo", expected=str(photos.MAX_PER_STEP))
    stored = []
    for data, name in files:
        try:
            stored.append(photos.store_file(settings, io.BytesIO(data)))
        except OpsError as exc:
            exc.details["got"] = name
            raise
    out = workorders.transition(engine, order_id, to=to, version=version, user=user, role=role, user_department=dept,
                                now=now, department=department, note=note)
    if stored:
        photos.attach(engine, order_id, stored, user=user, now=now, step_version=out["version"],
                      filenames=[n for _d, n in files])
    audit.record("workorder_transition", user=user, role=role, **out, note=note, photos=[s.sha256 for s in stored],
                 via="page")
    return out


def _message(exc: OpsError, lang: str, names: list[str]) -> str:
    if exc.status == 409:
        return t("wo.msg.conflict", lang).format(v=exc.details.get("expected", "?"))
    if exc.status == 403:
        return t("wo.msg.denied", lang)
    if exc.status == 413:
        return t("wo.msg.large", lang).format(mb=f"{_max_mb():g}", name=exc.details.get("got", ""))
    param = exc.details.get("parameter")
    if param == "photo":
        if exc.message == "too many photos":
            return t("wo.msg.many", lang).format(n=photos.MAX_PER_STEP)
        return t("wo.msg.photo", lang).format(name=exc.details.get("got", ", ".join(names)))
    return t({"note": "wo.msg.note", "department": "wo.msg.dept"}.get(param, "wo.msg.illegal"), lang)


def register_callbacks(app: Dash) -> None:
    """The step buttons and the photo list."""

    @app.callback(Output(f"{P}-body", "children"), Output(f"{P}-msg", "children"),
                  Input({"type": f"{P}-step", "to": ALL}, "n_clicks"), State(f"{P}-version", "data"),
                  State(f"{P}-note", "value"), State(f"{P}-dept", "value"), State(f"{P}-photo", "contents"),
                  State(f"{P}-photo", "filename"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _step(_n, version, note, dept, contents, names, ctx):
        trig = dash.ctx.triggered_id
        if not duty.clicked() or not isinstance(trig, dict):
            return no_update, no_update
        lang, oid = ctx["lang"], int(ctx["id"])
        to = str(trig.get("to"))
        note = note.strip()[:2000] if isinstance(note, str) and note.strip() else None
        dept = dept.strip()[:64] if isinstance(dept, str) and dept.strip() else None
        try:
            files = decode(contents if isinstance(contents, list) else None, names if isinstance(names, list) else None)
            out = take_step(oid, to, int(version or 0), note, dept, files)
        except OpsError as exc:
            log.info("order %s: step to %s refused: %s", oid, to, exc.message)
            return render(oid, lang) or no_update, _message(exc, lang, names or [])
        return render(oid, lang) or no_update, t("wo.msg.done", lang).format(
            step=label("wo_state", to, lang), v=out["version"])

    @app.callback(Output(f"{P}-photo-list", "children"), Input(f"{P}-photo", "filename"), prevent_initial_call=True)
    def _photos(names):
        return [html.Span(str(n)[:80], className="wo-photo-name") for n in (names or [])[:photos.MAX_PER_STEP]]


MODULE = DashboardModule(
    id=P, title_zh="工单详情", title_en="Work order", path="/workorders/<order_id>", layout=layout, order=87,
    register_callbacks=register_callbacks, nav=False, path_template="/workorders/<order_id>",
    description_zh="一张工单的处置过程（每一步的状态、人员、时间、说明和照片）与下一步操作。",
    description_en="One work order: its timeline (every step's state, who, when, note and photos) and its next steps.",
)
