"""HTTP routes beside the pages: health checks and the versioned API (``/api/v1``)."""

from __future__ import annotations

from flask import Flask, jsonify, request

from citybrain.settings import Settings
from citybrain.api import dashboards as _dashboards  # noqa: F401  (adds /api/v1/dashboards)
from citybrain.api import health, v1
from citybrain.api import layers as _layers  # noqa: F401  (adds /api/v1/layers routes before the blueprint is built)
from citybrain.api import wall as _wall  # noqa: F401  (adds /api/v1/wall/status)
from citybrain.api import alarms as _alarms  # noqa: F401  (adds /api/v1/alarms)
from citybrain.api import typhoons as _typhoons  # noqa: F401  (adds /api/v1/typhoons)
from citybrain.ops import api as _ops  # noqa: F401  (adds alarm writes and /api/v1/workorders)
from citybrain.ops import dutyapi as _duty  # noqa: F401  (adds /api/v1/duty: roster, log, handover)
from citybrain.ops import photo_api as _photos  # noqa: F401  (adds /api/v1/workorders/<id>/photos)
from citybrain.feeds import http as _feeds  # noqa: F401  (adds POST /api/v1/ingest/<dataset>)
from citybrain.ops import progress_api as _progress  # noqa: F401  (adds POST /api/v1/targets/progress)
from citybrain.api.jsonsafe import SafeJSONProvider


def register_api(server: Flask, settings: Settings) -> None:
    """Add health checks and ``/api/v1`` to the Flask server (its JSON: never NaN, see ``jsonsafe``)."""
    server.json = SafeJSONProvider(server)
    health.register(server, settings)
    from citybrain.api import views

    views.register_routes()  # needs the dashboard registry, so only when an app is built
    v1.register(server)

    @server.before_request
    def _api_not_found():
        # Dash's page router matches every path; API paths it would swallow are a JSON 404.
        rule = request.url_rule.rule if request.url_rule is not None else ""
        if request.path.startswith("/api/") and not rule.startswith("/api/"):
            return jsonify(error="not found", got=request.path[:200]), 404
        return None
