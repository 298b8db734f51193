"""The duty officer's acknowledgement where alarms are listed (/map's alert list, the cockpit).

``states(ids)`` reads each alarm's life cycle (``citybrain.ops.alarms``); ``ack_line`` renders what a
list item adds: "✓ acknowledged by whom, when" or "▲ unacknowledged", and — only for roles that may
act on alarms — an acknowledge button (``{"type": f"{prefix}-ack", "index": alarm id}``) and, where
the page can open orders, an "open order" button (``{"type": f"{prefix}-order", ...}``).
``acknowledge(alarm_id, region)`` acknowledges as the caller (checked again: the button is a
convenience, not the guard) and is audited. The wall shows the same states and has no button.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from dash import html
from sqlalchemy.exc import SQLAlchemyError

from citybrain import audit, context
from citybrain.auth.roles import can_act_on_alarms
from citybrain.i18n import register, t
from citybrain.ops import alarms as life
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import OpsError
from citybrain.semantics.freshness import now as clock_now

log = logging.getLogger(__name__)
register({
    "duty.ack": ("确认", "Acknowledge"), "duty.order": ("开工单", "Open order"),
    "duty.unacked": ("▲ 未确认", "▲ Unacknowledged"),
    "duty.acked": ("✓ 已确认 · {who} · {at}", "✓ Acknowledged · {who} · {at}"),
    "duty.silenced": ("静默至 {at}", "silenced until {at}"),
    "duty.ack.done": ("已确认告警：{title}", "Alarm acknowledged: {title}"),
    "duty.ack.denied": ("当前角色不能确认告警。", "This role may not acknowledge alarms."),
    "duty.ack.gone": ("该告警已不在当前告警清单中。", "This alarm is no longer in the alarm set."),
    "duty.db": ("运行库暂不可用，请稍后重试。", "The operational database is unavailable; try again shortly."),
})


def when(v: Any) -> str:
    return "" if v is None else pd.Timestamp(v).strftime("%m-%d %H:%M")


def states(ids: list[str]) -> dict[str, dict[str, Any]]:
    """The life cycle of ``ids`` (an alarm the database does not know yet is active); empty on a
    database failure (the list still shows the alarms, without states)."""
    try:
        return life.states(ensure(context.current().ops), ids, clock_now())
    except SQLAlchemyError:
        log.exception("alarm states unavailable")
        return {}


def unacknowledged(frame: pd.DataFrame) -> int:
    """How many alarms of an alarm set nobody has acknowledged (and that are not silenced)."""
    if frame.empty:
        return 0
    known = states(frame["id"].tolist())
    return sum(1 for i in frame["id"] if (known.get(i) or {"state": "active"})["state"] == "active"
               and not (known.get(i) or {}).get("silenced_until"))


def clicked() -> bool:
    """Whether the callback's pattern-matched button was really clicked (a list that re-rendered
    fires its buttons' callbacks with ``n_clicks`` 0)."""
    import dash

    return bool(dash.ctx.triggered and dash.ctx.triggered[0].get("value"))


def may_ack() -> bool:
    return can_act_on_alarms(caller()[1])


def ack_line(prefix: str, alarm_id: str, lc: dict[str, Any] | None, lang: str, acts: bool,
             order: bool = False) -> html.Div:
    """The state of one listed alarm and, for a duty role (``acts``), its buttons."""
    lc = lc or {"state": "active"}
    if lc["state"] == "acknowledged":
        text = t("duty.acked", lang).format(who=lc.get("acknowledged_by") or "", at=when(lc.get("acknowledged_at")))
        cls = "duty-state duty-acked"
    else:
        text, cls = t("duty.unacked", lang), "duty-state duty-unacked"
    parts: list[Any] = [html.Span(text, className=cls)]
    if lc.get("silenced_until"):
        parts.append(html.Span(t("duty.silenced", lang).format(at=when(lc["silenced_until"])), className="duty-silenced"))
    if acts and lc["state"] != "acknowledged":
        parts.append(html.Button(t("duty.ack", lang), id={"type": f"{prefix}-ack", "index": alarm_id}, n_clicks=0,
                                 className="duty-button duty-ack"))
    if acts and order:
        parts.append(html.Button(t("duty.order", lang), id={"type": f"{prefix}-order", "index": alarm_id}, n_clicks=0,
                                 className="duty-button duty-order"))
    return html.Div(parts, className="duty-line")


def acknowledge(alarm_id: str, region: str, lang: str) -> str:
    """Acknowledge ``alarm_id`` as the caller; the message to show."""
    user, role, _ = caller()
    if not can_act_on_alarms(role):
        return t("duty.ack.denied", lang)
    try:
        engine, now = ensure(context.current().ops), clock_now()
        if life.find(engine, alarm_id) is None:
            life.refresh(engine, region, now)  # an alarm of the set nobody has listed yet
        life.acknowledge(engine, alarm_id, user, now, None)
        row = life.find(engine, alarm_id)
    except OpsError as exc:
        log.info("alarm %s not acknowledged: %s", alarm_id, exc.message)
        return t("duty.ack.gone", lang)
    except SQLAlchemyError:
        log.exception("alarm %s not acknowledged", alarm_id)
        return t("duty.db", lang)
    audit.record("alarm_acknowledge", user=user, role=role, alarm_id=alarm_id, via="list")
    title = (row.title_zh if lang == "zh" else row.title_en) if row is not None else alarm_id
    return t("duty.ack.done", lang).format(title=title or alarm_id)
