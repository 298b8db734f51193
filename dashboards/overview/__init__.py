"""领导驾驶舱 Leaders' KPI cockpit: KPI cards across all domains, the alarm count, what changed since
yesterday and last week, and a small live one-map. Served at ``/``."""

from __future__ import annotations

import logging

import pandas as pd
from dash import Dash, dcc, html

from citybrain.ui.figures import graph_config
from citybrain import kpi
from citybrain.ui import drill
from citybrain.i18n import fmt_number, reason_text, register, t
from citybrain import views
from citybrain.registry import DashboardModule
from citybrain.views import View, ViewContext
from citybrain.ui import grid
from citybrain.semantics.alarms import alarm_set, counts as alarm_counts
from citybrain.semantics.status import ICONS, label as status_label
from citybrain import ui
from citybrain.ops import loopviews
from citybrain.ui import loop

from . import duty

log = logging.getLogger(__name__)
P = "overview"
#: The cockpit's cards, by the dataset they come from (a dataset not applicable to a region is skipped).
DOMAINS: dict[str, tuple[str, ...]] = {
    "fisheries": ("vessels_at_sea", "vessels_alarm", "supervision_coverage"),
    "traffic": ("congestion_index", "overload_cases_daily", "traffic_accidents_daily"),
    "water": ("stations_over_warning", "max_rainfall_24h", "reservoir_storage_rate"),
    "emergency": ("open_incidents", "overdue_incidents", "shelter_occupancy_rate", "avg_response_min"),
}
MAP_LAYERS = ["fisheries", "traffic", "water", "emergency"]
#: How many items of the alarm set the header names (the count covers all of them).
CHIPS = 8
#: How many items the phone's "what is red" list names, and how many target cards it shows.
RED_LINES = 5
TARGET_CARDS = 4

register({
    "overview.title": ("领导驾驶舱", "Leaders' cockpit"),
    "overview.intro": ("各领域关键指标、告警数、较昨日与上周的变化，以及态势一张图。点击指标卡查看趋势与地区对比。",
                       "Key indicators of every domain, alarms, what changed since yesterday and last week, and the "
                       "one-map. Click a card for its trend and a region comparison."),
    "overview.alarms": ("当前告警/预警", "Alarms and warnings now"),
    "overview.alarm_n": ("项告警", "in alarm"), "overview.warn_n": ("项预警", "warning"),
    "overview.alarms.all": ("在一张图上查看全部", "See all on the one-map"),
    "overview.changes": ("变化（较昨日 / 较上周）", "What changed (vs yesterday / last week)"),
    "overview.map": ("态势一张图", "One-map"),
    "overview.red": ("需要关注", "What is red"),
    "overview.red.none": ("当前没有告警或预警。", "Nothing is in alarm or warning now."),
    "overview.red.more": ("另有 {n} 项，查看全部", "{n} more: see them all"),
    "overview.targets": ("规划目标进度", "Plan targets"),
    "overview.targets.all": ("全部规划目标", "All plan targets"),
    "col.now": ("最新", "Latest"), "col.d1": ("较昨日", "vs yesterday"), "col.d7": ("较上周", "vs last week"),
})


