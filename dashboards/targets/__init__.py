"""规划目标 Planning targets: every quantitative indicator of the seed plans — the plan it belongs to
(title, period), baseline → latest → target, progress with direction against the share of the period
gone by, status — filtered by plan, target year, status and domain; analysts and admins record
progress here (``record``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from citybrain import kpi, ui, views
from citybrain.i18n import domain_label, fmt_number, label, register, t
from citybrain.regions import region_name
from citybrain.registry import DashboardModule
from citybrain.semantics import status as sem_status
from citybrain.ui import drill, grid
from citybrain.ui.figures import graph_config
from citybrain.views import View, ViewContext

from . import record
from .assess import TRACK, TRACK_STATUS, Row, target_table
from .cards import progress_cards
from .plans import PLANS, region_plan

P = "targets"

register({
    "targets.title": ("规划目标", "Planning targets"),
    "targets.intro": ("各地数字化规划的全部量化指标：所属规划与期限，基期值 → 最新值 → 目标值，按方向计算的完成进度与应达进度，是否按期。",
                      "Every quantitative indicator of the plans: the plan and its period, baseline → latest → "
                      "target, progress in the target's direction against where it should be by now, on or off track."),
    "targets.domain": ("领域", "Domain"), "targets.all": ("全部领域", "All domains"),
    "targets.plan": ("规划", "Plan"), "targets.year": ("目标年份", "Target year"),
    "targets.allyears": ("全部年份", "All years"), "targets.status": ("状态", "Status"),
    "targets.allstatus": ("全部状态", "All statuses"),
    "targets.table": ("指标清单", "Indicators"), "targets.by_domain": ("按领域统计", "By domain"),
    "targets.by_region": ("各地区对比", "By region"), "targets.cards": ("进度", "Progress"),
    "targets.count": ("项指标", "targets"), "targets.period": ("规划期", "Period"),
    "targets.achieved": ("已达标", "achieved"), "targets.on_track": ("按期推进", "on track"),
    "targets.behind": ("略有滞后", "slightly behind"), "targets.off_track": ("明显滞后", "well behind"),
    "targets.unmonitored": ("暂无最新值", "no latest value"),
    "targets.up": ("↑ 提高", "↑ raise"), "targets.down": ("↓ 降低", "↓ lower"),
    "targets.src.plan": ("规划原文", "plan text"), "targets.src.report": ("填报", "report"),
    "targets.src.live": ("实时", "live"),
    "col.baseline": ("基期值", "Baseline"), "col.latest": ("最新值", "Latest"), "col.target": ("目标值", "Target"),
    "col.progress": ("进度", "Progress"), "col.expected": ("应达进度", "Due by now"), "col.track": ("是否按期", "Track"),
    "col.attribute": ("属性", "Attribute"), "col.direction": ("方向", "Direction"),
    "col.quote": ("规划原文", "Plan text"), "col.region": ("地区", "Region"), "col.plan": ("规划", "Plan"),
})

ICON = {k: sem_status.ICONS[v] for k, v in TRACK_STATUS.items()}
ICON["achieved"] = "★"


def _fmt(v, unit, lang):
    return "—" if v is None else fmt_number(v, unit, lang, digits=2)


def _year(y) -> str:
    return f" ({int(y)})" if y is not None else ""


def pct(p: float | None, lang: str) -> str:
    """A progress share as a percentage ('—' without one; never '-0%')."""
    return "—" if p is None else fmt_number(round(min(p, 9.99) * 100), "%", lang)


def track_text(track: str, lang: str) -> str:
    return f"{ICON[track]} {t('targets.' + track, lang)}"


def grid_rows(rows: list[Row], lang: str) -> list[Row]:
    """The grid's rows (formatted texts) of assessed targets."""
    out = []
    for r in rows:
        latest = _fmt(r["latest"], r["unit"], lang)
        if r["latest"] is not None:
            latest += f" ({r['latest_year']} · {t('targets.src.' + r['latest_kind'], lang)})"
        plan = PLANS.get(r["plan"] or "")
        out.append({
            "indicator": r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"]),
            "plan": plan.label(lang) if plan else "—",
            "domain": domain_label(r["domain"], lang),
            "direction": t("targets." + r["direction"], lang),
            "baseline": _fmt(r["baseline"], r["unit"], lang) + _year(r["baseline_year"]),
            "latest": latest,
            "target": _fmt(r["target"], r["unit_target"], lang) + _year(r["target_year"]),
            "progress": pct(r["progress"], lang),
            "expected": pct(r["expected"], lang),
            "track": track_text(r["track"], lang),
            "attribute": label("target_attribute", r["attribute"], lang) if r["attribute"] else "—",
            "quote": r["quote"],
        })
    return out


