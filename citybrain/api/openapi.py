"""The OpenAPI 3 document of ``/api/v1``, generated from the same specs that validate requests."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..settings import Settings
from .endpoints import ENDPOINTS

ERROR = {"$ref": "#/components/schemas/Error"}
MEDIA = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _errors() -> dict[str, Any]:
    return {str(code): {"description": text, "content": {"application/json": {"schema": ERROR}}}
            for code, text in ((400, "Bad parameter: names the parameter and the allowed form"),
                               (404, "Unknown endpoint, format or indicator"),
                               (503, "Store not built yet"))}


def document(settings: Settings) -> dict[str, Any]:
    from .v1 import BOM, ENCODING, EXTRA_DOCS, PAGE, PREFIX, page_size_param

    paths: dict[str, Any] = {}
    for ep in ENDPOINTS.values():
        for fmt in ep.formats:
            extra = [PAGE, page_size_param(settings)] if fmt == "json" else ([ENCODING, BOM] if fmt == "csv" else [])
            path = f"{PREFIX}/{ep.name}" + ("" if fmt == "json" else f".{fmt}")
            content: dict[str, Any]
            if fmt == "json":
                content = {MEDIA[fmt]: {"schema": {"$ref": "#/components/schemas/Page"}}}
            else:
                content = {MEDIA[fmt]: {"schema": {"type": "string", "format": "binary"}}}
            paths[path] = {"get": {
                "operationId": f"{ep.name}_{fmt}", "summary": ep.summary + ("" if fmt == "json" else f" ({fmt.upper()})"),
                "tags": [ep.name],
                "parameters": [p.openapi() for p in ep.params + extra],
                "responses": {"200": {"description": "OK", "content": content}, **_errors()},
            }}
    paths[f"{PREFIX}/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document.",
                                               "responses": {"200": {"description": "OK", "content": {
                                                   "application/json": {"schema": {"type": "object"}}}}}}}
    paths.update(EXTRA_DOCS)
    return {
        "openapi": "3.0.3",
        "info": {"title": "CityBrain cockpit API (城市大脑运行驾驶舱数据接口)", "version": __version__,
                 "description": "Indicator data for query, browsing and download. Times are China Standard "
                                "Time. CSV is UTF-8 with BOM by default, RFC 4180 quoted, formula cells "
                                "neutralised, deterministically ordered; CSV and Parquet stream without a row cap."},
        "paths": paths,
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"}, "parameter": {"type": "string"}, "expected": {"type": "string"},
                "got": {"type": "string"}}},
            "Page": {"type": "object", "required": ["rows", "page", "page_size", "total", "data_version"],
                     "properties": {"data_version": {"type": "string"}, "endpoint": {"type": "string"},
                                    "page": {"type": "integer"}, "page_size": {"type": "integer"},
                                    "total": {"type": "integer"}, "next_page": {"type": "integer", "nullable": True},
                                    "rows": {"type": "array", "items": {"type": "object"}}}},
        }},
    }
