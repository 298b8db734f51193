"""``POST /api/v1/targets/progress``: record progress of planning targets — one report as JSON
(``region_code, indicator_id, year, value, source, note``) or many as a CSV body (``Content-Type:
text/csv``, the columns of ``citybrain.ops.progress``). Analysts and admins only (403 otherwise);
a bad report is a 400 naming the row and field and nothing is stored; every stored report is audited.
``submit`` is the one write path: the targets page's form and upload call it too."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from citybrain import audit, context
from citybrain.api.routes import add_route, ok_answer, operation
from citybrain.auth.policy import STAFF
from citybrain.auth.roles import can_record_progress
from citybrain.ops import progress
from citybrain.ops.api import json_body, ops_view
from citybrain.ops.body import Field
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import Forbidden
from citybrain.semantics.freshness import now as clock_now


def known_targets() -> set[progress.Key]:
    """The (region, indicator) pairs that have a planning target in the store."""
    from citybrain.queries import kpi as qk
    from citybrain.store import get_store

    rows = qk.target_rows(get_store(), None)
    return set(zip(rows["region_code"].tolist(), rows["indicator_id"].tolist()))


def submit(reports: list[dict[str, Any]], via: str) -> int:
    """Store checked reports as the caller (who must be an analyst or admin) and audit each one."""
    user, role, _ = caller()
    if not can_record_progress(role):
        raise Forbidden(f"role {role or 'anonymous'} may not record target progress")
    n = progress.record(ensure(context.current().ops), reports, user, clock_now())
    for r in reports:
        audit.record("target_progress", user=user, role=role, via=via, **r)
    return n


FIELDS = [Field("region_code", "region", required=True), Field("indicator_id", "id", required=True),
          Field("year", "int", required=True, minimum=progress.MIN_YEAR, maximum=progress.MAX_YEAR),
          Field("value", "float", required=True, minimum=-1e15, maximum=1e15),
          Field("source", "text", required=True, max_len=progress.MAX_SOURCE),
          Field("note", "text", max_len=progress.MAX_NOTE)]


@ops_view
def post_progress():
    """The route's view: JSON (one report) or CSV (many)."""
    _user, role, _ = caller()
    if not can_record_progress(role):
        raise Forbidden(f"role {role or 'anonymous'} may not record target progress")
    known = known_targets()
    if (request.mimetype or "").startswith("text/csv"):
        reports = progress.parse_csv(request.stream.read(progress.MAX_BYTES + 1), known)  # bounded read
        via = "api-csv"
    else:
        reports = [progress.check(json_body(FIELDS), known)]
        via = "api"
    return jsonify({"stored": submit(reports, via)}), 201


add_route("/targets/progress", "targets_progress", post_progress, {"post": operation(
    "targets_progress", "Record progress of planning targets: one report (JSON) or many (text/csv: region_code, "
    "indicator_id, year, value, source, note). Analysts and admins.", "targets",
    ok_answer("application/json", {"type": "object", "properties": {"stored": {"type": "integer"}}}, "201"),
    {400: "A bad report: row (CSV line) and field named", 403: "The caller's role may not record progress"},
    body={"required": True, "content": {
        "application/json": {"schema": {"type": "object", "additionalProperties": False,
                                        "properties": {f.name: f.schema() for f in FIELDS},
                                        "required": [f.name for f in FIELDS if f.required]}},
        "text/csv": {"schema": {"type": "string"}}}})},
    methods=("POST",), access=STAFF)
