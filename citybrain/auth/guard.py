"""Request hooks: identify the caller, refuse what the role may not do, log denials, add headers.

Every route and every Dash callback declares the roles it admits (``policy``); the guard asks
``policy.decide`` for each request: anonymous callers get 401 (the login page for pages), other
refusals 403, a malformed callback body 400 before Dash reads it; a write authenticated by the
session cookie without its CSRF token 403 (``csrf``). A callback that fails on its input answers 400
with one log line, never a 500 or a traceback. Every denial is audited.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from urllib.parse import quote

from dash import Dash
from flask import Flask, Response, g, jsonify, redirect, request
from werkzeug.exceptions import HTTPException

from citybrain import audit
from citybrain.settings import Settings
from citybrain.auth import csrf, dashreq, login, sso
from citybrain.auth.identity import COOKIE, Identity, client_addr, identify, secret_key, users_path
from citybrain.auth.policy import CALLBACK, FEED, PAGE, PUBLIC, AccessPolicy, decide, route_access
from citybrain.auth.roles import known_role
from citybrain.auth.sessions import Sessions, fingerprint, open_store
from citybrain.auth.users import UserDirectory

log = logging.getLogger(__name__)
SESSIONS = "citybrain.sessions"
ACCESS = "citybrain.access"


def _deny(code: int, reason: str, ident: Identity | None = None):
    audit.record("denied", user=getattr(ident, "user", None) or "anonymous",
                 role=getattr(ident, "role", None) or "anonymous", addr=request.remote_addr,
                 path=request.path[:200], reason=reason)
    if request.path.startswith("/api/") or request.path.startswith("/_dash-"):
        return jsonify(error=reason), code
    if code == 401:
        return redirect(f"/login?next={quote(login.safe_next(request.full_path.rstrip('?')), safe='/?=&')}",
                        code=302)
    return Response(f"403 — {reason}", status=403, mimetype="text/plain; charset=utf-8")


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(body: bytes) -> list[str]:
    """CSP source expressions ('sha256-…') of the inline scripts of an HTML page."""
    return sorted({"'sha256-" + base64.b64encode(hashlib.sha256(m).digest()).decode() + "'"
                   for m in _INLINE_SCRIPT.findall(body)})


def csp(hashes: list[str]) -> str:
    """Content-Security-Policy: scripts only from this host; Dash's inline bootstrap allowed by hash."""
    scripts = " ".join(["'self'", "'unsafe-eval'", *sorted(set(hashes))])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; "
            "worker-src 'self' blob:; child-src blob:; connect-src 'self'; "
            "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'")


def install(app: Dash, settings: Settings, policy: AccessPolicy) -> None:
    """Attach the auth hooks, login routes, error handler and security headers to the app's server."""
    sso.check_config(settings)
    server: Flask = app.server
    server.secret_key = secret_key(settings)
    sessions = open_store(settings)
    users = UserDirectory(users_path(settings))
    server.extensions[SESSIONS] = sessions
    server.extensions[ACCESS] = policy
    login.register(server, settings, sessions)
    install_callback_errors(server)
    hashes = app.csp_hashes()
    policy_header = csp(hashes)

    @server.before_request
    def _guard():
        access = route_access(request)
        if access in (PUBLIC, FEED):  # a feed push proves itself with its feed token (citybrain.feeds.http)
            return None
        ident = identify(settings, request, sessions, users)
        g.user, g.role = (ident.user, ident.role) if ident else (None, None)
        g.department = ident.department if ident else None
        if ident is not None and not known_role(settings, ident.role):
            return _deny(403, "no role is granted to this user", ident)
        if ident is not None and ident.session is not None:
            g.csrf = ident.session.csrf
            if csrf.needs_token(request, ident.via) and not csrf.valid(request, ident.session.csrf):
                audit.record("denied", user=ident.user, role=ident.role, addr=request.remote_addr,
                             path=request.path[:200], reason="csrf")
                return csrf.refusal("CSRF token missing or wrong: a browser write must send the X-CSRFToken header")
        call = None
        if access == CALLBACK and ident is not None:
            too_big = (request.content_length or 0) > dashreq.MAX_BODY  # refused before it is read
            call = None if too_big else dashreq.parse(request.get_data(cache=True), app.callback_map)
            if call is None:
                return _deny(400, "bad callback request", ident)
        denial = decide(policy, settings, ident.role if ident else None, request, call)
        if denial is not None:
            return _deny(denial.code, denial.reason, ident)
        if ident.via == "wall-token" and access == PAGE:
            _wall_session(settings, sessions, ident)
        return None

    @server.after_request
    def _headers(resp: Response) -> Response:
        sid = g.pop("new_wall_sid", None)
        if sid:
            login.set_session_cookie(resp, settings, sid)
            new = sessions.get(sid)
            g.csrf = new.csrf if new is not None else None
        token = g.pop("csrf", None)
        if token and request.cookies.get(csrf.COOKIE) != token:
            csrf.set_cookie(resp, settings, token)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        # a page opened with ?token= must not pass its URL on, even to this host's access log
        resp.headers.setdefault("Referrer-Policy", "no-referrer" if "token" in request.args else "same-origin")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if resp.mimetype == "text/html" and not resp.is_streamed:
            resp.headers["Content-Security-Policy"] = csp(hashes + inline_script_hashes(resp.get_data()))
        else:
            resp.headers.setdefault("Content-Security-Policy", policy_header)
        return resp


def _wall_session(settings: Settings, sessions: Sessions, ident: Identity) -> None:
    """A wall page opened with its token gets a session bound to that token (ended with it)."""
    current = sessions.get(request.cookies.get(COOKIE))
    if current is not None and current.via == "wall-token":
        return
    from citybrain.auth.identity import wall_token

    tok = wall_token(settings, request)
    if tok:
        g.new_wall_sid = sessions.create("wall", "wall", "wall-token", client_addr(settings, request),
                                         fingerprint(tok))


def install_callback_errors(server: Flask) -> None:
    """A callback that raises on its input answers 400 and logs one line (no traceback anywhere)."""

    @server.errorhandler(Exception)
    def _error(exc: Exception):
        if isinstance(exc, HTTPException):
            return exc
        if request.path == "/_dash-update-component":
            body = request.get_json(silent=True)
            output = body.get("output") if isinstance(body, dict) else None
            log.warning("callback %.200r refused its input: %s", output, type(exc).__name__)
            return jsonify(error="bad callback request"), 400
        log.exception("error on %s", request.path[:200])
        return Response("internal error; the event was logged", status=500, mimetype="text/plain")
