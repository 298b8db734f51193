"""Who is calling: a user's bearer token (``tokens``), a server-side session (local sign-in or a wall
page), a wall token, a gateway's SSO header (``sso``), or everyone as one role when auth is off."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Request

from citybrain.settings import Settings
from citybrain.auth.roles import known_role
from citybrain.auth.sessions import Session, Sessions, fingerprint
from citybrain.auth.users import UserDirectory

log = logging.getLogger(__name__)
#: The cookie holding the session id (and nothing else).
COOKIE = "citybrain_session"


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    via: str  # off | session | header | wall-token | bearer
    session: Session | None = None
    #: A handler's department (部门): the work orders it sees and handles.
    department: str | None = None


def users_path(settings: Settings) -> Path:
    return settings.users_file or settings.db.parent / "users.json"


def secret_key(settings: Settings) -> str:
    """The signing key of the app: configured, or generated once and kept beside the store."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.db.parent / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def trusted(settings: Settings, addr: str | None) -> bool:
    """Whether ``addr`` is one of the configured trusted proxies (none by default)."""
    if not addr:
        return False
    try:
        ip = ipaddress.ip_address(addr)
        return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies)
    except ValueError:
        return False


def client_addr(settings: Settings, request: Request) -> str:
    """The caller's address: the proxy's last ``X-Forwarded-For`` hop when it comes from a trusted proxy."""
    addr = request.remote_addr or "-"
    if trusted(settings, addr):
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return addr


def wall_token(settings: Settings, request: Request) -> str | None:
    """A valid wall token from the URL (?token=) or the X-Wall-Token header."""
    given = request.args.get("token") or request.headers.get("X-Wall-Token")
    if not given:
        return None
    for tok in settings.wall_tokens:
        if hmac.compare_digest(given.encode(), tok.encode()):
            return tok
    return None


def session_valid(settings: Settings, s: Session, users: UserDirectory) -> bool:
    """Whether a stored session still stands: its wall token still configured, its user still there
    with the same role."""
    if not known_role(settings, s.role):
        return False
    if s.via == "wall-token":
        return s.token_fp in {fingerprint(t) for t in settings.wall_tokens}
    return users.role_of(s.user) == s.role


def identify(settings: Settings, request: Request, sessions: Sessions, users: UserDirectory) -> Identity | None:
    """The caller's identity, or None for an anonymous caller."""
    if settings.auth == "off":
        return Identity("anonymous", settings.auth_off_role, "off")
    from citybrain.auth.tokens import bearer

    tok = bearer(request)
    if tok is not None:  # a bearer header is the identity, or none: never falls back to a cookie
        return token_identity(settings, tok, users)
    if wall_token(settings, request):
        return Identity("wall", "wall", "wall-token")
    if settings.auth == "header":
        from citybrain.auth.sso import sso_identity

        ident = sso_identity(settings, request)
        if ident is not None:
            dept = request.headers.get(settings.auth_department_header)
            return replace(ident, department=dept[:64]) if dept else ident
    s = sessions.get(request.cookies.get(COOKIE))
    if s is None:
        return None
    if not session_valid(settings, s, users):
        sessions.revoke(s.id_hash)
        return None
    return Identity(s.user, s.role, "session", s, users.department_of(s.user) if users is not None else None)


def token_identity(settings: Settings, token: str, users: UserDirectory) -> Identity | None:
    """The user of a live bearer token whose user still exists with the role it was issued for."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain.auth import tokens
    from citybrain.ops.db import engine
    from citybrain.semantics.freshness import now

    try:
        row = tokens.lookup(engine(), token, now())
    except SQLAlchemyError:
        log.exception("bearer token not checked: the operational database is unavailable")
        return None
    if row is None or not known_role(settings, row.role) or users.role_of(row.user) != row.role:
        return None
    return Identity(row.user, row.role, "bearer", None, users.department_of(row.user))
