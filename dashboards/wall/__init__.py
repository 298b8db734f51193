"""大屏 Command-centre wall mode: an unattended, full-screen, rotating view at ``/wall``.

The wall's pixels (``canvas=WxH``, default 1920×1080: the screen or the splice of screens it is
shown on) give its aspect; it is laid out 1080 units high (``playlist.design_size``) and scaled to
the screen by ``assets/wall.js``, so type is the same share of the wall's height on a 1080p panel,
a 4K screen and a spliced wall, a playlist of steps rotating by
itself (``playlist=``, ``interval=``; paused while someone touches it, resumed after ``idle=``
seconds), panels refreshing on their own timers without overlap (``callbacks``), the time of
every panel's data and a stale state visible across the room when its feed is overdue against its
manifest cadence (``now=`` replaces the real clock for tests and replays), a clock, an alert
ticker and a connection watchdog that recovers by itself. While an alarm of the region is
unacknowledged the wall flashes its border and shows a badge (``sound=1`` adds a short WebAudio
tone); it clears by itself once the duty officer has acknowledged them all, and it offers no way to
acknowledge. The wall has no export buttons and no
navigation; a read-only wall token (``?token=``) is enough to show it.
"""

from __future__ import annotations

import logging

from dash import dcc, html

from citybrain import kpi
from citybrain.auth.roles import WALL_ROLES
from citybrain.i18n import t
from citybrain.regions import region_name
from citybrain.registry import DashboardModule

from . import panels as _panels
from .callbacks import register_callbacks
from .playlist import design_size, parse, real_now
from .view import TICKER, content, frame, head, kpi_ids, panel_class, refresh_ms, step_panels

log = logging.getLogger(__name__)


def _frame(store, region, lang, at, now, params, key, panel):
    try:
        parts, state, last, stale = content(store, region, lang, at, now, key, panel)
    except Exception:  # one broken feed shows a dash, the wall goes on
        log.exception("wall panel %s failed", key)
        parts, (state, last, stale) = [_panels.Part("error", html.P("—", className="wall-row-empty"))], ("none", None, [])
    head_sig = _panels.sig_of(state, str(last), stale, lang, now.strftime("%Y-%m-%d") if last is not None else "")
    return frame(key, panel, parts, head(panel, lang, state, last, stale, now), panel_class(panel, state),
                 head_sig, refresh_ms(panel, store, params))


def layout(region: str | None = None, lang: str | None = None, **query) -> html.Div:
    """The wall for ``region``: header, every step of the playlist (one shown at a time), ticker."""
    store, region, lang, at = kpi.resolve(region, lang)
    params = parse({k: str(v) for k, v in query.items()}, kpi_ids(store))
    now = params.now or real_now()
    steps, titles = [], []
    for i, step in enumerate(params.steps):
        title = t(f"wall.step.{step.id}", lang) if step.kind != "kpi" else \
            kpi.definitions(store)[step.arg[0]].name(lang)
        titles.append(title)
        frames = [_frame(store, region, lang, at, now, params, f"{step.id}--{p.name}", p) for p in step_panels(step)]
        steps.append(html.Div(frames, id=f"wall-step-{step.id}", className=f"wall-step wall-step-{step.kind}"
                              + (f" wall-step-{step.arg[0]}" if step.kind == "dashboard" else "")
                              + (" wall-step-active" if i == 0 else ""),
                              **{"data-step": step.id, "data-duration": str(step.duration_s), "data-title": title}))
    w, h = design_size(params.canvas)
    replay = html.Span(f"◷ {t('wall.replay', lang)} {now:%m-%d %H:%M}", className="wall-replay", id="wall-replay") \
        if params.now else None
    return html.Div(id="wall-root", className="wall-root", **{
        "data-canvas": f"{w}x{h}", "data-idle": str(params.idle_s), "data-lang": lang,
        "data-msg-online": t("wall.online", lang), "data-msg-lost": t("wall.lost", lang),
        "data-msg-since": t("wall.lost.since", lang)}, style={"width": f"{w}px", "height": f"{h}px"}, children=[
        dcc.Store(id="wall-config", data={"region": region, "lang": lang,
                                          "now": params.now.isoformat() if params.now else None}),
        dcc.Store(id="wall-visible", data="visible"),
        html.Header(className="wall-header", children=[
            html.Div(className="wall-brand", children=[
                html.Span(t("wall.title", lang), className="wall-title"),
                html.Span(region_name(region, lang), className="wall-region", id="wall-region")]),
            html.Div(className="wall-stepinfo", children=[
                html.Span(id="wall-step-title", className="wall-step-title", children=titles[0]),
                html.Div([html.Span(className="wall-dot" + (" wall-dot-active" if i == 0 else ""))
                          for i in range(len(steps))], id="wall-dots", className="wall-dots"),
                html.Span(["❚❚ ", t("wall.paused", lang)], id="wall-paused", className="wall-paused")]),
            html.Div(className="wall-status", children=[
                html.Span(id="wall-unacked", className="wall-unacked-badge", role="alert"),
                replay,
                html.Span(["● ", t("wall.online", lang)], id="wall-conn", className="wall-conn wall-conn-ok"),
                html.Div(className="wall-clock", children=[
                    html.Span(f"{real_now():%H:%M:%S}", id="wall-clock-time", className="wall-clock-time"),
                    html.Span(f"{real_now():%Y-%m-%d}", id="wall-clock-date", className="wall-clock-date")])]),
        ]),
        html.Div(className="wall-progress", children=html.Div(id="wall-progress-bar", className="wall-progress-bar")),
        html.Main(steps, className="wall-steps", id="wall-steps"),
        html.Footer(className="wall-ticker", children=[
            _frame(store, region, lang, at, now, params, "ticker", TICKER)]),
        html.Div(id="wall-lost", className="wall-lost-banner", role="alert", children=[
            html.Div(["⚠ ", t("wall.lost", lang)], className="wall-lost-title"),
            html.Div(t("wall.lost.sub", lang), className="wall-lost-sub"),
            html.Div(id="wall-lost-since", className="wall-lost-since")]),
    ])


MODULE = DashboardModule(
    id="wall", title_zh="指挥大屏", title_en="Command-centre wall", path="/wall", layout=layout,
    datasets=("fisheries", "traffic", "water", "emergency"),
    indicators=tuple(sorted({i for g in __import__("dashboards.overview", fromlist=["DOMAINS"]).DOMAINS.values()
                             for i in g})),
    layers=("fisheries", "traffic", "water", "emergency"),
    description_zh="无人值守的全屏大屏：轮播、自动刷新、数据超时与断线提示、时钟与告警滚动条。",
    description_en="Unattended full-screen wall: rotation, auto refresh, stale and connection states, clock and "
                   "alert ticker.",
    order=900, register_callbacks=register_callbacks, nav=False, roles=WALL_ROLES,
)
