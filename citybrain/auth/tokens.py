"""Bearer tokens of local users for scripts and integrations (``Authorization: Bearer <token>``).

``issue`` makes a random token for a user of the users file and keeps only its SHA-256 in the
operational database (``api_tokens``), with a short ``label`` that names it in lists and the user's
role when it was issued. A token stands while it is not revoked and its user still exists with that
role (``citybrain.auth.identity``): removing a user or changing its role ends its tokens.
``citybrain users token NAME [--revoke|--list]`` and ``citybrain users revoke-token LABEL`` manage them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Request
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from citybrain.ops.db import write
from citybrain.ops.tables import api_tokens

log = logging.getLogger(__name__)
PREFIX = "cbt_"
#: A token's last use is written at most this often (reads stay reads).
TOUCH_EVERY = timedelta(minutes=1)
MAX_LEN = 128


def token_hash(token: str) -> str:
    """What the database keeps of a token (tokens are random: a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header ("" for a malformed one), else None."""
    auth = request.headers.get("Authorization")
    if not auth or not auth[:7].lower() == "bearer ":
        return None
    tok = auth[7:].strip()
    return tok if 0 < len(tok) <= MAX_LEN else ""


def issue(engine: Engine, user: str, role: str, now: datetime) -> tuple[str, str]:
    """A new token of ``user`` (in ``role``): (the token, shown once; its label)."""
    token = PREFIX + secrets.token_urlsafe(32)
    label = token_hash(token)[:10]
    with write(engine) as conn:
        conn.execute(api_tokens.insert().values(token_hash=token_hash(token), label=label, user=user, role=role,
                                                created_at=now))
    log.info("bearer token %s issued to %s (%s)", label, user, role)
    return token, label


def lookup(engine: Engine, token: str, now: datetime) -> Any | None:
    """The live (not revoked) row of ``token``, its last use noted; None when unknown or revoked."""
    if not token:
        return None
    h = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == h,
                                                    api_tokens.c.revoked_at.is_(None))).first()
    if row is not None and (row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY):
        with write(engine) as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
    return row


def revoke_user(engine: Engine, user: str, now: datetime) -> int:
    """Revoke every live token of ``user``; how many."""
    with write(engine) as conn:
        n = conn.execute(update(api_tokens).where(api_tokens.c.user == user, api_tokens.c.revoked_at.is_(None))
                         .values(revoked_at=now)).rowcount
    if n:
        log.info("%d bearer token(s) of %s revoked", n, user)
    return n


def revoke(engine: Engine, token_or_label: str, now: datetime) -> int:
    """Revoke one token named by itself or by its label; how many (0 or 1)."""
    with write(engine) as conn:
        n = conn.execute(update(api_tokens).where(
            or_(api_tokens.c.label == token_or_label, api_tokens.c.token_hash == token_hash(token_or_label)),
            api_tokens.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
    log.info("bearer token %s revoked: %d", token_or_label[:10], n)
    return n


def listing(engine: Engine, user: str) -> list[dict[str, Any]]:
    """The tokens of ``user`` (live and revoked), oldest first; never the token itself."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_tokens).where(api_tokens.c.user == user).order_by(api_tokens.c.id)).all()
    return [{"label": r.label, "role": r.role, "created_at": r.created_at, "last_used_at": r.last_used_at,
             "revoked_at": r.revoked_at} for r in rows]
