"""CSRF protection of every browser write: a non-GET request authenticated by the session cookie must
carry its session's CSRF token in the ``X-CSRFToken`` header.

The token is the server-side session's (``sessions.Session.csrf``); the page reads it from the
cookie ``citybrain_csrf`` (not HttpOnly, ``SameSite=Strict``), which the app sets whenever a session
is used, and ``assets/csrf.js`` adds the header to every same-origin non-GET ``fetch`` and
``XMLHttpRequest`` — Dash's ``/_dash-update-component`` and page scripts alike, unchanged. The
header is compared with the session's own token, never with the cookie, so a cookie planted by
another site proves nothing. Requests with a bearer token, a wall token or a gateway's SSO header
carry no ambient credential a forged page could borrow and are exempt; the Origin checks stay.
"""

from __future__ import annotations

import hmac

from flask import Request, Response, jsonify

from citybrain.settings import Settings

HEADER = "X-CSRFToken"
COOKIE = "citybrain_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def needs_token(request: Request, via: str | None) -> bool:
    """Whether the request must carry a CSRF token: a write authenticated by the session cookie."""
    return via == "session" and request.method not in SAFE_METHODS


def valid(request: Request, expected: str) -> bool:
    """Whether the request's ``X-CSRFToken`` header is ``expected`` (the session's token)."""
    given = request.headers.get(HEADER, "")
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def refusal(reason: str) -> tuple[Response, int]:
    """The 403 answer of a write without its token (JSON naming the header)."""
    return jsonify(error=reason, parameter=HEADER,
                   expected=f"the session's CSRF token (cookie {COOKIE}) in the {HEADER} header"), 403


def set_cookie(resp: Response, settings: Settings, token: str) -> None:
    """Give the page its session's token (readable by the page's script, sent to this site only)."""
    resp.set_cookie(COOKIE, token, httponly=False, secure=settings.cookie_secure, samesite="Strict", path="/",
                    max_age=settings.session_max_hours * 3600)
