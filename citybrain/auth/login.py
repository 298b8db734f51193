"""The sign-in and sign-out pages of ``local`` auth (plain forms; no script, no external resource).

Sign-in is throttled per user name and per address before the password is checked (429 with
``Retry-After``, one message whatever the cause); a success starts a server-side session whose id
is the only thing in the cookie. Sign-out is a POST carrying the session's CSRF token from a
same-origin page: a cross-site link or form cannot end a session.
"""

from __future__ import annotations

import hmac
import html
from urllib.parse import urlparse

from flask import Flask, Response, redirect, request

from citybrain import audit
from citybrain.settings import Settings
from citybrain.auth import csrf
from citybrain.auth.identity import COOKIE, client_addr, users_path
from citybrain.auth.sessions import Sessions
from citybrain.auth.throttle import LoginThrottle
from citybrain.auth.users import UserStore

HEAD = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · 城市大脑运行驾驶舱</title><link rel="stylesheet" href="/assets/citybrain.css"></head>
<body><main class="cb-login"><h1>城市大脑运行驾驶舱</h1>"""
PAGE = HEAD.format(title="登录") + """<p>请登录 · Sign in</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label>用户名 User<input name="user" autocomplete="username" required maxlength="64"></label>
<label>密码 Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录 Sign in</button></form></main></body></html>"""
LOGOUT = HEAD.format(title="退出") + """<p>退出登录？ · Sign out?</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{csrf}">
<button type="submit">退出 Sign out</button></form></main></body></html>"""
WRONG = '<p class="cb-login-error">用户名或密码错误 · Wrong user name or password</p>'
TOO_MANY = '<p class="cb-login-error">尝试次数过多，请稍后再试 · Too many attempts; try again later</p>'


def safe_next(target: str | None) -> str:
    """Only same-site relative paths without control characters (no open redirect, no header split)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or urlparse(target).netloc:
        return "/"
    return target


def same_origin(request_) -> bool:
    """False when the browser says the request comes from another site (Origin or Sec-Fetch-Site)."""
    origin = request_.headers.get("Origin")
    if origin and urlparse(origin).netloc != request_.host:
        return False
    return request_.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def set_session_cookie(resp: Response, settings: Settings, sid: str) -> None:
    resp.set_cookie(COOKIE, sid, httponly=True, secure=settings.cookie_secure, samesite="Lax", path="/",
                    max_age=settings.session_max_hours * 3600)


def _page(body: str, status: int) -> Response:
    resp = Response(body, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def register(server: Flask, settings: Settings, sessions: Sessions) -> None:
    throttle = LoginThrottle(settings)

    @server.route("/login", methods=["GET", "POST"])
    def login_page():
        if settings.auth != "local":
            return redirect("/")
        nxt = safe_next(request.values.get("next"))
        if request.method == "GET":
            return _page(PAGE.format(error="", next=html.escape(nxt)), 200)
        if not same_origin(request):
            return Response("cross-site login refused", status=403)
        name, addr = request.form.get("user", "")[:64], client_addr(settings, request)
        wait = throttle.acquire(name, addr) or (0 if throttle.start_check(name, addr) else 1)
        if wait:
            audit.record("login_throttled", user=name, addr=addr, retry_after=wait)
            resp = _page(PAGE.format(error=TOO_MANY, next=html.escape(nxt)), 429)
            resp.headers["Retry-After"] = str(wait)
            return resp
        try:
            user = UserStore(users_path(settings)).verify(name, request.form.get("password", ""))
        finally:
            throttle.end_check()
        if user is None:
            audit.record("login_failed", user=name, addr=addr)
            return _page(PAGE.format(error=WRONG, next=html.escape(nxt)), 401)
        throttle.succeeded(name, addr)
        old = request.cookies.get(COOKIE)
        if old:
            sessions.revoke_sid(old)
        sid = sessions.create(user.name, user.role, "local", addr)
        audit.record("login", user=user.name, role=user.role, addr=addr)
        resp = redirect(nxt)
        set_session_cookie(resp, settings, sid)
        new = sessions.get(sid)
        if new is not None:
            csrf.set_cookie(resp, settings, new.csrf)  # the page's writes carry it (``csrf``)
        return resp

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        sid = request.cookies.get(COOKIE)
        s = sessions.get(sid)
        if request.method == "GET":
            # a page asking to confirm: a cross-site GET (link, image) never signs anyone out
            return _page(LOGOUT.format(csrf=html.escape(s.csrf if s else "")), 200)
        if s is not None:
            given = request.form.get("csrf", "")
            if not same_origin(request) or not hmac.compare_digest(given.encode(), s.csrf.encode()):
                return Response("sign-out refused: not from this site", status=403)
            sessions.revoke(s.id_hash)
            audit.record("logout", user=s.user, role=s.role, addr=client_addr(settings, request))
        resp = redirect("/login" if settings.auth == "local" else "/")
        resp.delete_cookie(COOKIE, path="/")
        resp.delete_cookie(csrf.COOKIE, path="/")
        return resp
