"""The versioned HTTP API ``/api/v1``: JSON pages, streamed CSV, Parquet, and its OpenAPI document.

Every route validates its parameters (``params``), reads through the store with bound parameters,
and answers errors as JSON: 400 naming the parameter and the allowed form, 404 for unknown
things, 503 while the store is missing; never a stack trace. Every CSV/Parquet export is audited
(who, what, filters, rows, bytes, seconds) when its stream starts and when it ends; JSON pages
follow the caller's bulk-read rule (``citybrain.auth.bulk``).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from citybrain import audit
from citybrain.auth.bulk import bulk_rule
from citybrain.auth.roles import may_see
from citybrain.export import ExportStats, parquet_parts, stream_csv_parts
from citybrain.settings import Settings
from citybrain.store import Snapshot, StoreMissing, get_store
from citybrain.api.endpoints import ENDPOINTS, Endpoint
from citybrain.api.openapi import document
from citybrain.api.params import ParamError, parse
from citybrain.api.routes import EXTRA_ROUTES, PREFIX, add_route, format_params

log = logging.getLogger(__name__)
__all__ = ["PREFIX", "add_route", "create_blueprint", "json_records", "register", "serve_endpoint"]


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN/NaT -> null)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _settings() -> Settings:
    return current_app.config["CITYBRAIN_SETTINGS"]


def _who() -> dict[str, Any]:
    return {"user": getattr(g, "user", None) or "anonymous", "role": getattr(g, "role", None) or "anonymous",
            "addr": request.remote_addr}


def visible_datasets(store, settings: Settings, role: str | None) -> list[str] | None:
    """Datasets the role's clearance covers (None when it covers them all)."""
    ds = store.df("SELECT name, classification FROM datasets")
    ok = [n for n, c in zip(ds["name"], ds["classification"]) if may_see(settings, role, c)]
    return None if len(ok) == len(ds) else ok


def _check_known(store: Snapshot, ep: Endpoint, values: dict[str, Any]) -> None:
    if ep.name == "observations" and values["indicator"]:
        known = set(store.df("SELECT indicator_id FROM indicators")["indicator_id"])
        for i in values["indicator"]:
            if i not in known:
                raise LookupError(("indicator", i))


_NAME_MAX = 180


def _filename(ep: Endpoint, values: dict[str, Any], fmt: str, version: str) -> str:
    """Download name: endpoint, the caller's filters, the data version served (never cut off)."""
    parts = [f"citybrain_{ep.name}"]
    for k, v in values.items():
        if v in (None, [], "") or k.startswith("_") or k in ("page", "page_size", "encoding", "bom"):
            continue
        v = "+".join(map(str, v)) if isinstance(v, list) else str(v)
        parts.append(f"{k}-{v}".replace(":", "").replace(" ", "T"))
    tail = f"_v{version}.{fmt}"
    return "_".join(parts)[:_NAME_MAX - len(tail)] + tail


class BulkLimit(Exception):
    """A JSON page beyond the rows the caller's role may read of one listing (403)."""


def bulk_reach(settings: Settings, size: int, page: int) -> int | None:
    """The rows of one listing the caller may read (None: no limit); raises ``BulkLimit`` when the
    page is larger than them or starts beyond them."""
    rows = bulk_rule(settings, getattr(g, "role", None)).rows
    if rows is not None and (size > rows or (page - 1) * size >= rows):
        raise BulkLimit(rows)
    return rows


def serve_endpoint(ep: Endpoint, fmt: str) -> Response:
    settings = _settings()
    if fmt not in ep.formats:
        return jsonify(error="unknown format", parameter="format", expected="one of " + ", ".join(ep.formats),
                       got=fmt), 404
    values = parse(request.args, ep.params + format_params(settings, fmt))
    # every query, header and file name of this response reads this one file, the stream included
    store = get_store().snapshot()
    _check_known(store, ep, values)
    values["_unmask"] = may_see(settings, getattr(g, "role", None), "restricted")
    values["_datasets"] = visible_datasets(store, settings, getattr(g, "role", None))
    sql, params = ep.query(values)
    filters = {k: v for k, v in values.items() if v not in (None, []) and not k.startswith("_")}
    if fmt == "json":
        size, page = values["page_size"], values["page"]
        rule_rows = bulk_rule(settings, getattr(g, "role", None)).rows
        if "page_size" not in request.args and rule_rows:
            size = min(size, rule_rows)  # the default page fits the caller's rule
        reach = bulk_reach(settings, size, page)
        total = store.scalar(f"SELECT count(*) FROM ({sql})", params)
        limit = size if reach is None else min(size, reach - (page - 1) * size)
        rows = store.df(f"SELECT * FROM ({sql}) LIMIT ? OFFSET ?", [*params, limit, (page - 1) * size])
        end = page * size if reach is None else min(page * size, reach)
        nxt = page + 1 if end < total and (reach is None or end < reach) else None
        return jsonify(data_version=store.version, endpoint=ep.name, page=page, page_size=size, total=int(total),
                       next_page=nxt, row_limit=reach, rows=json_records(rows))
    stats = ExportStats()
    what = {**_who(), "what": ep.name, "format": fmt, "filters": filters, "data_version": store.version}
    if fmt == "csv":
        gen = stream_csv_parts(store, ep.parts(store, values), encoding=values["encoding"], bom=values["bom"],
                               stats=stats)
        ctype = f"text/csv; charset={values['encoding']}"
    else:
        gen = parquet_parts(store, ep.parts(store, values), stats=stats)
        ctype = "application/vnd.apache.parquet"
    name = _filename(ep, values, fmt, store.version)
    # content_type, not mimetype: Flask would append a second charset to a text/* mimetype
    return Response(audit.audited(gen, what, stats), content_type=ctype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Data-Version": store.version, "Cache-Control": "no-store"})


def create_blueprint() -> Blueprint:
    bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)

    @bp.get("/openapi.json")
    def openapi():
        return jsonify(document(_settings()))

    @bp.get("/<name>")
    @bp.get("/<name>.<fmt>")
    def tabular(name: str, fmt: str = "json"):
        ep = ENDPOINTS.get(name)
        if ep is None:
            return jsonify(error="unknown endpoint", expected="one of " + ", ".join(sorted(ENDPOINTS)),
                           got=name), 404
        return serve_endpoint(ep, fmt)

    for path, endpoint, view, methods in EXTRA_ROUTES:
        bp.add_url_rule(path, endpoint, view, methods=list(methods))

    @bp.errorhandler(ParamError)
    def _bad_param(exc: ParamError):
        return jsonify(exc.body()), 400

    @bp.errorhandler(LookupError)
    def _unknown(exc: LookupError):
        what, value = exc.args[0] if exc.args and isinstance(exc.args[0], tuple) else ("item", str(exc))
        return jsonify(error=f"unknown {what}", parameter=what, got=value), 404

    @bp.errorhandler(BulkLimit)
    def _bulk(exc: BulkLimit):
        return jsonify(error=f"role {getattr(g, 'role', None)} reads at most {exc.args[0]} rows of a listing; "
                             "exports are for the export roles", parameter="page", row_limit=exc.args[0]), 403

    @bp.errorhandler(StoreMissing)
    def _missing(exc: StoreMissing):
        return jsonify(error="the data store is not built yet"), 503

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return jsonify(error=exc.name.lower()), exc.code

    @bp.errorhandler(Exception)
    def _crash(exc: Exception):
        log.exception("API error on %s", request.path)
        return jsonify(error="internal error; the event was logged"), 500

    return bp


def register(server: Flask) -> None:
    server.register_blueprint(create_blueprint())
