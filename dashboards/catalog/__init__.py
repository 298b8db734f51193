"""Data catalog (数据资源目录): every dataset and indicator with rows, span, freshness, provenance."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import html

from citybrain import queries, views
from citybrain.i18n import (
    cadence_label,
    domain_label,
    fmt_number,
    label,
    reason_text,
    t,
    unit_label,
)
from citybrain.kpi import resolve
from citybrain.regions import REGIONS, region_name
from citybrain.registry import DashboardModule
from citybrain.semantics import freshness as sem_fresh
from citybrain.store import StoreMissing, get_store
from citybrain.ui import grid, heading
from citybrain.views import View, ViewContext
from citybrain import context

P = "catalog"


def _now() -> datetime:
    """The one clock freshness is judged at (``citybrain.semantics.freshness``)."""
    return sem_fresh.now()


def _fmt_ts(v) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")


def datasets_rows(ctx: ViewContext) -> pd.DataFrame:
    """One row per dataset, as the catalog's grid shows it (and its export holds); freshness is judged
    at the clock (``_now``)."""
    store, lang = ctx.store, ctx.lang
    ds = queries.datasets(store).merge(queries.dataset_stats(store), left_on="name", right_on="dataset")
    now = _now()
    out = pd.DataFrame({
        "dataset": ds["name"],
        "title": ds["title_zh"] if lang == "zh" else ds["title_en"],
        "domain": [domain_label(d, lang) for d in ds["domain"]],
        "rows": ds["rows"].astype("int64"),
        "span": [f"{_fmt_ts(a)} ~ {_fmt_ts(b)}" if pd.notna(a) else "—" for a, b in zip(ds["first_ts"], ds["last_ts"])],
        "last": [_fmt_ts(v) for v in ds["last_ts"]],
        "cadence": [cadence_label(c, lang) for c in ds["cadence"]],
        "freshness": [sem_fresh.label(sem_fresh.freshness(v, c, now), lang)
                      for v, c in zip(ds["last_ts"], ds["cadence_s"])],
        "owner": ds["owner_zh"] if lang == "zh" else ds["owner_en"],
        "classification": [label("classification", c, lang) for c in ds["classification"]],
        "simulated": [label("simulated", s, lang) for s in ds["simulated"]],
        "source": ds["source"],
        "licence": ds["licence"],
        "provenance": ds["provenance"],
    })
    return out


def indicators_rows(ctx: ViewContext) -> pd.DataFrame:
    """One row per indicator with its rows and last value in the region, as the catalog's grid shows it."""
    store, lang = ctx.store, ctx.lang
    ind = queries.indicators(store)
    st = queries.indicator_stats(store, ctx.region)
    ind = ind.merge(st, on="indicator_id", how="left")
    owners = queries.datasets(store)[["name", "owner_en"]].rename(columns={"name": "dataset"})
    ind = ind.merge(owners, on="dataset", how="left")
    now = _now()
    return pd.DataFrame({
        "indicator": ind["indicator_id"],
        "title": ind["name_zh"] if lang == "zh" else ind["name_en"],
        "domain": [domain_label(d, lang) for d in ind["domain"]], "unit": [unit_label(u, lang) for u in ind["unit"]], "dataset": ind["dataset"],
        "cadence": [cadence_label(c, lang) for c in ind["frequency"]],
        "thresholds": [" / ".join(fmt_number(v, u, lang) if pd.notna(v) else "—" for v in (w, a))
                       for w, a, u in zip(ind["warn"], ind["alarm"], ind["unit"])],
        "rows": ind["rows"].fillna(0).astype("int64"),
        "last": [_fmt_ts(v) for v in ind["last_ts"]],
        "freshness": [sem_fresh.label(sem_fresh.freshness(v, c, now), lang)
                      for v, c in zip(ind["last_ts"], ind["cadence_s"])],
        "owner": ind["owner_zh"] if lang == "zh" else ind["owner_en"],
        "classification": [label("classification", c, lang) for c in ind["classification"]],
    })


DATASETS = View("datasets", "数据集", "Datasets", datasets_rows)
INDICATORS = View("indicators", "指标", "Indicators", indicators_rows)


#: The grids of the views, kept at their old ids (not ``catalog-<view>-grid``): tests/dashboards/
#: test_languages.py (verbatim identifier and citation columns) and the browser tests name them.
GRID_IDS = {"datasets": f"{P}-datasets-grid", "indicators": f"{P}-indicators-grid"}


