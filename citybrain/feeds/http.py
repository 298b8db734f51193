"""HTTP push of live feeds: ``POST /api/v1/ingest/<dataset>?kind=<kind>`` with a feed token.

The body is ``text/csv`` (the file's columns) or ``application/x-ndjson`` (one JSON object per
line, the same names). It is streamed to disk (never read whole) and refused with 413 past
``feed_max_bytes``. ``Authorization: Bearer <feed token>`` is checked here: 401 without a valid
token, 403 when the token is another dataset's. A bad batch is 400 naming row and field; a good
one is 200 ``{"batch_id", "rows", "data_version"}``; the same body again, or the same
``Idempotency-Key``, is 200 with ``"duplicate": true`` and adds nothing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from citybrain import context
from citybrain.api.routes import add_route, operation, path_param
from citybrain.auth.policy import FEED
from citybrain.errors import DataError
from citybrain.feeds import tokens
from citybrain.feeds.kinds import KINDS
from citybrain.feeds.pipeline import ingest
from citybrain.feeds.read import TooLarge, detect_format
from citybrain.ops.db import ensure

log = logging.getLogger(__name__)
MEDIA = ("text/csv", "application/x-ndjson")
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _err(code: int, message: str, **extra: Any) -> Response:
    resp = jsonify({"error": message, **{k: v for k, v in extra.items() if v is not None}})
    resp.status_code = code
    if code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="citybrain feeds"'
    return resp


def push(dataset: str) -> Response:
    """Add the request body as one batch of a ``kind`` feed of ``dataset``."""
    ctx = context.current()
    settings = ctx.settings
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        return _err(401, "a feed token is required: Authorization: Bearer <token> (citybrain feeds add)")
    try:
        feed = tokens.verify(ensure(ctx.ops), auth[7:].strip())
    except SQLAlchemyError:
        log.exception("feed token check failed")
        return _err(503, "the operational database is unavailable")
    if feed is None:
        return _err(401, "unknown or removed feed token")
    if feed.dataset != dataset:
        return _err(403, f"feed {feed.name} may push dataset {feed.dataset} only")
    kind = request.args.get("kind", "observations")
    if kind not in KINDS:
        return _err(400, f"kind must be one of {', '.join(KINDS)}", parameter="kind", got=kind[:40])
    if request.mimetype not in MEDIA:
        return _err(415, f"body must be {' or '.join(MEDIA)}", got=(request.mimetype or "")[:80])
    limit = settings.feed_max_bytes
    if (request.content_length or 0) > limit:
        return _err(413, f"body is larger than the limit of {limit:,} bytes")
    simulated = request.args.get("simulated", "false")
    if simulated not in ("true", "false"):
        return _err(400, "simulated must be true or false", parameter="simulated", got=simulated[:20])
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _KEY.match(key):
        return _err(400, "Idempotency-Key must be 1 to 200 visible ASCII characters", parameter="Idempotency-Key")
    try:
        res = ingest(dataset, request.stream, settings, kind=kind, file="request body",
                     fmt=detect_format("", request.mimetype), max_bytes=limit, idempotency_key=key,
                     simulated=simulated == "true")
    except TooLarge as exc:
        return _err(413, str(exc))
    except DataError as exc:
        return _err(400, str(exc), row=exc.row, field=exc.field)
    log.info("feed %s pushed %s %s rows of %s as %s", feed.name, res.rows, kind, dataset, res.batch_id)
    return jsonify({"batch_id": res.batch_id, "rows": res.rows, "data_version": res.data_version,
                    "duplicate": res.noop, "skipped": res.skipped})


_BODY = {"required": True, "content": {m: {"schema": {"type": "string"}} for m in MEDIA}}
_OUT = {"type": "object", "properties": {"batch_id": {"type": "string"}, "rows": {"type": "integer"},
                                         "data_version": {"type": "string"}, "duplicate": {"type": "boolean"},
                                         "skipped": {"type": "integer"}}}
add_route("/ingest/<dataset>", "ingest_push", push, {"post": operation(
    "ingest_push", "Push one batch of a live feed (observations, tracks, events or entities) of one dataset.", "feeds",
    {"200": {"description": "Added (or a duplicate, adding nothing)", "content": {"application/json": {"schema": _OUT}}}},
    {400: "Bad batch: names row and field", 401: "No valid feed token", 403: "The token is another dataset's",
     413: "Body too large", 415: "Body is neither text/csv nor application/x-ndjson",
     503: "Operational database unavailable"},
    param_objects=[
        path_param("dataset"),
        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS), "default": "observations"}},
        {"name": "simulated", "in": "query", "schema": {"type": "boolean", "default": False},
         "description": "Mark the rows as simulated (rows of a simulated dataset always are)."},
        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200}}],
    body=_BODY, security=[{"feedToken": []}])}, methods=("POST",), access=FEED)
