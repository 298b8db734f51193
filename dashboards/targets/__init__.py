"""规划目标 Planning targets: every quantitative indicator of the seed plans — baseline → latest → target,
progress, on/off track, 约束性 vs 预期性 — by region and domain."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from citybrain import kpi, views

from citybrain.ui import drill
from citybrain.ui.figures import graph_config
from citybrain.i18n import domain_label, fmt_number, label, register, t
from citybrain.queries import kpi as qk
from citybrain.regions import region_name
from citybrain.registry import DashboardModule
from citybrain.store import get_store
from citybrain.ui import grid, records
from citybrain.views import View, ViewContext
from citybrain import ui

P = "targets"
TRACK = ("achieved", "on_track", "off_track", "unmonitored")
ICON = {"achieved": "★", "on_track": "●", "off_track": "▲", "unmonitored": "○"}

register({
    "targets.title": ("规划目标", "Planning targets"),
    "targets.intro": ("各地数字化规划的全部量化指标：基期值 → 最新值 → 目标值、完成进度、是否按期，约束性/预期性。",
                      "Every quantitative indicator of the plans: baseline → latest → target, progress, on or off "
                      "track, binding or expected."),
    "targets.domain": ("领域", "Domain"), "targets.all": ("全部领域", "All domains"),
    "targets.table": ("指标清单", "Indicators"), "targets.by_domain": ("按领域统计", "By domain"),
    "targets.by_region": ("各地区对比", "By region"),
    "targets.achieved": ("已达标", "achieved"), "targets.on_track": ("按期推进", "on track"),
    "targets.off_track": ("进度滞后", "off track"), "targets.unmonitored": ("暂无最新值", "no latest value"),
    "col.baseline": ("基期值", "Baseline"), "col.latest": ("最新值", "Latest"), "col.target": ("目标值", "Target"),
    "col.progress": ("进度", "Progress"), "col.track": ("是否按期", "Track"), "col.attribute": ("属性", "Attribute"),
    "col.quote": ("规划原文", "Plan text"), "col.region": ("地区", "Region"),
})


Row = dict[str, Any]


def assess(rows: list[Row], live: dict[tuple[str, str], float], now: datetime) -> list[Row]:
    """Target rows (``ui.records`` of ``target_rows``) with latest, progress (0..1) and track status."""
    out = []
    for r in rows:
        lv = live.get((r["region_code"], r["indicator_id"]))
        v = lv if lv is not None else (None if r["current"] is None else float(r["current"]))
        p = kpi.target_progress(r["baseline"], v, r["target"])
        if p is None:
            s = "unmonitored"
        elif p >= 1:
            s = "achieved"
        else:
            y0 = r["baseline_year"] if r["baseline_year"] is not None else 2020
            y1 = r["target_year"] if r["target_year"] is not None else now.year
            expected = 1.0 if y1 <= y0 else min(1.0, (now.year - y0) / (y1 - y0))
            s = "on_track" if p >= expected else "off_track"
        out.append({**r, "latest": v, "progress": p, "track": s})
    return out


def target_table(region: str | None, store=None, at: datetime | None = None) -> list[Row]:
    """Assessed targets of one region (or all), using live KPIs where an indicator measures one."""
    store = store if store is not None else get_store()
    at = at if at is not None else kpi.resolve(None, None)[3]
    rows = records(qk.target_rows(store, region))  # ~130 rows: plain dicts cost less than pandas ops
    live = {}
    for live_id, tid in kpi.TARGET_LINKS.items():
        for reg in dict.fromkeys(r["region_code"] for r in rows if r["indicator_id"] == tid):
            snap = qk.snapshot(store, reg, (live_id,), at)
            if len(snap):
                live[(reg, tid)] = float(snap["value"].iloc[0])
    return assess(rows, live, at)


def _fmt(v, unit, lang):
    return "—" if v is None else fmt_number(v, unit, lang, digits=2)


def _year(y) -> str:
    return f" ({int(y)})" if y is not None else ""


def grid_rows(rows: list[Row], lang: str) -> list[Row]:
    """The grid's rows (formatted texts) of assessed targets."""
    return [{
        "indicator": r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"]),
        "domain": domain_label(r["domain"], lang),
        "attribute": label("target_attribute", r["attribute"], lang) if r["attribute"] else "—",
        "baseline": _fmt(r["baseline"], r["unit"], lang) + _year(r["baseline_year"]),
        "latest": _fmt(r["latest"], r["unit"], lang),
        "target": _fmt(r["target"], r["unit_target"], lang) + _year(r["target_year"]),
        "progress": "—" if r["progress"] is None else f"{min(r['progress'], 9.99) * 100:.0f}%",
        "track": f"{ICON[r['track']]} {t('targets.' + r['track'], lang)}",
        "quote": r["quote"],
    } for r in rows]


#: The grid of view ``table``. Kept at its old id (not ``targets-table-grid``): tests/dashboards/
#: test_languages.py and the browser tests name it (its ``quote`` column is quoted verbatim).
GRID_ID = f"{P}-table-grid"


def table_grid(rows: list[Row], lang: str) -> Any:
    """The indicator grid showing ``rows`` (``grid_rows``)."""
    return grid(GRID_ID, rows, columns(lang), lang, height="480px")


def columns(lang: str) -> list[dict]:
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in
            ("indicator", "domain", "attribute", "baseline", "latest", "target", "progress", "track", "quote")]
    cols[0].update(minWidth=200, pinned="left")
    cols[-1].update(minWidth=320, tooltipField="quote")
    return cols