def small_map(region: str, lang: str, at) -> dict:
    """The compact one-map from ``layers.figure`` (offline style), as a plain figure dict."""
    from layers.figure import map_figure_dict

    fig = map_figure_dict(region, MAP_LAYERS, at, lang, compact=True)
    fig["layout"].update(height=420, margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


def map_dict(store, region: str, lang: str, at) -> dict:
    """``small_map`` memoised per (data version, region, lang, moment): the one-map's figure is the
    costliest part of the cockpit and changes only with the data."""
    return kpi.memo(store, "overview.map", (region, lang, at, MAP_LAYERS), lambda: small_map(region, lang, at))


def card_ids(store, region: str) -> tuple[str, ...]:
    """The cockpit's cards for ``region``: every domain that applies there."""
    cov = kpi.coverage_map(store, region)
    return tuple(i for ds, group in DOMAINS.items() if cov.get(ds, (True, None))[0] for i in group)


def changes_rows(ctx: ViewContext) -> pd.DataFrame:
    """The "what changed" table: latest value and its change against a day and a week before, per card."""
    lang = ctx.lang
    vals = kpi.kpi_values(ctx.store, ctx.region, card_ids(ctx.store, ctx.region), ctx.at)

    def d(a, b, u):
        return "—" if a is None or b is None else ("+" if a - b > 0 else "") + fmt_number(round(a - b, 2), u, lang)

    return pd.DataFrame({
        "indicator_id": [v.ind.id for v in vals],
        "indicator": [v.ind.name(lang) for v in vals],
        "now": [fmt_number(v.value, v.ind.unit, lang) for v in vals],
        "d1": [d(v.value, v.value_1d, v.ind.unit) for v in vals],
        "d7": [d(v.value, v.value_7d, v.ind.unit) for v in vals],
        "status": [v.status for v in vals],
        "status_text": [status_label(v.status, lang) for v in vals],
    })


def alarm_rows(ctx: ViewContext) -> pd.DataFrame:
    """The region's alarm set, as the header counts it (``citybrain.semantics.alarms``)."""
    return alarm_set(ctx.store, ctx.region, ctx.at)


CARDS = views.cards_view(lambda ctx: card_ids(ctx.store, ctx.region))
CHANGES = View("changes", "变化（较昨日 / 较上周）", "What changed (vs yesterday / last week)", changes_rows)
ALARMS = View("alarms", "当前告警/预警", "Alarms and warnings now", alarm_rows)
#: The grid shows these columns of the changes view (the view also carries the ids and status codes).
CHANGE_COLUMNS = ("indicator", "now", "d1", "d7", "status_text")
#: The change table fills its half of the page: the indicator's name takes the most room.
CHANGE_WIDTHS = {"indicator": {"flex": 2.2, "minWidth": 180}, "status_text": {"flex": 1.1, "minWidth": 120}}


def red_list(raised: pd.DataFrame, region: str, lang: str) -> html.Section:
    """The phone's first block: the worst items of the one alarm set (``semantics.alarms``), each line
    opening its drill-down — an indicator's trend for a KPI item, the one-map for a place."""
    lines = []
    for r in raised.head(RED_LINES).itertuples():
        text = [html.Span(f"{ICONS[r.severity]} ", **{"aria-hidden": "true"}), r.title_zh if lang == "zh" else r.title_en]
        cls = f"ov-red-line kpi-{r.severity}"
        if str(r.id).startswith("kpi:") and isinstance(r.indicator_id, str):
            lines.append(html.Div(text, id={"type": f"{P}-red", "ind": r.indicator_id}, n_clicks=0, role="button",
                                  tabIndex="0", className=cls, title=t("kpi.drill", lang)))
        else:
            lines.append(dcc.Link(text, href=f"/map?region={region}&lang={lang}", className=cls))
    if len(raised) > RED_LINES:
        lines.append(dcc.Link(t("overview.red.more", lang).format(n=len(raised) - RED_LINES),
                              href=f"/alarms?region={region}&lang={lang}", className="ov-red-more"))
    if not lines:
        lines.append(html.P(t("overview.red.none", lang), className="dash-empty"))
    return html.Section(id=f"{P}-red", className="ov-red", children=[html.H2(t("overview.red", lang)), *lines])


def target_panel(store, region: str, lang: str, at) -> html.Section | None:
    """Target progress as cards (``dashboards.targets``), the worst first; None where the region has
    no target with a latest value."""
    from dashboards.targets.assess import target_table
    from dashboards.targets.cards import progress_cards

    rows = [r for r in target_table(region, store, at) if r["progress"] is not None]
    if not rows:
        return None
    link = dcc.Link(t("overview.targets.all", lang), href=f"/d/targets?region={region}&lang={lang}", className="cb-link")
    return ui.section(P, "targets", t("overview.targets", lang), progress_cards(rows, lang, TARGET_CARDS), link)


@kpi.cached_layout(P)
def _page(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The cockpit of ``region``."""
    store, region, lang, at = kpi.resolve(region, lang)
    ids: list[str] = []
    na = []
    cov = kpi.coverage_map(store, region)
    for ds, group in DOMAINS.items():
        ok, reason = cov.get(ds, (True, None))
        if ok:
            ids.extend(group)
        else:
            na.append(html.Li(f"{t('domain.' + ds, lang)}：{reason}" if lang == "zh" else f"{t('domain.' + ds, lang)}: {reason_text(reason, lang)}"))
    vals = kpi.kpi_values(store, region, tuple(ids), at)
    raised = alarm_set(store, region, at)  # the one alarm set (/map, the wall ticker and the API show it too)
    n = alarm_counts(raised)
    ch = views.rows(P, CHANGES, store, region, lang, at)
    try:
        mapc = dcc.Graph(id=f"{P}-map", figure=map_dict(store, region, lang, at), config=graph_config(lang, displayModeBar=False),
                         className="dash-map")
    except Exception:  # the map must never take the cockpit down
        log.exception("overview map failed for %s", region)
        mapc = html.P("—", id=f"{P}-map", className="dash-empty")
    return ui.page(P, t("overview.title", lang), t("overview.intro", lang), region, lang, [
        red_list(raised, region, lang),
        html.Div(id=f"{P}-alarms", className="dash-alarmbar", children=[
            html.Span(t("overview.alarms", lang)),
            html.Span([html.Span(f"{ICONS['alarm']} ", **{"aria-hidden": "true"}), html.Strong(str(n["alarm"])), " ",
                       t("overview.alarm_n", lang)], className="kpi-status kpi-alarm", id=f"{P}-alarm-count"),
            html.Span([html.Span(f"{ICONS['warning']} ", **{"aria-hidden": "true"}), html.Strong(str(n["warning"])), " ",
                       t("overview.warn_n", lang)], className="kpi-status kpi-warning", id=f"{P}-warn-count"),
            dcc.Link(t("overview.alarms.all", lang), href=f"/map?region={region}&lang={lang}", className="cb-link",
                     id=f"{P}-alarms-link"),
            views.export(P, "alarms", region, lang),
            html.Div([html.Span(f"{ICONS[r.severity]} {r.title_zh if lang == 'zh' else r.title_en}",
                                className=f"kpi-chip kpi-{r.severity}") for r in raised.head(CHIPS).itertuples()],
                     className="dash-chips", id=f"{P}-alarm-chips"),
        ]),
        html.Div([ui.card(P, v, lang, at) for v in vals], className="kpi-cards", id=f"{P}-cards"),
        html.Div(className="dash-grid", children=[
            ui.section(P, "changes", t("overview.changes", lang), [
                grid(f"{P}-changes-grid", views.json_rows(ch),
                     [{"field": c, "headerName": t(f"col.{c}", lang), "tooltipField": c,
                       **CHANGE_WIDTHS.get(c, {"flex": 1, "minWidth": 100})} for c in CHANGE_COLUMNS],
                     lang, height=None)],
                views.export(P, "changes", region, lang)),
            ui.section(P, "map-panel", t("overview.map", lang), [mapc]),
        ]),
        ui.section(P, "duty-panel", t("overview.duty", lang), duty.placeholder(region, lang)),
        target_panel(store, region, lang, at),
        ui.section(P, "na-panel", t("kpi.na", lang), [html.Ul(na)]) if na else None,
    ])


#: The page: the memoised cockpit plus the closed loop's KPI cards and table by department, read afresh.
layout = loop.with_panel(P, _page, ("department",))


def register_callbacks(app: Dash) -> None:
    """The drill-down of the KPI cards and the duty list."""
    drill.register_drill(app, P)
    duty.register_callbacks(app)


MODULE = DashboardModule(
    nav_en="Cockpit",
    id=P, title_zh="领导驾驶舱", title_en="Leaders' cockpit", path="/", layout=layout,
    datasets=("fisheries", "traffic", "water", "emergency"),
    indicators=tuple(i for g in DOMAINS.values() for i in g), layers=tuple(MAP_LAYERS),
    description_zh="各领域关键指标、告警、变化与态势一张图。",
    description_en="Key indicators, alarms, changes and the one-map.",
    order=10, register_callbacks=register_callbacks,
    views=(CARDS, ALARMS, CHANGES, loopviews.CARDS, loopviews.DEPARTMENTS),
)
