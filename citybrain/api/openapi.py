"""The OpenAPI 3 document of ``/api/v1``, generated from the same specs that validate requests.

Parameters come from the ``Param`` specs (lengths, patterns, enums, bounds, the order of a time
range); every data route declares its 400/401/403/404/503 answers and the security schemes the
deployment accepts (login session cookie, wall token, the gateway's SSO header when configured).
Reads ``routes`` and ``endpoints`` only: the blueprint (``v1``) imports this module, not the reverse.
"""

from __future__ import annotations

import copy
from typing import Any

from citybrain import __version__
from citybrain.settings import Settings
from citybrain.api.endpoints import ENDPOINTS
from citybrain.api.params import Param
from citybrain.api.routes import EXTRA_DOCS, MEDIA, PREFIX, error_answer, format_params

#: Answers of every data route (the auth guard runs before any of them).
ERRORS = ((400, "Bad parameter: names the parameter (both, for a time range out of order) and the allowed form"),
          (401, "Authentication required (no session, token or trusted SSO header)"),
          (403, "The role may not do this (e.g. export, or a wall token outside the wall)"),
          (404, "Unknown endpoint, format or indicator"),
          (503, "Store not built yet"))
#: Routes anyone may fetch (no security requirement).
OPEN_PATHS = (f"{PREFIX}/openapi.json",)


def error_responses(codes: tuple[int, ...] = tuple(c for c, _ in ERRORS)) -> dict[str, Any]:
    """The documented error answers ``codes`` (JSON bodies of the ``Error`` schema)."""
    return {str(code): error_answer(text) for code, text in ERRORS if code in codes}


def security_schemes(settings: Settings) -> dict[str, Any]:
    """The ways a caller proves who they are, as this deployment is configured."""
    schemes: dict[str, Any] = {
        "session": {"type": "apiKey", "in": "cookie", "name": "citybrain_session",
                    "description": "Login session from POST /login (auth=local)."},
        "wallTokenHeader": {"type": "apiKey", "in": "header", "name": "X-Wall-Token",
                            "description": "Read-only wall display token: /api/v1/wall/* only."},
        "wallTokenQuery": {"type": "apiKey", "in": "query", "name": "token",
                           "description": "The wall token as a URL parameter: /api/v1/wall/* only."},
        "feedToken": {"type": "http", "scheme": "bearer",
                      "description": "Feed token of one dataset (`citybrain feeds add`): POST /api/v1/ingest/* only."},
    }
    if settings.auth == "header":
        schemes["ssoHeader"] = {"type": "apiKey", "in": "header", "name": settings.auth_user_header,
                                "description": "User name set by the SSO gateway (trusted proxies only); role "
                                               f"in {settings.auth_role_header}."}
    return schemes


def _rules(params: list[Param]) -> dict[str, Any]:
    """Operation-level statement of the cross-parameter rules (OpenAPI cannot express them)."""
    pairs = [[p.name, p.before] for p in params if p.before]
    return {"x-ordered-parameters": pairs} if pairs else {}


def _secure(paths: dict[str, Any], settings: Settings) -> None:
    """Add the security requirement and the 401/403 answers to every path but the open ones."""
    requirement = [{name: []} for name in security_schemes(settings)]
    for path, item in paths.items():
        if path in OPEN_PATHS:
            continue
        for op in item.values():
            if settings.auth != "off" and "security" not in op:
                op["security"] = requirement
            for code, resp in error_responses((401, 403)).items():
                op["responses"].setdefault(code, resp)


def document(settings: Settings) -> dict[str, Any]:
    """The whole OpenAPI document for ``settings`` (page-size limit, auth mode)."""
    paths: dict[str, Any] = {}
    for ep in ENDPOINTS.values():
        for fmt in ep.formats:
            params = ep.params + format_params(settings, fmt)
            path = f"{PREFIX}/{ep.name}" + ("" if fmt == "json" else f".{fmt}")
            content: dict[str, Any]
            if fmt == "json":
                content = {MEDIA[fmt]: {"schema": {"$ref": "#/components/schemas/Page"}}}
            else:
                content = {MEDIA[fmt]: {"schema": {"type": "string", "format": "binary"}}}
            paths[path] = {"get": {
                "operationId": f"{ep.name}_{fmt}", "summary": ep.summary + ("" if fmt == "json" else f" ({fmt.upper()})"),
                "tags": [ep.name],
                "parameters": [p.openapi() for p in params],
                "responses": {"200": {"description": "OK", "content": content}, **error_responses()},
                **_rules(params),
            }}
    paths[f"{PREFIX}/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document.",
                                               "security": [],
                                               "responses": {"200": {"description": "OK", "content": {
                                                   "application/json": {"schema": {"type": "object"}}}}}}}
    paths.update(copy.deepcopy(EXTRA_DOCS))  # documents for other settings must not share these
    _secure(paths, settings)
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "CityBrain cockpit API (城市大脑运行驾驶舱数据接口)", "version": __version__,
                 "description": "Indicator data for query, browsing and download. Times are China Standard "
                                "Time. CSV is UTF-8 with BOM by default, RFC 4180 quoted, formula cells "
                                "neutralised, deterministically ordered; CSV and Parquet stream without a row cap. "
                                f"Authentication: {settings.auth}."},
        "paths": paths,
        "components": {"securitySchemes": security_schemes(settings), "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"}, "parameter": {"type": "string"}, "expected": {"type": "string"},
                "got": {"type": "string"},
                "parameters": {"type": "array", "items": {"type": "string"},
                               "description": "Every parameter involved, when a rule joins several."}}},
            "Page": {"type": "object", "required": ["rows", "page", "page_size", "total", "data_version"],
                     "properties": {"data_version": {"type": "string"}, "endpoint": {"type": "string"},
                                    "page": {"type": "integer"}, "page_size": {"type": "integer"},
                                    "total": {"type": "integer"}, "next_page": {"type": "integer", "nullable": True},
                                    "rows": {"type": "array", "items": {"type": "object"}}}},
        }},
    }
    if settings.auth != "off":
        doc["security"] = [{name: []} for name in security_schemes(settings)]
    return doc
