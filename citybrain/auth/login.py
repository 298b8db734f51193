"""The login and logout pages of ``local`` auth (a plain form; no script, no external resource)."""

from __future__ import annotations

import html
import time
from urllib.parse import urlparse

from flask import Flask, Response, redirect, request, session

from citybrain import audit
from citybrain.settings import Settings
from citybrain.auth.identity import users_path
from citybrain.auth.users import UserStore

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 城市大脑运行驾驶舱</title><link rel="stylesheet" href="/assets/citybrain.css"></head>
<body><main class="cb-login"><h1>城市大脑运行驾驶舱</h1><p>请登录 · Sign in</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label>用户名 User<input name="user" autocomplete="username" required maxlength="64"></label>
<label>密码 Password<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">登录 Sign in</button></form></main></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def register(server: Flask, settings: Settings) -> None:
    @server.route("/login", methods=["GET", "POST"])
    def login_page():
        if settings.auth != "local":
            return redirect("/")
        nxt = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return Response(PAGE.format(error="", next=html.escape(nxt)), mimetype="text/html")
        origin = request.headers.get("Origin")
        if origin and urlparse(origin).netloc != request.host:
            return Response("cross-site login refused", status=403)
        name = request.form.get("user", "")[:64]
        user = UserStore(users_path(settings)).verify(name, request.form.get("password", ""))
        if user is None:
            audit.record("login_failed", user=name, addr=request.remote_addr)
            time.sleep(0.5)
            err = '<p class="cb-login-error">用户名或密码错误 · Wrong user name or password</p>'
            return Response(PAGE.format(error=err, next=html.escape(nxt)), status=401, mimetype="text/html")
        session.clear()
        session.permanent = True
        session["user"], session["role"] = user.name, user.role
        if user.department:
            session["department"] = user.department
        audit.record("login", user=user.name, role=user.role, addr=request.remote_addr)
        return redirect(nxt)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        session.clear()
        return redirect("/login" if settings.auth == "local" else "/")
