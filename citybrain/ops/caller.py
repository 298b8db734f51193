"""Who is acting in this request (set by the auth guard): user, role and a handler's department."""

from __future__ import annotations

from flask import g, has_request_context


def caller() -> tuple[str, str | None, str | None]:
    """(user, role, department) of the request; outside a request nobody (may not write)."""
    if not has_request_context():
        return "anonymous", None, None
    return (getattr(g, "user", None) or "anonymous", getattr(g, "role", None), getattr(g, "department", None))
