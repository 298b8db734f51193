"""The words of notifications (``notify.Message``): escalated alarms and urgent work orders, in
Chinese first and then English, with the region, the alarm or order and a link into the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from citybrain.i18n import domain_label
from citybrain.ops.notify import Message
from citybrain.regions import region_name
from citybrain.semantics.status import label as severity_label

STATE_ZH = {"received": "受理", "registered": "立案", "rejected": "不予立案", "dispatched": "派遣", "handled": "处置",
            "verified": "核查", "closed": "结案"}
LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级"}
MAX_ITEMS = 20


@dataclass(frozen=True)
class Escalated:
    """An alarm whose escalation level was raised."""

    alarm_id: str
    scope_region: str
    region_code: str | None
    domain: str | None
    severity: str
    title_zh: str | None
    title_en: str | None
    raised_at: datetime | None
    level: int
    minutes: int


def _t(v: datetime | None) -> str:
    return "" if v is None else f"{v:%Y-%m-%d %H:%M}"


def _level(n: int) -> str:
    return LEVEL_ZH.get(n, f"{n}级")


def escalation(items: list[Escalated], base: str, now: datetime) -> Message:
    """One message for the alarms of one region escalated by one check."""
    region = items[0].scope_region
    rzh, ren = region_name(region, "zh"), region_name(region, "en")
    link = f"{base}/alarms?region={region}"
    top = max(i.level for i in items)
    if len(items) == 1:
        a = items[0]
        where = region_name(a.region_code, "zh") if a.region_code else rzh
        title = f"告警升级（{_level(a.level)}）· {rzh}：{a.title_zh or a.alarm_id}"
        text = (f"#### 告警升级（{_level(a.level)}）· {rzh}\n\n"
                f"**{a.title_zh or a.alarm_id}** 已 {a.minutes} 分钟未确认。\n\n"
                f"- 地区：{where}（{a.region_code or region}）\n"
                f"- 领域：{domain_label(a.domain, 'zh') if a.domain else '—'} · 级别：{severity_label(a.severity, 'zh')}\n"
                f"- 发生时间：{_t(a.raised_at)}\n- 告警编号：{a.alarm_id}\n\n"
                f"[打开告警处置]({link})\n\n"
                f"Alarm escalated to level {a.level} · {ren}: {a.title_en or a.alarm_id}, "
                f"unacknowledged for {a.minutes} min.")
    else:
        lines = [f"- **{region_name(a.region_code, 'zh') if a.region_code else rzh}** {a.title_zh or a.alarm_id}："
                 f"{_level(a.level)}，已 {a.minutes} 分钟未确认（{a.alarm_id}）" for a in items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            lines.append(f"- 另有 {len(items) - MAX_ITEMS} 条")
        title = f"告警升级 · {rzh}：{len(items)} 条告警超时未确认"
        text = (f"#### {title}\n\n" + "\n".join(lines) + f"\n\n[打开告警处置]({link})\n\n"
                f"{len(items)} alarms of {ren} escalated (up to level {top}): unacknowledged too long.")
    key = f"escalation:{region}:{now:%Y%m%d%H%M%S}:" + ",".join(f"{i.alarm_id}@{i.level}" for i in items)
    fields: dict[str, Any] = {"region": region, "region_name": rzh, "level": top, "items": [
        {"alarm_id": i.alarm_id, "region_code": i.region_code, "domain": i.domain, "severity": i.severity,
         "title_zh": i.title_zh, "title_en": i.title_en, "level": i.level, "minutes": i.minutes,
         "raised_at": _t(i.raised_at)} for i in items]}
    return Message("escalation", key[:240], title, text, link, fields)


def urgent_order(order: dict[str, Any], base: str, overdue: bool) -> Message:
    """An urgent work order: just created (``overdue`` False) or past its step's time limit."""
    oid, region, state = order["id"], order["region_code"], order["state"]
    rzh, ren = region_name(region, "zh"), region_name(region, "en")
    link = f"{base}/workorders/{oid}"
    if overdue:
        head = f"紧急工单超时 · {rzh}：#{oid} {order['title']}"
        what = f"在「{STATE_ZH.get(state, state)}」环节已超时（时限 {_t(order.get('due_at'))}）。"
        en = f"Urgent work order #{oid} · {ren} is overdue in state {state} (due {_t(order.get('due_at'))})."
        key = f"order:{oid}:overdue:{state}:{order['version']}"
    else:
        head = f"紧急工单 · {rzh}：#{oid} {order['title']}"
        what = "已创建，请及时受理立案。"
        en = f"Urgent work order #{oid} · {ren} created: {order['title']}."
        key = f"order:{oid}:created"
    alarm = f"- 关联告警：{order['alarm_id']}\n" if order.get("alarm_id") else ""
    text = (f"#### {head}\n\n**{order['title']}**（工单 #{oid}）{what}\n\n"
            f"- 地区：{rzh}（{region}）\n- 类别：紧急 · 环节：{STATE_ZH.get(state, state)}\n{alarm}\n"
            f"[打开工单]({link})\n\n{en}")
    fields = {"region": region, "region_name": rzh, "order": {k: (_t(v) if isinstance(v, datetime) else v)
                                                              for k, v in order.items()}}
    return Message("overdue_order" if overdue else "urgent_order", key, head, text, link, fields)
