"""GET /api/v1/dashboards: the registered dashboard modules with the datasets, indicators and layers
they declare (documented in the OpenAPI document)."""

from __future__ import annotations

from flask import jsonify, request

from citybrain.registry import all_modules
from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route, ok_answer, operation
from citybrain.auth.policy import STAFF

LANG = Param("lang", "enum", "Language of the titles.", enum=("zh", "en"), default="zh")


def list_dashboards():
    """Every registered module (built-in and plug-in), in navigation order."""
    v = parse(request.args, [LANG])
    return jsonify(dashboards=[{
        "id": m.id, "path": m.path, "title": m.title(v["lang"]), "title_zh": m.title_zh, "title_en": m.title_en,
        "datasets": list(m.datasets), "indicators": list(m.indicators), "layers": list(m.layers),
        "description": m.description_zh if v["lang"] == "zh" else m.description_en} for m in all_modules()])


_STRINGS = {"type": "array", "items": {"type": "string"}}
add_route("/dashboards", "dashboards", list_dashboards, {"get": operation(
    "dashboards", "Registered dashboard modules with the datasets they read.", "dashboards",
    ok_answer("application/json", {"type": "object", "properties": {"dashboards": {"type": "array", "items": {
        "type": "object", "properties": {"id": {"type": "string"}, "path": {"type": "string"},
                                         "title": {"type": "string"}, "datasets": _STRINGS, "indicators": _STRINGS,
                                         "layers": _STRINGS}}}}}),
    {400: "Bad parameter"}, params=[LANG])}, access=STAFF)
