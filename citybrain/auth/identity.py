"""Who is calling: a login session (local), a gateway's SSO header (header), a wall token."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Request, session

from citybrain.settings import Settings
from citybrain.auth.roles import known_role


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    via: str  # off | session | header | wall-token
    #: A handler's department (部门): the work orders it sees and handles.
    department: str | None = None


def users_path(settings: Settings) -> Path:
    return settings.users_file or settings.db.parent / "users.json"


def secret_key(settings: Settings) -> str:
    """The session signing key: configured, or generated once and kept beside the store."""
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
    if not addr:
        return False
    try:
        ip = ipaddress.ip_address(addr)
        return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies)
    except ValueError:
        return False


def wall_token(settings: Settings, request: Request) -> str | None:
    """A valid wall token from the URL (?token=) or the X-Wall-Token header."""
    given = request.args.get("token") or request.headers.get("X-Wall-Token")
    if not given:
        return None
    for tok in settings.wall_tokens:
        if hmac.compare_digest(given.encode(), tok.encode()):
            return tok
    return None


def identify(settings: Settings, request: Request) -> Identity | None:
    """The caller's identity, or None for an anonymous caller."""
    if settings.auth == "off":
        return Identity("anonymous", settings.auth_off_role, "off")
    if wall_token(settings, request):
        session["user"], session["role"] = "wall", "wall"
        return Identity("wall", "wall", "wall-token")
    if settings.auth == "header":
        name = request.headers.get(settings.auth_user_header)
        role = request.headers.get(settings.auth_role_header)
        if name and trusted(settings, request.remote_addr):
            dept = request.headers.get(settings.auth_department_header)
            return Identity(name[:64], role if known_role(settings, role) else "leader", "header",
                            dept[:64] if dept else None)
    user, role = session.get("user"), session.get("role")
    if user and known_role(settings, role):
        return Identity(user, role, "session", session.get("department"))
    return None
