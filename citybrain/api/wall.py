"""GET /api/v1/wall/status: the wall's connection watchdog.

A wall display (``assets/wall.js``) polls this every few seconds. It answers the data version the
server serves and the app build (a hash of the code and assets), so a wall that lost its
connection can tell, when the server is back, whether it must reload its layout (new data
version) or the page (new build). It reads no data beyond the store's version: cheap and safe for
the read-only wall role.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import jsonify

from citybrain.settings import PROJECT_ROOT
from citybrain.store import StoreMissing, get_store
from citybrain.api.routes import add_route, ok_answer, operation
from citybrain.auth.policy import SIGNED_IN


@lru_cache(maxsize=1)
def build_id() -> str:
    """A hash of the code and assets the process serves (size and modification time of each file)."""
    h = hashlib.sha1()
    for folder, pattern in (("citybrain", "*.py"), ("dashboards", "*.py"), ("layers", "*.py"), ("assets", "*")):
        for p in sorted((PROJECT_ROOT / folder).rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts:
                st = p.stat()
                h.update(f"{p.relative_to(PROJECT_ROOT)}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


build_id()  # computed when the server starts: every worker reports the build it was started with


def wall_status():
    """Liveness for the wall: status, data version, build and the server's clock (CST)."""
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None).isoformat(timespec="seconds")
    try:
        version = get_store().version
    except StoreMissing:
        return jsonify(status="no data", data_version=None, build=build_id(), server_time=now), 503
    resp = jsonify(status="ok", data_version=version, build=build_id(), server_time=now)
    resp.headers["Cache-Control"] = "no-store"
    return resp


add_route("/wall/status", "wall_status", wall_status, {"get": operation(
    "wall_status", "Connection watchdog of wall displays: data version and build.", "wall",
    ok_answer("application/json", {"type": "object", "properties": {
        "status": {"type": "string"}, "data_version": {"type": "string"}, "build": {"type": "string"},
        "server_time": {"type": "string"}}}),
    {503: "No store yet"})}, access=SIGNED_IN)
