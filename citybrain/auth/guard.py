"""Request hooks: identify the caller, refuse what the role may not do, log denials, add headers.

With ``local`` or ``header`` auth every page and every ``/api/v1`` data route refuses anonymous
callers (401 JSON for the API, a redirect to the login page for pages). A wall token shows the
wall and nothing else. Exports (CSV, Parquet, GeoJSON downloads) need an export role. Every
denial is written to the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from datetime import timedelta
from urllib.parse import quote

from flask import Flask, Response, g, jsonify, redirect, request

from citybrain import audit
from citybrain.settings import Settings
from citybrain.auth import login
from citybrain.auth.identity import identify, secret_key
from citybrain.auth.roles import can_export

log = logging.getLogger(__name__)

#: Paths anyone may fetch: health checks, the login page, static code and styles (no data).
OPEN_PREFIXES = ("/healthz", "/readyz", "/login", "/logout", "/assets/", "/_dash-component-suites/",
                 "/_favicon.ico", "/favicon.ico")
#: Paths a wall display may use: the wall page and the Dash machinery that runs it.
WALL_PREFIXES = ("/wall", "/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash",
                 "/api/v1/wall")
EXPORT_SUFFIXES = (".csv", ".parquet", ".geojson")


def _deny(code: int, reason: str, ident=None):
    audit.record("denied", user=getattr(ident, "user", None) or "anonymous",
                 role=getattr(ident, "role", None) or "anonymous", addr=request.remote_addr,
                 path=request.path[:200], reason=reason)
    if request.path.startswith("/api/") or request.path.startswith("/_dash-"):
        return jsonify(error=reason), code
    if code == 401:
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/?=&')}", code=302)
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


def install(server: Flask, settings: Settings, csp_hashes: list[str]) -> None:
    """Attach the auth hooks, login routes and security headers to the Flask server."""
    server.secret_key = secret_key(settings)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=settings.cookie_secure, SESSION_COOKIE_NAME="citybrain_session",
                         PERMANENT_SESSION_LIFETIME=timedelta(hours=12))
    login.register(server, settings)
    policy = csp(csp_hashes)

    @server.before_request
    def _guard():
        path = request.path
        if path.startswith(OPEN_PREFIXES):
            return None
        ident = identify(settings, request)
        g.user, g.role = (ident.user, ident.role) if ident else (None, None)
        g.department = ident.department if ident else None
        if ident is None:
            return _deny(401, "authentication required")
        if ident.role == "wall" and not path.startswith(WALL_PREFIXES):
            return _deny(403, "a wall display may show the wall only", ident)
        if path.startswith("/api/") and path.endswith(EXPORT_SUFFIXES) and not can_export(settings, ident.role):
            return _deny(403, f"role {ident.role} may not export data", ident)
        return None

    @server.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if resp.mimetype == "text/html" and not resp.is_streamed:
            resp.headers["Content-Security-Policy"] = csp(csp_hashes + inline_script_hashes(resp.get_data()))
        else:
            resp.headers.setdefault("Content-Security-Policy", policy)
        return resp
