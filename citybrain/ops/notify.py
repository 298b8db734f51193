"""Notifications of escalations and urgent work orders: a webhook (JSON, or a DingTalk/浙政钉 robot's
markdown body) and e-mail over SMTP, as the settings configure (none by default).

``send`` claims the message once per ``key`` and channel in ``notifications`` (several workers or
hosts running the same check send it once) and delivers it in a background thread with a time
limit (``notify_timeout_seconds``): the caller's request never waits for, nor fails with, a
delivery. Each outcome (sent, or failed with the error) is logged and written to its row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from citybrain.ops.db import insert, write
from citybrain.ops.tables import notifications
from citybrain.settings import Settings

log = logging.getLogger(__name__)
#: Deliveries running at once in this process (more wait in their own threads, never in a request).
_SLOTS = threading.BoundedSemaphore(4)


@dataclass(frozen=True)
class Message:
    """One notification: ``title`` (a line), ``text`` (markdown, Chinese first), ``link`` into the app,
    ``fields`` (the JSON webhook's extra members: region, items, ...)."""

    kind: str  # escalation | urgent_order | overdue_order
    key: str   # sent once per key and channel
    title: str
    text: str
    link: str
    fields: dict[str, Any] = field(default_factory=dict)


def channels(settings: Settings) -> list[str]:
    """The configured channels: ``webhook``, ``email``."""
    out = ["webhook"] if settings.notify_webhook_url else []
    if settings.smtp_host and settings.smtp_from and settings.smtp_to:
        out.append("email")
    return out


def base_url(settings: Settings) -> str:
    """Where users open the app (links in messages)."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def send(engine: Engine, settings: Settings, msg: Message, now: datetime) -> list[threading.Thread]:
    """Deliver ``msg`` on every configured channel not yet claimed for its key, in the background;
    the delivery threads (a command line waits for them, a request never does)."""
    started = []
    for channel in channels(settings):
        row_id = _claim(engine, msg, channel, now)
        if row_id is None:
            continue
        t = threading.Thread(target=_deliver, args=(engine, settings, msg, channel, row_id),
                             name=f"notify-{channel}-{row_id}", daemon=True)
        t.start()
        started.append(t)
    return started


def claimed(engine: Engine, keys: list[str]) -> set[str]:
    """Which of ``keys`` were sent (or are being sent) already, on any channel."""
    if not keys:
        return set()
    with engine.connect() as conn:
        return set(conn.execute(select(notifications.c.key).where(notifications.c.key.in_(keys))).scalars())


def _claim(engine: Engine, msg: Message, channel: str, now: datetime) -> int | None:
    with write(engine) as conn:  # RETURNING: a skipped insert returns no row (rowcount may be -1)
        return conn.execute(insert(conn, notifications).values(
            key=msg.key[:240], channel=channel, kind=msg.kind, title=msg.title, status="queued",
            created_at=now).on_conflict_do_nothing().returning(notifications.c.id)).scalar_one_or_none()


def _deliver(engine: Engine, settings: Settings, msg: Message, channel: str, row_id: int) -> None:
    error = None
    with _SLOTS:
        try:
            (post_webhook if channel == "webhook" else send_mail)(settings, msg)
        except Exception as exc:  # noqa: BLE001 - any failure of a delivery is recorded, never raised
            error = f"{type(exc).__name__}: {exc}"[:1000]
    if error:
        log.warning("notification %s (%s) by %s failed: %s", msg.key, msg.kind, channel, error)
    else:
        log.info("notification %s (%s) sent by %s", msg.key, msg.kind, channel)
    from citybrain.semantics.freshness import clock

    try:
        with write(engine) as conn:
            conn.execute(update(notifications).where(notifications.c.id == row_id).values(
                status="failed" if error else "sent", error=error, sent_at=clock(settings.clock)))
    except Exception:  # noqa: BLE001 - a background thread logs, it has nobody to raise to
        log.exception("outcome of notification %s not recorded", msg.key)


def webhook_body(settings: Settings, msg: Message) -> dict[str, Any]:
    """The webhook's JSON: a DingTalk robot's markdown message, or the message's own members."""
    if settings.notify_webhook_format == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": msg.title, "text": msg.text}}
    return {"kind": msg.kind, "title": msg.title, "text": msg.text, "link": msg.link, **msg.fields}


def signed_url(url: str, secret: str | None, now_ms: int | None = None) -> str:
    """A DingTalk robot URL with ``timestamp`` and ``sign`` (HMAC-SHA256 of "timestamp\\nsecret")."""
    if not secret:
        return url
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def post_webhook(settings: Settings, msg: Message) -> None:
    """POST the message to the webhook; raises unless it answers 2xx (and DingTalk's errcode 0)."""
    data = json.dumps(webhook_body(settings, msg), ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(signed_url(settings.notify_webhook_url or "", settings.notify_webhook_secret),
                                 data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(req, timeout=settings.notify_timeout_seconds) as resp:  # noqa: S310 - configured URL
        answer = resp.read(65536)
    try:
        code = json.loads(answer).get("errcode", 0) if answer.strip() else 0
    except (ValueError, AttributeError):
        code = 0
    if code:
        raise RuntimeError(f"the robot answered errcode {code}: {answer[:200].decode('utf-8', 'replace')}")


def send_mail(settings: Settings, msg: Message) -> None:
    """Send the message as a UTF-8 e-mail to ``smtp_to``."""
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = msg.title, settings.smtp_from, ", ".join(settings.smtp_to)
    mail.set_content(f"{msg.text}\n\n{msg.link}\n", charset="utf-8")
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=settings.notify_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(mail)


def outcomes(engine: Engine, key_prefix: str = "") -> list[dict[str, Any]]:
    """The recorded notifications (whose key starts with ``key_prefix``), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(notifications).where(notifications.c.key.startswith(key_prefix))
                            .order_by(notifications.c.id)).all()
    return [dict(r._mapping) for r in rows]
