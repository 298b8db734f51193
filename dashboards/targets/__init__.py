"""规划目标 Planning targets: every quantitative indicator of the seed plans — baseline → latest → target,
progress, on/off track, 约束性 vs 预期性 — by region and domain."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from citybrain.figures import graph_config
from citybrain import drill, kpi
from citybrain.i18n import domain_label, fmt_number, label, register, t
from citybrain.queries import kpi as qk
from citybrain.regions import region_name
from citybrain.registry import DashboardModule
from citybrain.store import get_store
from citybrain.ui import export_button, grid, records

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


def target_table(region: str | None) -> list[Row]:
    """Assessed targets of one region (or all), using live KPIs where an indicator measures one."""
    store = get_store()
    at = kpi.resolve(None, None)[3]
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


def table_grid(df: list[Row], lang: str) -> Any:
    """The indicator grid of ``df``."""
    return grid(f"{P}-grid", grid_rows(df, lang), columns(lang), lang, height="480px")


def columns(lang: str) -> list[dict]:
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in
            ("indicator", "domain", "attribute", "baseline", "latest", "target", "progress", "track", "quote")]
    cols[0].update(minWidth=200, pinned="left")
    cols[-1].update(minWidth=320, tooltipField="quote")
    return cols


def summary_figure(df: list[Row], by: str, lang: str, labels=None) -> dict:
    colors = {"achieved": "#3ddc97", "on_track": "#35c2ff", "off_track": "#ff4d4f", "unmonitored": "#6b7f95"}
    # count per (group, track) like groupby().size().unstack(): groups sorted, missing groups dropped
    ct = Counter((r[by], r["track"]) for r in df if r[by] is not None)
    keys = sorted({g for g, _ in ct})
    y = [labels(v) for v in keys] if labels else keys
    return kpi.figure([{"type": "bar", "y": y, "x": [ct.get((g, s), 0) for g in keys], "orientation": "h",
                        "name": f"{ICON[s]} {t('targets.' + s, lang)}", "marker": {"color": colors[s]}}
                       for s in TRACK], 90 + 28 * max(len(keys), 1), barmode="stack")


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The targets page of ``region`` with a domain filter and a region comparison."""
    store, region, lang, at = kpi.resolve(region, lang)
    allt = target_table(None)
    df = [r for r in allt if r["region_code"] == region]
    domains = sorted({r["domain"] for r in df})
    return kpi.page(P, t("targets.title", lang), t("targets.intro", lang), region, lang, [
        dcc.Store(id=f"{P}-ctx", data={"region": region, "lang": lang}),
        html.Div(className="dash-controls", children=[
            html.Label(t("targets.domain", lang), htmlFor=f"{P}-domain"),
            dcc.Dropdown(id=f"{P}-domain", value="", clearable=False, searchable=False, className="dash-dropdown",
                         options=[{"label": t("targets.all", lang), "value": ""}] +
                                 [{"label": domain_label(d, lang), "value": d} for d in domains])]),
        kpi.section(P, "table", t("targets.table", lang),
                    [table_grid(df, lang)],
                    html.Span(export_button(f"{P}-export", "targets", {"region": region}, lang), id=f"{P}-export-wrap")),
        html.Div(className="dash-grid", children=[
            kpi.section(P, "domains", t("targets.by_domain", lang),
                        [dcc.Graph(figure=summary_figure(df, "domain", lang, lambda d: domain_label(d, lang)), config=graph_config(lang, displayModeBar=False))]),
            kpi.section(P, "regions", t("targets.by_region", lang),
                        [dcc.Graph(figure=summary_figure(allt, "region_code", lang, lambda c: region_name(c, lang)),
                                   config=graph_config(lang, displayModeBar=False))]),
        ]),
    ])


def register_callbacks(app: Dash) -> None:
    """Domain filter: the grid and its export follow the chosen domain."""

    @app.callback(Output(f"{P}-grid", "rowData"), Output(f"{P}-export-wrap", "children"),
                  Input(f"{P}-domain", "value"), State(f"{P}-ctx", "data"), prevent_initial_call=True)
    def _filter(domain, data):
        region, lang = data["region"], data["lang"]
        df = target_table(region)
        if domain:
            df = [r for r in df if r["domain"] == domain]
        return (grid_rows(df, lang),
                export_button(f"{P}-export", "targets", {"region": region, "domain": domain or None}, lang))

    drill.register_drill(app, P)


MODULE = DashboardModule(
    id=P, title_zh="规划目标", title_en="Planning targets", path=f"/d/{P}", layout=layout,
    datasets=("targets", "fisheries"), indicators=tuple(kpi.TARGET_LINKS), layers=(),
    description_zh="规划指标基期、最新、目标与进度。", description_en="Plan indicators: baseline, latest, target, progress.",
    order=60, register_callbacks=register_callbacks,
)
