"""GET /api/v1/alarms?region=R: the region's alarm set right now, read-only.

The same rows (``citybrain.semantics.alarms.alarm_set``) the cockpit header counts, /map lists and the
wall ticker scrolls, at the store's "now", as JSON.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from flask import jsonify, request

from citybrain import kpi
from citybrain.semantics.alarms import COLUMNS, alarm_set
from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route
from citybrain.auth.policy import STAFF

REGION = Param("region", "region", "Region code (adcode); default: the configured default region.")


def rows(region: str | None) -> tuple[str, Any, list[dict[str, Any]]]:
    """(region, moment, rows) of the alarm set, JSON-ready (times ISO, missing values null)."""
    store, region, _lang, at = kpi.resolve(region, None)
    df = alarm_set(store, region, at)
    out = []
    for rec in df.to_dict("records"):
        item: dict[str, Any] = {}
        for c in COLUMNS:
            v = rec[c]
            if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
                v = pd.Timestamp(v).isoformat()
            elif v is None or v is pd.NA or (isinstance(v, float) and v != v):  # NaN -> null
                v = None
            item[c] = v
        out.append(item)
    return region, at, out


def alarms():
    """The alarm set of ``region`` (alarms first)."""
    v = parse(request.args, [REGION])
    region, at, items = rows(v["region"])
    resp = jsonify(region=region, at=at.isoformat(), count=len(items),
                   alarm=sum(1 for r in items if r["severity"] == "alarm"),
                   warning=sum(1 for r in items if r["severity"] == "warning"), rows=items)
    resp.headers["Cache-Control"] = "no-store"
    return resp


_ROW = {"type": "object", "properties": {
    "id": {"type": "string"}, "severity": {"type": "string", "enum": ["warning", "alarm"]},
    "region_code": {"type": "string"}, "domain": {"type": "string"},
    "indicator_id": {"type": "string", "nullable": True}, "entity_id": {"type": "string", "nullable": True},
    "value": {"type": "number", "nullable": True}, "threshold": {"type": "number", "nullable": True},
    "raised_at": {"type": "string", "format": "date-time"},
    "title_zh": {"type": "string"}, "title_en": {"type": "string"}}}

add_route("/alarms", "alarms", alarms, {"get": {
    "operationId": "alarms", "summary": "The alarm set of a region right now (what the cockpit, one-map and wall show).",
    "tags": ["alarms"], "parameters": [REGION.openapi()],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"region": {"type": "string"}, "at": {"type": "string"},
                                         "count": {"type": "integer"}, "alarm": {"type": "integer"},
                                         "warning": {"type": "integer"}, "rows": {"type": "array", "items": _ROW}}}}}},
        "400": {"description": "Bad parameter", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/Error"}}}}}}}, access=STAFF)
