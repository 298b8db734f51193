"""The app factory: one Dash app (and its Flask server) built from one settings object.

It configures logging and the cache, registers every dashboard module's page (Dash Pages) and
callbacks against this app, and adds the shell (title bar, navigation, region picker, language
switch). Everything the browser loads is served from this host: Dash's own bundles and ``assets/``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html

from citybrain import auth, cache, context
from citybrain.auth.policy import AccessPolicy
from citybrain.auth.roles import WALL_ROLES
from citybrain.logredact import install_werkzeug_filter
from citybrain.i18n import t
from citybrain.regions import REGIONS, TOP_REGIONS
from citybrain.registry import all_modules
from citybrain.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Dash:
    """Build the Dash app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = context.build(settings)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(PROJECT_ROOT / "assets"),
        title=t("app.title", settings.lang),
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    app.server.config["CITYBRAIN_SETTINGS"] = settings
    context.install(app.server, ctx)
    cache.install_request_scope(app.server)
    modules = all_modules()
    access = AccessPolicy()
    for m in modules:
        dash.register_page(m.id, path=m.path, name=m.title_zh, title=f"{m.title_zh} · {t('app.title')}",
                           layout=m.layout, order=m.order, path_template=m.path_template)
        access.page(m.path, m.roles)
        if m.register_callbacks:
            with access.callbacks(app, m.roles):  # the module's callbacks admit the module's roles
                m.register_callbacks(app)
    if not any(m.path == "/" for m in modules):
        first = modules[0].path if modules else "/catalog"

        @app.server.before_request
        def _home_redirect():
            from flask import redirect, request

            if request.path == "/":
                qs = request.query_string.decode()
                return redirect(first + (f"?{qs}" if qs else ""), code=302)
            return None

    app.layout = shell(settings, modules)
    with access.callbacks(app, WALL_ROLES):  # the frame of every page, the wall's included
        _register_shell_callbacks(app, settings, modules)
    from citybrain import audit
    from citybrain.api import register_api

    audit.configure(settings.db.parent / "audit.log")
    from citybrain.ops.db import ensure

    ensure(ctx.ops)  # the operational database at the newest migration (a no-op when it is)
    register_api(app.server, settings)
    install_werkzeug_filter()
    auth.install(app, settings, access)
    setup_now(app)
    return app


def setup_now(app: Dash) -> None:
    """Run Dash's own setup (assets, scripts, the callback map) now, once, rather than on the first
    request: Dash marks it done before doing it, so a worker's first concurrent requests raced it
    ("dictionary changed size during iteration", a 500 after every worker start)."""
    with app.server.test_request_context("/"):
        app._setup_server()  # Dash's first-request hook; it returns at once on every later request


def shell(settings: Settings, modules) -> html.Div:
    """The frame around every page: title, navigation, region picker, language switch."""
    return html.Div(className="cb-root", children=[
        dcc.Location(id="shell-url", refresh="callback-nav"),
        html.Header(className="cb-header", children=[
            html.Div(t("app.title", settings.lang), id="shell-title", className="cb-title"),
            html.Nav(id="shell-nav", className="cb-nav"),
            html.Div(className="cb-controls", children=[
                html.Label(t("region", settings.lang), htmlFor="shell-region", id="shell-region-label"),
                dcc.Dropdown(id="shell-region", clearable=False, searchable=False, value=settings.region,
                             options=region_options(settings.lang), className="cb-region"),
                html.Button(t("lang.switch", settings.lang), id="shell-lang", className="cb-lang", n_clicks=0),
            ]),
        ]),
        html.Main(dash.page_container, className="cb-main"),
    ])


def region_options(lang: str) -> list[dict[str, str]]:
    """The region picker's options, named in ``lang`` (the code after the name)."""
    return [{"label": f"{REGIONS[c].name(lang)} {c}", "value": c} for c in TOP_REGIONS]


def shell_state(pathname: str | None, search: str | None, settings: Settings, modules) -> tuple[Any, ...]:
    """What the shell shows for a URL: navigation links, region, region options, language switch,
    title and region label (all in the URL's language)."""
    q = query_params(search)
    lang = q.get("lang", settings.lang)
    lang = lang if lang in ("zh", "en") else settings.lang
    region = q.get("region", settings.region)
    keep = "?" + urlencode({k: v for k, v in q.items() if k in ("region", "lang")}) if q else ""
    links = [dcc.Link(m.nav_label(lang), href=f"{m.path}{keep}",
                      className="cb-navlink" + (" active" if pathname == m.path else ""))
             for m in modules if m.nav]
    return (links, region if region in REGIONS else settings.region, region_options(lang), t("lang.switch", lang),
            t("app.title", lang), t("region", lang))


def query_params(search: str | None) -> dict[str, str]:
    """Single-valued query parameters of a URL search string."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}


def _register_shell_callbacks(app: Dash, settings: Settings, modules) -> None:
    @app.callback(Output("shell-nav", "children"), Output("shell-region", "value"),
                  Output("shell-region", "options"), Output("shell-lang", "children"),
                  Output("shell-title", "children"), Output("shell-region-label", "children"),
                  Input("shell-url", "pathname"), Input("shell-url", "search"))
    def _nav(pathname, search):
        return shell_state(pathname, search, settings, modules)

    @app.callback(Output("shell-url", "search"),
                  Input("shell-region", "value"), Input("shell-lang", "n_clicks"),
                  State("shell-url", "search"), prevent_initial_call=True)
    def _params(region, _clicks, search):
        q = query_params(search)
        if dash.ctx.triggered_id == "shell-lang":
            q["lang"] = "en" if q.get("lang", settings.lang) == "zh" else "zh"
        elif region:
            if q.get("region", settings.region) == region:
                return dash.no_update
            q["region"] = region
        return "?" + urlencode(q)