def _ctx(region: str, lang: str) -> ViewContext:
    store, region, lang, at = resolve(region, lang)
    return ViewContext(store, region, lang, at)


def _read(view: View, ctx: ViewContext) -> pd.DataFrame:
    """A view's rows read now: they depend on the clock (freshness), which the per-data-version memo of
    ``views.rows`` does not key on; this page is not memoised either."""
    return view.rows(ctx).reset_index(drop=True)


def dataset_table(region: str, lang: str) -> pd.DataFrame:
    """The catalog's dataset rows (view ``datasets``) of ``region``."""
    return _read(DATASETS, _ctx(region, lang))


def indicator_table(region: str, lang: str) -> pd.DataFrame:
    """The catalog's indicator rows (view ``indicators``) of ``region``."""
    return _read(INDICATORS, _ctx(region, lang))


#: Column widths of the catalog's tables (the rest: 140).
WIDTHS = {"dataset": 120, "indicator": 200, "title": 220, "domain": 130, "rows": 110, "span": 290, "last": 160,
          "cadence": 120, "freshness": 130, "owner": 220, "classification": 150, "simulated": 150, "unit": 90,
          "thresholds": 160, "licence": 200}


def _cols(keys: list[str], lang: str, wide: tuple[str, ...] = ()) -> list[dict]:
    out = []
    for k in keys:
        d = {"field": k, "headerName": t(f"col.{k}", lang), "tooltipField": k}
        if k == "rows":
            d.update(type="numericColumn", valueFormatter={"function": "d3.format(',')(params.value)"})
        if k in wide:
            d.update(minWidth=260, flex=1)
        else:  # as wide as its content (1920 design's pixels; the long texts are the wide columns)
            d.update(width=WIDTHS.get(k, 140))
        if k == "freshness":
            d["cellClassRules"] = {"cb-cell-stale": f"params.value == '{sem_fresh.label('stale', lang)}'"}
        out.append(d)
    return out


def layout(region: str | None = None, lang: str | None = None, **_query) -> html.Div:
    settings = context.current().settings
    lang = lang if lang in ("zh", "en") else settings.lang
    region = region if region in REGIONS else settings.region
    try:
        store = get_store()
        ctx = _ctx(region, lang)
        dsf = _read(DATASETS, ctx)
        indf = _read(INDICATORS, ctx)
        cov = queries.coverage(store, region)
        meta = store.meta()
    except StoreMissing as exc:
        return html.Div(className="cb-page", children=[heading(t("catalog.title", lang)), html.Pre(str(exc))])
    na = cov[~cov["applicable"].astype(bool)]
    summary = (f"{region_name(region, lang)} · {len(dsf)} {t('summary.datasets', lang)} · "
               f"{len(indf)} {t('summary.indicators', lang)} · {fmt_number(int(dsf['rows'].sum()), '', lang)} "
               f"{t('summary.rows', lang)} · {t('store.version', lang)} {meta['data_version']} · "
               f"{t('store.anchor', lang)} {meta['anchor'].replace('T', ' ')[:16]}")
    return html.Div(className="cb-page", id=f"{P}-page", children=[
        heading(t("catalog.title", lang), t("catalog.intro", lang)),
        html.P(summary, id=f"{P}-summary", className="cb-summary"),
        html.H2([t("catalog.datasets", lang), " ", views.export(P, DATASETS.id, region, lang)]),
        grid(GRID_IDS[DATASETS.id], views.json_rows(dsf),
             _cols(list(dsf.columns), lang, wide=("provenance", "source")), lang, height=None),
        html.H2([t("catalog.indicators", lang), " ", views.export(P, INDICATORS.id, region, lang)]),
        grid(GRID_IDS[INDICATORS.id], views.json_rows(indf), _cols(list(indf.columns), lang), lang,
             height="520px"),
        html.H2(t("catalog.not_applicable", lang)) if len(na) else None,
        html.Ul([html.Li(f"{r.dataset}: {reason_text(r.reason, lang)}") for r in na.itertuples()], id=f"{P}-na") if len(na) else None,
    ])


MODULE = DashboardModule(
    nav_en="Catalog",
    id=P, title_zh="数据目录", title_en="Data catalog", path="/catalog", layout=layout,
    datasets=("boundaries", "targets"), order=90, views=(DATASETS, INDICATORS),
    description_zh="全部数据集与指标的行数、时间范围、新鲜度、来源与许可。",
    description_en="Rows, time span, freshness, provenance and licence of every dataset and indicator.",
)
