"""Views: one data function per card row, table and chart, many renderers (DESIGN.md §13).

A dashboard module declares its views (``DashboardModule.views``). A view is one function
``rows(ctx) -> DataFrame`` returning exactly the rows its table shows (or its chart plots), in screen
order, with the column names the screen uses. The page renders those rows (``grid``/figure), and the
same function serves them as JSON (``{"rows": [...]}``), CSV and Parquet under
``/api/v1/dashboards/<module>/views/<view>.<fmt>?region=R&lang=L``; every export button of a page
points there (``export``), so a download holds exactly what the table shows. Views about places
carry ``entity_id`` and ``status`` columns (the map's GeoJSON says the same status for the same id).

Most views read the analytic store (``ctx.store``) and are memoised by the versions of what they
read. A view of what people wrote — work orders, the duty log — reads the operational database (``ctx.ops``, the app's
``citybrain.ops`` engine) and says so (``source="ops"``): that database has no data version, so its
rows are read afresh on every call, the page's and the download's alike.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from dash import html

from citybrain.cache import cached_query
from citybrain.i18n import register, t
from citybrain.store import Store

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

register({"view.export": ("导出本表数据（CSV，与表格一致）", "Download exactly this table's rows (CSV)")})


@dataclass(frozen=True)
class ViewContext:
    """Where, when and in which language a view is read."""

    store: Store
    region: str
    lang: str
    at: datetime
    ops: Engine | None = None  # the operational database (views of ``source="ops"``)


@dataclass(frozen=True)
class View:
    """A named view of a dashboard: its title and its one data function."""

    id: str
    title_zh: str
    title_en: str
    rows: Callable[[ViewContext], pd.DataFrame]
    source: str = "store"  # "ops": reads the operational database, never memoised

    def title(self, lang: str = "zh") -> str:
        return self.title_zh if lang == "zh" else self.title_en


def find(module_id: str, view_id: str) -> View | None:
    """The view ``view_id`` of the registered module ``module_id`` (None if either is unknown)."""
    from citybrain.registry import all_modules

    for m in all_modules():
        if m.id == module_id:
            return next((v for v in m.views if v.id == view_id), None)
    return None


def reader(module_id: str, store: Store, region: str, lang: str, at: datetime) -> Callable[[View], pd.DataFrame]:
    """``rows`` of the module's views for one page (``reader(...)(VIEW)``)."""
    return lambda view: rows(module_id, view, store, region, lang, at)


def rows(module_id: str, view: View, store: Store, region: str, lang: str, at: datetime) -> pd.DataFrame:
    """The rows of ``view`` (memoised by the versions of what they read, region, language, moment and
    clock minute: a view may say whether a feed is overdue, which moves with the clock); a view of the operational
    database is read afresh (``ctx.ops`` is the app's engine, migrated)."""
    from citybrain.semantics.freshness import now

    if view.source == "ops":
        from citybrain.ops.db import engine

        return view.rows(ViewContext(store, region, lang, at, engine())).reset_index(drop=True)
    return _rows(store, module_id, view.id, region, lang, at, f"{now():%Y%m%d%H%M}")


@cached_query
def _rows(store: Store, module_id: str, view_id: str, region: str, lang: str, at: datetime,
          minute: str) -> pd.DataFrame:
    view = find(module_id, view_id)
    assert view is not None, (module_id, view_id)
    return view.rows(ViewContext(store, region, lang, at)).reset_index(drop=True)


def _plain(v: Any) -> Any:
    """A cell as JSON: times as ISO text, NaN/NA as null, numpy scalars as Python numbers."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, datetime)):
        return pd.Timestamp(v).isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if v is pd.NA:
        return None
    return v


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (column order kept; missing values null, never NaN)."""
    names = [str(c) for c in frame.columns]
    cols = [[_plain(v) for v in frame[c].tolist()] for c in frame.columns]
    return [dict(zip(names, r)) for r in zip(*cols)]