#: The grid of view ``table``. Kept at its old id: tests/dashboards/test_languages.py and the browser
#: tests name it (its ``quote`` column is quoted verbatim).
GRID_ID = f"{P}-table-grid"
FIELDS = ("indicator", "plan", "domain", "direction", "baseline", "latest", "target", "progress", "expected", "track",
          "attribute", "quote")


def columns(lang: str) -> list[dict]:
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in FIELDS]
    cols[0].update(minWidth=200, width=320, pinned="left", tooltipField=FIELDS[0])
    cols[1].update(hide=True)  # the plan heads the page; the column is in the view and the export
    cols[-3]["cellClassRules"] = {"kpi-cell-alarm": f"params.value && params.value.startsWith('{ICON['off_track']}')"}
    cols[-1].update(minWidth=320, tooltipField="quote")
    return cols


def summary_rows(df: list[Row], by: str, name: str, labels) -> pd.DataFrame:
    """Targets counted per group (``by``: code column ``by``, shown name ``name``) and track: one row per
    group, groups sorted by code, groups without targets left out."""
    ct = Counter((r[by], r["track"]) for r in df if r[by] is not None)
    keys = sorted({g for g, _ in ct})
    return pd.DataFrame({by: keys, name: [labels(v) for v in keys],
                         **{s: [ct.get((g, s), 0) for g in keys] for s in TRACK}},
                        columns=[by, name, *TRACK])


COLOURS = {"achieved": sem_status.COLOURS["normal"], "on_track": "#35c2ff", "behind": sem_status.COLOURS["warning"],
           "off_track": sem_status.COLOURS["alarm"], "unmonitored": sem_status.COLOURS["nodata"]}


def summary_figure(rows: pd.DataFrame, name: str, lang: str) -> dict:
    """The stacked bars of a ``summary_rows`` view (one bar per row, one colour per track)."""
    y = [ui.wrap(v, 8 if lang == "zh" else 16) for v in rows[name].tolist()]
    return ui.figure([{"type": "bar", "y": y, "x": [int(v) for v in rows[s]], "orientation": "h",
                       "name": track_text(s, lang), "marker": {"color": COLOURS[s]}}
                      for s in TRACK], 110 + 30 * max(len(y), 1), barmode="stack",
                     xaxis={"title": {"text": "项" if lang == "zh" else "targets"}, "dtick": 5},
                     legend={"orientation": "h", "y": -0.35})


def _all(ctx: ViewContext) -> list[Row]:
    return target_table(None, ctx.store, ctx.at)


def table_rows(ctx: ViewContext) -> pd.DataFrame:
    """The indicator grid of the region as the page first shows it (its plan, all years, statuses and
    domains). The filters narrow the grid in the browser; the view (and the export) stays this table."""
    rows = grid_rows([r for r in _all(ctx) if r["region_code"] == ctx.region], ctx.lang)
    return pd.DataFrame(rows, columns=list(FIELDS))


def domains_rows(ctx: ViewContext) -> pd.DataFrame:
    """The 'by domain' chart: the region's targets per domain and track."""
    return summary_rows([r for r in _all(ctx) if r["region_code"] == ctx.region], "domain", "domain_name",
                        lambda d: domain_label(d, ctx.lang))


def regions_rows(ctx: ViewContext) -> pd.DataFrame:
    """The 'by region' chart: every region's targets per track."""
    return summary_rows(_all(ctx), "region_code", "region", lambda c: region_name(c, ctx.lang))


TABLE = View("table", "指标清单", "Indicators", table_rows)
BY_DOMAIN = View("domains", "按领域统计", "By domain", domains_rows)
BY_REGION = View("regions", "各地区对比", "By region", regions_rows)


def plan_head(region: str, rows: list[Row], lang: str) -> html.Div:
    """The plan of the shown targets: title, period, issuer, and how many targets are on each track."""
    plan = region_plan(region)
    ct = Counter(r["track"] for r in rows)
    return html.Div(id=f"{P}-planhead", className="tg-plan", children=[
        html.H2(plan.title(lang) if plan else region_name(region, lang), className="tg-plan-title"),
        html.P([html.Span(f"{t('targets.period', lang)} {plan.period()}", className="tg-plan-period"), " · ",
                plan.issued(lang), " · ", f"{len(rows)} {t('targets.count', lang)}"] if plan else [],
               className="tg-plan-meta"),
        html.Div([html.Span(f"{track_text(s, lang)} {ct.get(s, 0)}", className=f"tg-chip kpi-{TRACK_STATUS[s]}")
                  for s in TRACK], className="tg-chips"),
    ])


def filtered(rows: list[Row], year: Any, status: Any, domain: Any) -> list[Row]:
    """``rows`` of one target year, track and domain (an empty filter keeps all)."""
    return [r for r in rows if (not year or r["target_year"] == int(year)) and (not status or r["track"] == status)
            and (not domain or r["domain"] == domain)]


