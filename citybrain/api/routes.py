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