def _arrow(frame: pd.DataFrame, text_times: bool = False) -> pa.Table:
    """The rows as an Arrow table (object columns of mixed types as text; times as the JSON's ISO
    text when ``text_times``, so CSV cells read exactly as the JSON values)."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        if text_times and (col.dtype == object or pd.api.types.is_datetime64_any_dtype(col.dtype)):
            vals = [_plain(v) for v in col.tolist()]
            if any(isinstance(v, (pd.Timestamp, datetime)) for v in col.tolist()):
                out[str(c)] = pa.array([None if v is None else str(v) for v in vals])
                continue
        if col.dtype == object:
            vals = [_plain(v) for v in col.tolist()]
            kinds = {type(v) for v in vals if v is not None}
            if kinds - {str} and not kinds <= {int, float, bool}:
                vals = [None if v is None else str(v) for v in vals]
            out[str(c)] = pa.array(vals)
        else:
            arr = pa.Array.from_pandas(col)
            out[str(c)] = arr.cast(pa.string()) if pa.types.is_large_string(arr.type) else arr
    return pa.table(out)


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    """The rows as CSV: RFC 4180, UTF-8 with BOM (or GBK), formulas neutralised (``export.neutralise``)."""
    from citybrain.export import BOM, neutralise

    table = _arrow(frame, text_times=True)
    buf = io.BytesIO()
    batches = [neutralise(b) for b in table.to_batches()] or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    pacsv.write_csv(pa.Table.from_batches(batches, schema=batches[0].schema), buf)
    text = buf.getvalue()
    if encoding == "gbk":
        return text.decode("utf-8").encode("gbk", errors="replace")
    return BOM + text


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The rows as Parquet."""
    buf = io.BytesIO()
    pq.write_table(_arrow(frame), buf)
    return buf.getvalue()


def url(module_id: str, view_id: str, region: str, lang: str, fmt: str = "csv") -> str:
    """Where a view is served in ``fmt`` (json, csv or parquet)."""
    return f"/api/v1/dashboards/{module_id}/views/{view_id}.{fmt}?" + urlencode({"region": region, "lang": lang})


def export(module_id: str, view_id: str, region: str, lang: str) -> html.A:
    """The export button of a table or chart: its view's CSV (exactly the rows on screen)."""
    return export_link(f"{module_id}-export-{view_id}", url(module_id, view_id, region, lang), lang)


def export_link(id_: str, href: str, lang: str) -> html.A:
    """An export button pointing at a view URL."""
    return html.A(["⇩ ", t("export.csv", lang)], id=id_, href=href, className="cb-export",
                  title=t("view.export", lang), download="")


def file_name(module_id: str, view_id: str, region: str, at: datetime, version: str, fmt: str) -> str:
    """Download name: module, view, region, moment and data version (nothing internal)."""
    return f"{module_id}_{view_id}_{region}_{at:%Y%m%dT%H%M}_{version}.{fmt}"


def cards_view(ids: tuple[str, ...] | Callable[[ViewContext], tuple[str, ...]], view_id: str = "cards") -> View:
    """The view of a row of KPI cards: one row per card, in card order, with what the card says
    (``ids``: the cards' indicators, or a function giving them for a context)."""

    def card_rows(ctx: ViewContext) -> pd.DataFrame:
        from citybrain import kpi
        from citybrain.i18n import fmt_number
        from citybrain.semantics.status import word

        vals = kpi.kpi_values(ctx.store, ctx.region, ids(ctx) if callable(ids) else ids, ctx.at)
        return pd.DataFrame({
            "indicator_id": [v.ind.id for v in vals],
            "indicator": [v.ind.name(ctx.lang) for v in vals],
            "value": [v.value for v in vals],
            "unit": [v.ind.unit for v in vals],
            "shown": [fmt_number(v.value, v.ind.unit, ctx.lang) for v in vals],
            "status": [v.status for v in vals],
            "status_text": [word(v.status, ctx.lang) for v in vals],
            "ts": [v.ts for v in vals],
            "running": [v.running for v in vals],
            "stale": [v.stale for v in vals],
            "value_1d": [v.value_1d for v in vals],
            "value_7d": [v.value_7d for v in vals],
        })

    return View(view_id, "指标卡", "KPI cards", card_rows)
