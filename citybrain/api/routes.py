"""The ``/api/v1`` route table: its prefix, the parameters every tabular route shares, and the further
routes (with their OpenAPI path items) that other modules add before the app is built.

Both the blueprint (``v1``) and the OpenAPI document (``openapi``) read this module; neither imports
the other's internals, so the two stay in one direction (``v1`` → ``openapi`` → ``routes``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from citybrain.auth.policy import declare_route
from citybrain.settings import Settings
from citybrain.api.params import Param

PREFIX = "/api/v1"
PAGE = Param("page", "int", "Page number (JSON only).", minimum=1, maximum=1_000_000, default=1)
ENCODING = Param("encoding", "enum", "CSV text encoding (UTF-8 with BOM by default).", enum=("utf-8", "gbk"),
                 default="utf-8")
BOM = Param("bom", "bool", "Write a byte-order mark (UTF-8 only).", default=True)

#: The documented answer body of every error (``components.schemas.Error``).
ERROR_SCHEMA: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
#: Media types of the tabular formats.
MEDIA = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}

#: Extra documented routes other modules add (path -> OpenAPI path item), e.g. layers, dashboards.
EXTRA_DOCS: dict[str, dict[str, Any]] = {}
#: The views of those routes: (path below the prefix, endpoint name, view function, HTTP methods).
EXTRA_ROUTES: list[tuple[str, str, Callable[..., Any], tuple[str, ...]]] = []
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


def doc_path(path: str) -> str:
    """The OpenAPI path of a Flask rule below the prefix (``/x/<int:id>`` -> ``/api/v1/x/{id}``)."""
    return PREFIX + _CONVERTER.sub(r"{\1}", path)


def add_route(path: str, endpoint: str, view: Callable[..., Any], doc: dict[str, Any],
              methods: tuple[str, ...] = ("GET",), *, access: str) -> None:
    """Register a further ``/api/v1`` route, its OpenAPI operations and who may call it (``access``,
    one of ``citybrain.auth.policy``'s: STAFF, EXPORT, SIGNED_IN, PUBLIC) before the app is built.

    ``path`` is a Flask rule below the prefix; ``doc`` holds its operations by method. Two routes of
    one path (e.g. GET and POST, different endpoints) share one OpenAPI path item."""
    declare_route(PREFIX + path, access)
    if not any(r[1] == endpoint for r in EXTRA_ROUTES):
        EXTRA_ROUTES.append((path, endpoint, view, methods))
    EXTRA_DOCS.setdefault(doc_path(path), {}).update(doc)


def page_size_param(settings: Settings) -> Param:
    """Rows per JSON page, capped by the settings' ``api_max_rows``."""
    return Param("page_size", "int", "Rows per JSON page.", minimum=1, maximum=settings.api_max_rows,
                 default=min(1000, settings.api_max_rows))


def format_params(settings: Settings, fmt: str) -> list[Param]:
    """The parameters a tabular route takes on top of its endpoint's, by output format."""
    if fmt == "json":
        return [PAGE, page_size_param(settings)]
    return [ENCODING, BOM] if fmt == "csv" else []


def error_answer(description: str) -> dict[str, Any]:
    """An error answer: ``description`` and a JSON body of the ``Error`` schema."""
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def ok_answer(media: str, schema: dict[str, Any], code: str = "200") -> dict[str, Any]:
    """The success answer of an operation (by status code), a ``media`` body of ``schema``."""
    return {code: {"description": "OK", "content": {media: {"schema": schema}}}}


def path_param(name: str, kind: str = "string", description: str | None = None) -> dict[str, Any]:
    """A required path parameter (``<name>`` in the Flask rule)."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind},
            **({"description": description} if description else {})}


def operation(op_id: str, summary: str, tag: str, ok: dict[str, Any], errors: dict[int, str], *,
              params: list[Param] | None = None, param_objects: list[dict[str, Any]] | None = None,
              body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """One OpenAPI operation object — the one builder every module's routes document themselves with.

    ``ok`` is the success answer(s) (``ok_answer``), ``errors`` the error codes it can give with
    their meaning; parameters are ``param_objects`` as given (path parameters, headers) then the
    ``Param`` specs; ``body`` a ``requestBody``; ``extra`` further fields (e.g. ``security``)."""
    doc: dict[str, Any] = {"operationId": op_id, "summary": summary, "tags": [tag],
                           "parameters": [*(param_objects or []), *(p.openapi() for p in params or [])], **extra}
    if body is not None:
        doc["requestBody"] = body
    doc["responses"] = {**ok, **{str(c): error_answer(text) for c, text in sorted(errors.items())}}
    return doc
