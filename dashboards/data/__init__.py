"""数据资源 Data resources: datasets, owners, freshness against cadence and regional coverage, and the
plans' data-collection (数据归集) targets."""

from __future__ import annotations

import pandas as pd
from dash import Dash, html

from citybrain import kpi, views

from citybrain.ui import drill
from citybrain.i18n import cadence_label, fmt_number, label, reason_text, register, t
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.semantics import freshness as sem_fresh
from citybrain.ui import grid
from citybrain.views import View, ViewContext
from citybrain import ui

P = "data"

register({
    "data.title": ("数据资源", "Data resources"),
    "data.intro": ("数据归集：各数据集的责任单位、更新频率与新鲜度、在本地区的覆盖情况，以及规划中的数据归集目标。",
                   "Data collection: each dataset's owner, cadence and freshness, coverage in this region, and the "
                   "plans' data-collection targets."),
    "data.datasets": ("数据集新鲜度与覆盖", "Dataset freshness and coverage"),
    "data.plan": ("规划数据归集指标", "Data-collection targets of the plan"),
    "data.none": ("本地区规划未设数据归集量化指标", "The region's plan sets no quantitative data-collection target"),
    "data.static": ("静态/年度数据", "static / yearly"),
    "col.coverage": ("本地区覆盖", "Coverage here"), "col.obs": ("本地区观测行数", "Observations here"),
    "col.entities": ("本地区对象数", "Entities here"),
})


def datasets_rows(ctx: ViewContext) -> pd.DataFrame:
    """One row per dataset as the page's grid (and its export) shows it; freshness is judged at the
    clock (``semantics.freshness.now``)."""
    lang = ctx.lang
    df = qk.dataset_freshness(ctx.store, ctx.region)
    fresh = []
    now = sem_fresh.now()
    for last, cad in zip(df["last_ts"], df["cadence_s"]):
        f = sem_fresh.freshness(last, cad, now)
        fresh.append(t("data.static", lang) if f == "none" else sem_fresh.label(f, lang))
    return pd.DataFrame({
        "dataset": df["dataset"], "title": df["title_zh"] if lang == "zh" else df["title_en"],
        "owner": df["owner_zh"] if lang == "zh" else df["owner_en"],
        "cadence": [cadence_label(c, lang) for c in df["cadence"]],
        "last": [("—" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")) for v in df["last_ts"]],
        "freshness": fresh,
        "coverage": [("● " + ("适用" if lang == "zh" else "applies")) if (a is None or pd.isna(a) or a) else
                     ("○ " + reason_text(r, lang)) for a, r in zip(df["applicable"], df["reason"])],
        "obs": df["obs"], "entities": df["entities"],
        "classification": [label("classification", c, lang) for c in df["classification"]],
    })


def dataset_rows(region: str, lang: str) -> pd.DataFrame:
    """``datasets_rows`` of ``region`` (default store and moment)."""
    store, region, lang, at = kpi.resolve(region, lang)
    return datasets_rows(ViewContext(store, region, lang, at))


def _fmt_part(v, year, unit: str, lang: str, prefix: str = "") -> str:
    if pd.isna(v):
        return ""
    return f"{prefix}{fmt_number(v, unit, lang, 2)}" + ("" if pd.isna(year) else f" ({int(year)})")


def plan_rows(ctx: ViewContext) -> pd.DataFrame:
    """The plan's data-collection targets of the region, one row per indicator as the list shows it:
    baseline, current and target (numbers with their years and units) and the list line (``text``)."""
    lang = ctx.lang
    tg = qk.target_rows(ctx.store, ctx.region)
    tg = tg[tg["domain"] == "data"]
    rows = []
    for r in tg.itertuples():
        name = r.name_zh if lang == "zh" else r.name_en
        parts = (_fmt_part(r.baseline, r.baseline_year, r.unit, lang),
                 _fmt_part(r.current, r.current_year, r.unit, lang),
                 _fmt_part(r.target, r.target_year, r.unit_target, lang, f"{t('kpi.target', lang)} "))
        rows.append({"indicator_id": r.indicator_id, "indicator": name,
                     "baseline": r.baseline, "baseline_year": r.baseline_year,
                     "current": r.current, "current_year": r.current_year, "unit": r.unit,
                     "target": r.target, "target_year": r.target_year, "unit_target": r.unit_target,
                     "text": f"{name}: " + " → ".join(x for x in parts if x)})
    return pd.DataFrame(rows, columns=["indicator_id", "indicator", "baseline", "baseline_year", "current",
                                       "current_year", "unit", "target", "target_year", "unit_target", "text"])


DATASETS = View("datasets", "数据集新鲜度与覆盖", "Dataset freshness and coverage", datasets_rows)
PLAN = View("plan", "规划数据归集指标", "Data-collection targets of the plan", plan_rows)


def _fresh_rows(view: View, store, region: str, lang: str, at) -> pd.DataFrame:
    """A view whose rows depend on the clock (freshness): read now, not from the per-data-version memo
    (``views.rows`` keys on the store's moment only; the page memo already follows the clock)."""
    return view.rows(ViewContext(store, region, lang, at)).reset_index(drop=True)


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The data-resources page of ``region``."""
    store, region, lang, at = kpi.resolve(region, lang)
    rows = _fresh_rows(DATASETS, store, region, lang, at)
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in rows.columns]
    for c in cols:
        if c["field"] in ("coverage", "title"):
            c.update(minWidth=240, tooltipField=c["field"])
    plan = [html.Li(x) for x in views.rows(P, PLAN, store, region, lang, at)["text"]]
    return ui.page(P, t("data.title", lang), t("data.intro", lang), region, lang, [
        ui.section(P, "datasets", t("data.datasets", lang),
                    [grid(f"{P}-{DATASETS.id}-grid", views.json_rows(rows), cols, lang, height=None)],
                    views.export(P, DATASETS.id, region, lang)),
        ui.section(P, "plan", t("data.plan", lang),
                    [html.Ul(plan, id=f"{P}-plan-list") if plan else html.P(t("data.none", lang), className="dash-empty")],
                    views.export(P, PLAN.id, region, lang)),
    ])


def register_callbacks(app: Dash) -> None:
    """No KPI cards here; the drill panel is still wired so the page contract is uniform."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    nav_en="Data",
    id=P, title_zh="数据资源", title_en="Data resources", path=f"/d/{P}", layout=layout,
    datasets=("boundaries", "targets", "fisheries", "traffic", "water", "emergency", "typhoon"), indicators=(),
    description_zh="数据集责任单位、新鲜度、覆盖与数据归集目标。",
    description_en="Dataset owners, freshness, coverage and data-collection targets.",
    order=70, register_callbacks=register_callbacks, views=(DATASETS, PLAN),
)