def summary_rows(df: list[Row], by: str, name: str, labels) -> pd.DataFrame:
    """Targets counted per group (``by``: code column ``by``, shown name ``name``) and track status:
    one row per group, groups sorted by code, groups without targets left out."""
    # count per (group, track) like groupby().size().unstack(): groups sorted, missing groups dropped
    ct = Counter((r[by], r["track"]) for r in df if r[by] is not None)
    keys = sorted({g for g, _ in ct})
    return pd.DataFrame({by: keys, name: [labels(v) for v in keys],
                         **{s: [ct.get((g, s), 0) for g in keys] for s in TRACK}},
                        columns=[by, name, *TRACK])


def summary_figure(rows: pd.DataFrame, name: str, lang: str) -> dict:
    """The stacked bars of a ``summary_rows`` view (one bar per row, one colour per track status)."""
    colors = {"achieved": "#3ddc97", "on_track": "#35c2ff", "off_track": "#ff4d4f", "unmonitored": "#6b7f95"}
    y = rows[name].tolist()
    return ui.figure([{"type": "bar", "y": y, "x": [int(v) for v in rows[s]], "orientation": "h",
                        "name": f"{ICON[s]} {t('targets.' + s, lang)}", "marker": {"color": colors[s]}}
                       for s in TRACK], 90 + 28 * max(len(y), 1), barmode="stack")


def _all(ctx: ViewContext) -> list[Row]:
    return target_table(None, ctx.store, ctx.at)


def table_rows(ctx: ViewContext) -> pd.DataFrame:
    """The indicator grid of the region as the page first shows it: all domains. The domain filter on
    the page narrows the grid in the browser; the view (and the export) stays the unfiltered table."""
    rows = grid_rows([r for r in _all(ctx) if r["region_code"] == ctx.region], ctx.lang)
    return pd.DataFrame(rows, columns=[c["field"] for c in columns(ctx.lang)])


def domains_rows(ctx: ViewContext) -> pd.DataFrame:
    """The 'by domain' chart: the region's targets per domain and track status."""
    return summary_rows([r for r in _all(ctx) if r["region_code"] == ctx.region], "domain", "domain_name",
                        lambda d: domain_label(d, ctx.lang))


def regions_rows(ctx: ViewContext) -> pd.DataFrame:
    """The 'by region' chart: every region's targets per track status."""
    return summary_rows(_all(ctx), "region_code", "region", lambda c: region_name(c, ctx.lang))


TABLE = View("table", "指标清单", "Indicators", table_rows)
BY_DOMAIN = View("domains", "按领域统计", "By domain", domains_rows)
BY_REGION = View("regions", "各地区对比", "By region", regions_rows)


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The targets page of ``region`` with a domain filter and a region comparison."""
    store, region, lang, at = kpi.resolve(region, lang)
    df = [r for r in target_table(None, store, at) if r["region_code"] == region]
    domains = sorted({r["domain"] for r in df})
    table = views.rows(P, TABLE, store, region, lang, at)
    return ui.page(P, t("targets.title", lang), t("targets.intro", lang), region, lang, [
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        html.Div(className="dash-controls", children=[
            html.Label(t("targets.domain", lang), htmlFor=f"{P}-domain"),
            dcc.Dropdown(id=f"{P}-domain", value="", clearable=False, searchable=False, className="dash-dropdown",
                         options=[{"label": t("targets.all", lang), "value": ""}] +
                                 [{"label": domain_label(d, lang), "value": d} for d in domains])]),
        ui.section(P, "table", t("targets.table", lang),
                    [table_grid(views.json_rows(table), lang)],
                    html.Span(views.export(P, TABLE.id, region, lang), id=f"{P}-export-wrap")),
        html.Div(className="dash-grid", children=[
            ui.section(P, "domains", t("targets.by_domain", lang),
                        [dcc.Graph(figure=summary_figure(views.rows(P, BY_DOMAIN, store, region, lang, at),
                                                         "domain_name", lang),
                                   config=graph_config(lang, displayModeBar=False))]),
            ui.section(P, "regions", t("targets.by_region", lang),
                        [dcc.Graph(figure=summary_figure(views.rows(P, BY_REGION, store, region, lang, at),
                                                         "region", lang),
                                   config=graph_config(lang, displayModeBar=False))]),
        ]),
    ])


def register_callbacks(app: Dash) -> None:
    """Domain filter: the grid shows the chosen domain; the export stays the view of the whole table
    (``table_rows``, all domains: the view's URL takes no filter)."""

    @app.callback(Output(GRID_ID, "rowData"), Output(f"{P}-export-wrap", "children"),
                  Input(f"{P}-domain", "value"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _filter(domain, data):
        store, region, lang, at = kpi.resolve(data["region"], data["lang"])
        df = target_table(region, store, at)
        if domain:
            df = [r for r in df if r["domain"] == domain]
        return grid_rows(df, lang), views.export(P, TABLE.id, region, lang)

    drill.register_drill(app, P)


MODULE = DashboardModule(
    id=P, title_zh="规划目标", title_en="Planning targets", path=f"/d/{P}", layout=layout,
    datasets=("targets", "fisheries"), indicators=tuple(kpi.TARGET_LINKS), layers=(),
    description_zh="规划指标基期、最新、目标与进度。", description_en="Plan indicators: baseline, latest, target, progress.",
    order=60, register_callbacks=register_callbacks, views=(TABLE, BY_DOMAIN, BY_REGION),
)
