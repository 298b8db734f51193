"""Header SSO (``CITYBRAIN_AUTH=header``): a gateway in front of the app names the user.

Safe by default: no proxy is trusted until ``CITYBRAIN_TRUSTED_PROXIES`` names one (the app refuses
to start in header mode without), and the role comes from ``CITYBRAIN_SSO_ROLE_MAP`` (``user:NAME``
or ``group:NAME`` of the gateway's groups header -> role), never from a header the caller chooses,
unless the operator opts in with ``CITYBRAIN_SSO_TRUST_ROLE_HEADER``.
"""

from __future__ import annotations

from flask import Request

from citybrain.settings import Settings
from citybrain.auth.identity import Identity, trusted
from citybrain.auth.roles import LEVELS, clearance, known_role


def check_config(settings: Settings) -> None:
    """Refuse to run header mode without a trusted proxy."""
    if settings.auth == "header" and not settings.trusted_proxies:
        raise ValueError("CITYBRAIN_AUTH=header needs CITYBRAIN_TRUSTED_PROXIES (the gateway's address); "
                         "without it anyone could send the identity headers")


def _strongest(settings: Settings, roles: list[str]) -> str | None:
    ok = [r for r in roles if known_role(settings, r)]
    order = list(settings.role_clearance)
    return max(ok, key=lambda r: (LEVELS[clearance(settings, r)], order.index(r)), default=None)


def sso_role(settings: Settings, user: str, groups: list[str], role_header: str | None) -> str | None:
    """The role of an SSO user: a user entry, else the strongest group entry, else the opt-in role
    header, else the default role (None: no role, refused)."""
    m = settings.sso_role_map
    if known_role(settings, m.get(f"user:{user}")):
        return m[f"user:{user}"]
    by_group = _strongest(settings, [m[f"group:{g}"] for g in groups if f"group:{g}" in m])
    if by_group:
        return by_group
    if settings.sso_trust_role_header and known_role(settings, role_header):
        return role_header
    return settings.sso_default_role if known_role(settings, settings.sso_default_role) else None


def sso_identity(settings: Settings, request: Request) -> Identity | None:
    """The gateway's user when the request comes from a trusted proxy (role "" when none is mapped)."""
    name = request.headers.get(settings.auth_user_header)
    if not name or not trusted(settings, request.remote_addr):
        return None
    name = name.strip()[:64]
    groups = [g.strip() for g in request.headers.get(settings.auth_groups_header, "").split(",") if g.strip()]
    role = sso_role(settings, name, groups, request.headers.get(settings.auth_role_header))
    return Identity(name, role or "", "header")
