"""The photo routes of work orders: ``POST /api/v1/workorders/<id>/photos`` (multipart) and
``GET /api/v1/workorders/<id>/photos/<sha256>``.

An upload carries one or more ``photo`` files and optionally the ``version`` of the step they belong
to (default: the order's latest step). Who may add photos: the duty roles and the handler of the
order's department; who may read them: whoever may see the order (a handler another department's
order is a 404, as for the order itself). Type by content (400 naming ``photo``), size by
``ops_photo_max_bytes`` (413 naming ``photo``). Audited like every write.
"""

from __future__ import annotations

import logging

from flask import jsonify, request, send_file

from citybrain import audit, context
from citybrain.api.routes import add_route
from citybrain.auth.policy import STAFF
from citybrain.auth.roles import DUTY_ROLES, HANDLER
from citybrain.ops import photos, rules
from citybrain.ops.api import (
    answers,
    iso,
    json_ok,
    known_id,
    op_doc,
    ops_view,
    same_site,
)
from citybrain.ops.caller import caller
from citybrain.ops.db import ensure
from citybrain.ops.errors import Forbidden, NotFound, OpsError
from citybrain.ops.tables import workorders as table
from citybrain.semantics.freshness import now as clock_now

log = logging.getLogger(__name__)
FIELD = "photo"


def may_add(role: str | None, department: str | None, order_department: str | None) -> bool:
    """Duty roles add photos to any order, a handler to its own department's orders."""
    return role in DUTY_ROLES or (role == HANDLER and department is not None and department == order_department)


def _order_department(engine, order_id: int) -> str | None:
    from sqlalchemy import select

    with engine.connect() as conn:
        row = conn.execute(select(table.c.department).where(table.c.id == order_id)).first()
    if row is None:
        raise NotFound("unknown work order", parameter="id", got=str(order_id))
    return row.department


def _version() -> int | None:
    raw = request.form.get("version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise OpsError("invalid field value", parameter="version", expected="the version of a step (a whole number)",
                       got=raw[:40])
    return int(raw)


@ops_view
def upload(order_id: int):
    """Add photos to a step of a work order."""
    user, role, dept = caller()
    order_id = known_id(order_id)
    same_site()
    settings = context.current().settings
    cap = settings.ops_photo_max_bytes * photos.MAX_PER_STEP + 64 * 1024
    if request.content_length is not None and request.content_length > cap:
        raise photos.TooLarge("request too large", parameter=FIELD, expected=f"at most {cap} bytes in one request",
                              got=str(request.content_length))
    engine = ensure(context.current().ops)
    order_dept = _order_department(engine, order_id)
    if not rules.may_see(role, dept, order_dept):
        raise NotFound("unknown work order", parameter="id", got=str(order_id))
    if not may_add(role, dept, order_dept):
        raise Forbidden(f"role {role or 'anonymous'} may not add photos to this work order", parameter=FIELD)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise OpsError("photos are sent as multipart/form-data", parameter=FIELD,
                       expected="multipart/form-data with one or more 'photo' files", got=request.content_type or "")
    files = request.files.getlist(FIELD)
    unknown = [k for k in request.files if k != FIELD]
    if unknown:
        raise OpsError("unknown field", parameter=unknown[0][:40], expected=f"files named {FIELD!r}")
    if not files:
        raise OpsError("missing required field", parameter=FIELD, expected="one or more JPEG, PNG or WebP files")
    if len(files) > photos.MAX_PER_STEP:
        raise OpsError("too many photos", parameter=FIELD, expected=f"at most {photos.MAX_PER_STEP}",
                       got=str(len(files)))
    version = _version()
    stored = [photos.store_file(settings, f.stream, FIELD) for f in files]
    out = photos.attach(engine, order_id, stored, user=user, now=clock_now(), step_version=version,
                        filenames=[f.filename for f in files])
    audit.record("workorder_photos", user=user, role=role, addr=request.remote_addr, id=order_id,
                 photos=[p["sha256"] for p in out], step_version=out[0]["step_version"])
    return jsonify(id=order_id, photos=iso(out)), 201


@ops_view
def photo(order_id: int, sha256: str):
    """One photo of a work order (only to whoever may see the order)."""
    _user, role, dept = caller()
    order_id = known_id(order_id)
    engine = ensure(context.current().ops)
    path, media = photos.readable(engine, context.current().settings, order_id, sha256, role=role, department=dept)
    resp = send_file(path, mimetype=media, max_age=0, conditional=True, etag=sha256)
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'"
    return resp


_UPLOAD_DOC = op_doc("workorder_photos_add", "Add JPEG/PNG/WebP photos to a step of a work order (multipart field "
                  "'photo', optional 'version' of the step; default the latest).", "workorders",
                  json_ok({"id": {"type": "integer"}, "photos": {"type": "array", "items": {"type": "object"}}},
                           "201"), (400, 404), path_param=("order_id", "integer"))
_UPLOAD_DOC["responses"]["413"] = {"description": "Photo larger than the limit (names the field)",
                                   "content": answers({})["503"]["content"]}
_UPLOAD_DOC["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD], "properties": {
        FIELD: {"type": "array", "items": {"type": "string", "format": "binary"}},
        "version": {"type": "integer", "minimum": 1}}}}}}
add_route("/workorders/<int:order_id>/photos", "workorder_photos_add", upload, {"post": _UPLOAD_DOC},
          methods=("POST",), access=STAFF)
_PHOTO_DOC = op_doc("workorder_photo", "One photo of a work order (to roles that may see the order).", "workorders",
                 {"200": {"description": "The image", "content": {
                     m: {"schema": {"type": "string", "format": "binary"}} for m in photos.KINDS}}}, (404,),
                 path_param=("order_id", "integer"))
_PHOTO_DOC["parameters"].append({"name": "sha256", "in": "path", "required": True,
                                 "schema": {"type": "string", "pattern": photos.SHA.pattern}})
add_route("/workorders/<int:order_id>/photos/<sha256>", "workorder_photo", photo, {"get": _PHOTO_DOC},
          access=STAFF)