def _dropdown(key: str, lang: str, options: list[dict], value: Any = "") -> html.Div:
    return html.Div(className="tg-filter", children=[
        html.Label(t(f"targets.{key}", lang), htmlFor=f"{P}-{key}"),
        dcc.Dropdown(id=f"{P}-{key}", value=value, clearable=False, searchable=False, className="dash-dropdown",
                     options=options)])


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The targets page of ``region``: its plan, filters, progress cards, the grid, the recording form
    (shown to analysts and admins) and the summaries."""
    store, region, lang, at = kpi.resolve(region, lang)
    everything = target_table(None, store, at)
    df = [r for r in everything if r["region_code"] == region]
    table = views.rows(P, TABLE, store, region, lang, at)
    plan = region_plan(region)
    years = sorted({int(r["target_year"]) for r in everything if r["target_year"] is not None})
    cfg = graph_config(lang, displayModeBar=False)
    return ui.page(P, t("targets.title", lang), t("targets.intro", lang), region, lang, [
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        html.Div(id=f"{P}-head", children=plan_head(region, df, lang)),
        html.Div(className="dash-controls tg-filters", children=[
            _dropdown("plan", lang, [{"label": p.label(lang), "value": p.id} for p in PLANS.values()],
                      plan.id if plan else None),
            _dropdown("year", lang, [{"label": t("targets.allyears", lang), "value": ""}] +
                      [{"label": str(y), "value": str(y)} for y in years]),
            _dropdown("status", lang, [{"label": t("targets.allstatus", lang), "value": ""}] +
                      [{"label": track_text(s, lang), "value": s} for s in TRACK]),
            _dropdown("domain", lang, [{"label": t("targets.all", lang), "value": ""}] +
                      [{"label": domain_label(d, lang), "value": d} for d in sorted({r["domain"] for r in everything})]),
        ]),
        ui.section(P, "cards-panel", t("targets.cards", lang), [html.Div(id=f"{P}-cards", children=progress_cards(df, lang))]),
        ui.section(P, "table", t("targets.table", lang),
                   [grid(GRID_ID, views.json_rows(table), columns(lang), lang, height="480px")],
                   html.Span(views.export(P, TABLE.id, region, lang), id=f"{P}-export-wrap")),
        record.panel(P, df, lang),
        html.Div(className="dash-grid", children=[
            ui.section(P, "domains", t("targets.by_domain", lang),
                       [dcc.Graph(figure=summary_figure(views.rows(P, BY_DOMAIN, store, region, lang, at),
                                                        "domain_name", lang), config=cfg)]),
            ui.section(P, "regions", t("targets.by_region", lang),
                       [dcc.Graph(figure=summary_figure(views.rows(P, BY_REGION, store, region, lang, at),
                                                        "region", lang), config=cfg)]),
        ]),
    ])


def shown(plan_id: Any, year: Any, status: Any, domain: Any, data: dict) -> tuple[str, list[Row]]:
    """(region, assessed rows) the filters select: the chosen plan's region, fresh from the store and
    the operational database (a report just recorded shows at once)."""
    store, region, lang, at = kpi.resolve(data["region"], data["lang"])
    plan = PLANS.get(plan_id) if isinstance(plan_id, str) else None
    reg = plan.region if plan else region
    return reg, filtered(target_table(reg, store, at), year, status, domain)


def register_callbacks(app: Dash) -> None:
    """Filters: the grid, the plan heading and the cards show the chosen plan, year, status and
    domain; the export stays the view of the region's whole table (its URL takes no filter)."""

    @app.callback(Output(GRID_ID, "rowData"), Output(f"{P}-head", "children"), Output(f"{P}-cards", "children"),
                  Output(f"{P}-export-wrap", "children"),
                  Input(f"{P}-plan", "value"), Input(f"{P}-year", "value"), Input(f"{P}-status", "value"),
                  Input(f"{P}-domain", "value"), Input(f"{P}-record-msg", "children"),
                  State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _filter(plan_id, year, status, domain, _msg, data):
        lang = data["lang"]
        reg, rows = shown(plan_id, year, status, domain, data)
        return (grid_rows(rows, lang), plan_head(reg, rows, lang), progress_cards(rows, lang),
                views.export(P, TABLE.id, reg, lang))

    record.register(app, P)
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Targets",
    id=P, title_zh="规划目标", title_en="Planning targets", path=f"/d/{P}", layout=layout,
    datasets=("targets", "fisheries"), indicators=tuple(kpi.TARGET_LINKS), layers=(),
    description_zh="规划指标所属规划、基期、最新、目标、进度与状态；分析员可填报进度。",
    description_en="Plan indicators: plan, baseline, latest, target, progress and status; analysts record progress.",
    order=60, register_callbacks=register_callbacks, views=(TABLE, BY_DOMAIN, BY_REGION),
)
