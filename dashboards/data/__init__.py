"""数据资源 Data resources: datasets, owners, freshness against cadence and regional coverage, and the
plans' data-collection (数据归集) targets."""

from __future__ import annotations

import pandas as pd
from dash import Dash, html

from citybrain import drill, kpi
from citybrain.i18n import cadence_label, fmt_number, label, reason_text, register, t
from citybrain.semantics import freshness as sem_fresh
from citybrain.queries import kpi as qk
from citybrain.registry import DashboardModule
from citybrain.ui import export_button, grid

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


def dataset_rows(region: str, lang: str) -> pd.DataFrame:
    """One row per dataset as the page (and its export) shows it."""
    store, region, lang, at = kpi.resolve(region, lang)
    df = qk.dataset_freshness(store, region)
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


@kpi.cached_layout(P)
def layout(region: str | None = None, lang: str | None = None, **_q) -> html.Div:
    """The data-resources page of ``region``."""
    store, region, lang, at = kpi.resolve(region, lang)
    rows = dataset_rows(region, lang)
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in rows.columns]
    for c in cols:
        if c["field"] in ("coverage", "title"):
            c.update(minWidth=240, tooltipField=c["field"])
    tg = qk.target_rows(store, region)
    tg = tg[tg["domain"] == "data"]
    plan = [html.Li(f"{r.name_zh if lang == 'zh' else r.name_en}: "
                    + " → ".join(x for x in (
                        f"{fmt_number(r.baseline, r.unit, lang, 2)} ({int(r.baseline_year)})" if not pd.isna(r.baseline) else "",
                        f"{fmt_number(r.current, r.unit, lang, 2)} ({int(r.current_year)})" if not pd.isna(r.current) else "",
                        f"{t('kpi.target', lang)} {fmt_number(r.target, r.unit_target, lang, 2)} ({int(r.target_year)})"
                        if not pd.isna(r.target) else "") if x))
            for r in tg.itertuples()]
    return kpi.page(P, t("data.title", lang), t("data.intro", lang), region, lang, [
        kpi.section(P, "datasets", t("data.datasets", lang), [grid(f"{P}-grid", rows, cols, lang, height=None)],
                    export_button(f"{P}-export-datasets", "datasets", {}, lang)),
        kpi.section(P, "plan", t("data.plan", lang),
                    [html.Ul(plan, id=f"{P}-plan-list") if plan else html.P(t("data.none", lang), className="dash-empty")],
                    export_button(f"{P}-export-plan", "targets", {"region": region, "domain": "data"}, lang)),
    ])


def register_callbacks(app: Dash) -> None:
    """No KPI cards here; the drill panel is still wired so the page contract is uniform."""
    drill.register_drill(app, P)


MODULE = DashboardModule(
    id=P, title_zh="数据资源", title_en="Data resources", path=f"/d/{P}", layout=layout,
    datasets=("boundaries", "targets", "fisheries", "traffic", "water", "emergency", "typhoon"), indicators=(),
    description_zh="数据集责任单位、新鲜度、覆盖与数据归集目标。",
    description_en="Dataset owners, freshness, coverage and data-collection targets.",
    order=70, register_callbacks=register_callbacks,
)
