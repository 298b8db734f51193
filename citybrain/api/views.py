"""Dashboard views over HTTP: ``/api/v1/dashboards/<id>/views`` and each view as JSON, CSV or Parquet.

The rows come from the view's one data function (``citybrain.views``), the same call the page makes
to draw its table or chart, so a download holds exactly what the screen shows, in screen order.
Exports (CSV, Parquet) are audited at start and end like every other download; JSON rows follow the
caller's bulk-read rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, g, jsonify, request

from citybrain import audit, kpi
from citybrain.auth.bulk import bulk_rule
from citybrain.export import ExportStats
from citybrain.views import View, csv_bytes, file_name, json_rows, parquet_bytes, rows, url
from citybrain.api.params import Param, parse
from citybrain.api.routes import MEDIA, add_route, ok_answer, operation
from citybrain.auth.policy import EXPORT, STAFF
from citybrain.api.v1 import _who

REGION = Param("region", "region", "Region code (adcode); default: the configured default region.")
LANG = Param("lang", "enum", "Language of titles and texts in the rows.", enum=("zh", "en"), default="zh")
ENCODING = Param("encoding", "enum", "CSV text encoding.", enum=("utf-8", "gbk"), default="utf-8")


def _rows(module_id: str, view: View, store: Any, region: str, lang: str, at: Any) -> Any:
    """The view's rows; a 404 naming the dataset where the store was built without one the module
    needs (``citybrain build --only``), rather than the missing key it tripped on."""
    try:
        return rows(module_id, view, store, region, lang, at)
    except LookupError:
        from citybrain.registry import all_modules

        needs = next((m.datasets for m in all_modules() if m.id == module_id), ())
        missing = [d for d in needs if kpi.applicable(store, region, d)[1] == kpi.NOT_LOADED]
        if missing:
            raise LookupError(("dataset", missing[0])) from None
        raise


def _list_view(module_id: str, views: tuple[View, ...]):
    def list_views():
        v = parse(request.args, [REGION, LANG])
        store, region, lang, at = kpi.resolve(v["region"], v["lang"])
        out = [{"id": vw.id, "title": vw.title(lang), "rows": int(len(_rows(module_id, vw, store, region, lang, at))),
                "json": url(module_id, vw.id, region, lang, "json"), "csv": url(module_id, vw.id, region, lang, "csv"),
                "parquet": url(module_id, vw.id, region, lang, "parquet")} for vw in views]
        resp = jsonify(dashboard=module_id, region=region, lang=lang, at=at.isoformat(), data_version=store.version,
                       views=out)
        resp.headers["X-Data-Version"] = store.version
        return resp

    list_views.__name__ = f"views_{module_id}"
    return list_views


def _file_view(module_id: str, view: View, fmt: str):
    def serve():
        params = [REGION, LANG] + ([ENCODING] if fmt == "csv" else [])
        v = parse(request.args, params)
        store, region, lang, at = kpi.resolve(v["region"], v["lang"])
        version = store.version
        headers = {"X-Data-Version": version}
        if fmt == "json":
            frame = _rows(module_id, view, store, region, lang, at)
            limit = bulk_rule(current_app.config["CITYBRAIN_SETTINGS"], getattr(g, "role", None)).rows
            shown = frame if limit is None else frame.head(limit)
            body = {"dashboard": module_id, "view": view.id, "title": view.title(lang), "region": region, "lang": lang,
                    "at": at.isoformat(), "data_version": version, "row_limit": limit, "rows": json_rows(shown)}
            # columns in screen order (jsonify would sort the keys); null, never NaN
            return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), headers=headers,
                            content_type="application/json")
        stats = ExportStats()
        what = {**_who(), "what": f"view {module_id}/{view.id}", "format": fmt,
                "filters": {"region": region, "lang": lang}, "data_version": version}
        frame = _rows(module_id, view, store, region, lang, at)
        stats.rows = int(len(frame))
        body = csv_bytes(frame, v["encoding"]) if fmt == "csv" else parquet_bytes(frame)
        stream = audit.audited(_chunks(body, stats), what, stats)
        name = file_name(module_id, view.id, region, at, version, fmt)
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        mime = f"text/csv; charset={v['encoding']}" if fmt == "csv" else MEDIA[fmt]
        return Response(stream, headers=headers, content_type=mime)

    serve.__name__ = f"view_{module_id}_{view.id}_{fmt}"
    return serve


CHUNK = 256 * 1024


def _chunks(body: bytes, stats: ExportStats) -> Iterator[bytes]:
    """A built file in chunks; ``stats.done`` once the last one went out."""
    for i in range(0, len(body), CHUNK):
        yield body[i:i + CHUNK]
    stats.done = True


def _doc(op: str, summary: str, params: list[Param], media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"get": operation(op, summary, "views", ok_answer(media, schema), {400: "Bad parameter"}, params=params)}


def register_routes() -> None:
    """One documented route per module (its list of views) and per view and format."""
    from citybrain.registry import all_modules

    for m in all_modules():
        if not m.views:
            continue
        add_route(f"/dashboards/{m.id}/views", f"views_{m.id}", _list_view(m.id, m.views), _doc(
            f"views_{m.id}", f"Views of the {m.title_en} dashboard: id, title, row count and their JSON/CSV URLs.",
            [REGION, LANG], "application/json",
            {"type": "object", "properties": {"views": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "rows": {"type": "integer"},
                "json": {"type": "string"}, "csv": {"type": "string"}}}}}}), access=STAFF)
        for vw in m.views:
            for fmt in ("json", "csv", "parquet"):
                params = [REGION, LANG] + ([ENCODING] if fmt == "csv" else [])
                schema: dict[str, Any] = ({"type": "object", "properties": {"rows": {"type": "array", "items": {
                    "type": "object"}}}} if fmt == "json" else {"type": "string", "format": "binary"})
                add_route(f"/dashboards/{m.id}/views/{vw.id}.{fmt}", f"view_{m.id}_{vw.id}_{fmt}",
                          _file_view(m.id, vw, fmt),
                          _doc(f"view_{m.id}_{vw.id}_{fmt}", f"{vw.title_en} ({vw.title_zh}) of the {m.title_en} "
                               f"dashboard as {fmt.upper()}: exactly the rows the page shows.", params, MEDIA[fmt], schema),
                          access=STAFF if fmt == "json" else EXPORT)
