"""规划目标 Planning targets: every quantitative indicator of the seed plans — baseline → latest → target,
progress, on/off track, 约束性 vs 预期性 — by region and domain."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from citybrain import kpi
from citybrain.i18n import domain_label, fmt_number, register, t
from citybrain.queries import kpi as qk
from citybrain.regions import region_name
from citybrain.registry import DashboardModule
from citybrain.store import get_store
from citybrain.ui import export_button, grid

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


def assess(rows: pd.DataFrame, live: dict[tuple[str, str], float], now: datetime) -> pd.DataFrame:
    """Add latest, progress (0..1) and track status to pivoted target rows."""
    latest, prog, track = [], [], []
    # only the columns the rule reads, iterated like ``itertuples`` does (Series by Series)
    for reg, ind, cur, base, tgt, by, ty in zip(rows["region_code"], rows["indicator_id"], rows["current"],
                                                rows["baseline"], rows["target"], rows["baseline_year"],
                                                rows["target_year"]):
        lv = live.get((reg, ind))
        v = lv if lv is not None else (None if pd.isna(cur) else float(cur))
        p = kpi.target_progress(None if pd.isna(base) else base, v, None if pd.isna(tgt) else tgt)
        if p is None:
            s = "unmonitored"
        elif p >= 1:
            s = "achieved"
        else:
            y0 = by if not pd.isna(by) else 2020
            y1 = ty if not pd.isna(ty) else now.year
            expected = 1.0 if y1 <= y0 else min(1.0, (now.year - y0) / (y1 - y0))
            s = "on_track" if p >= expected else "off_track"
        latest.append(v)
        prog.append(p)
        track.append(s)
    return rows.assign(latest=latest, progress=prog, track=track)


def target_table(region: str | None) -> pd.DataFrame:
    """Assessed targets of one region (or all), using live KPIs where an indicator measures one."""
    store = get_store()
    at = kpi.resolve(None, None)[3]
    rows = qk.target_rows(store, region)
    live = {}
    for live_id, tid in kpi.TARGET_LINKS.items():
        for reg in rows.loc[rows["indicator_id"] == tid, "region_code"].unique():
            snap = qk.snapshot(store, reg, (live_id,), at)
            if len(snap):
                live[(reg, tid)] = float(snap["value"].iloc[0])
    return assess(rows, live, at)


def _fmt(v, unit, lang):
    return "—" if v is None or pd.isna(v) else fmt_number(v, unit, lang, digits=2)


def grid_rows(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": df["name_zh"] if lang == "zh" else df["name_en"].fillna(df["name_zh"]),
        "domain": [domain_label(d, lang) for d in df["domain"]],
        "attribute": df["attribute"].fillna("—"),
        "baseline": [_fmt(v, u, lang) + (f" ({int(y)})" if not pd.isna(y) else "")
                     for v, u, y in zip(df["baseline"], df["unit"], df["baseline_year"])],
        "latest": [_fmt(v, u, lang) for v, u in zip(df["latest"], df["unit"])],
        "target": [_fmt(v, u, lang) + (f" ({int(y)})" if not pd.isna(y) else "")
                   for v, u, y in zip(df["target"], df["unit_target"], df["target_year"])],
        "progress": ["—" if p is None or pd.isna(p) else f"{min(p, 9.99) * 100:.0f}%" for p in df["progress"]],
        "track": [f"{ICON[s]} {t('targets.' + s, lang)}" for s in df["track"]],
        "quote": df["quote"],
    })


def records(frame: pd.DataFrame) -> list[dict]:
    """``frame`` as grid rows, missing values as ``None`` (what ``ui.grid`` makes of a frame, without
    its whole-frame ``astype(object).where(...)`` pass)."""
    cols = [[None if m else v for v, m in zip(frame[c].tolist(), frame[c].isna().tolist())] for c in frame.columns]
    return [dict(zip(frame.columns, row)) for row in zip(*cols)]


def table_grid(df: pd.DataFrame, lang: str) -> Any:
    """The indicator grid of ``df`` (rows filled in directly: same ``rowData`` as ``grid`` builds)."""
    rows = grid_rows(df, lang)
    g = grid(f"{P}-grid", rows.iloc[0:0], columns(lang), lang, height="480px")
    g.rowData = records(rows)
    return g


def columns(lang: str) -> list[dict]:
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in
            ("indicator", "domain", "attribute", "baseline", "latest", "target", "progress", "track", "quote")]
    cols[0].update(minWidth=200, pinned="left")
    cols[-1].update(minWidth=320, tooltipField="quote")
    return cols


def summary_figure(df: pd.DataFrame, by: str, lang: str, labels=None) -> dict:
    colors = {"achieved": "#3ddc97", "on_track": "#35c2ff", "off_track": "#ff4d4f", "unmonitored": "#6b7f95"}
    # count per (group, track) like groupby().size().unstack(): groups sorted, missing groups dropped
    ct = Counter((g, s) for g, s in zip(df[by].tolist(), df["track"].tolist()) if g is not None and g == g)
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
    df = allt[allt["region_code"] == region]
    domains = sorted(df["domain"].unique())
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
                        [dcc.Graph(figure=summary_figure(df, "domain", lang, lambda d: domain_label(d, lang)), config={"displayModeBar": False})]),
            kpi.section(P, "regions", t("targets.by_region", lang),
                        [dcc.Graph(figure=summary_figure(allt, "region_code", lang, lambda c: region_name(c, lang)),
                                   config={"displayModeBar": False})]),
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
            df = df[df["domain"] == domain]
        return (records(grid_rows(df, lang)),
                export_button(f"{P}-export", "targets", {"region": region, "domain": domain or None}, lang))

    kpi.register_drill(app, P)


MODULE = DashboardModule(
    id=P, title_zh="规划目标", title_en="Planning targets", path=f"/d/{P}", layout=layout,
    datasets=("targets", "fisheries"), indicators=tuple(kpi.TARGET_LINKS), layers=(),
    description_zh="规划指标基期、最新、目标与进度。", description_en="Plan indicators: baseline, latest, target, progress.",
    order=60, register_callbacks=register_callbacks,
)
