"""Work-order photos and orders from the incident feed, on SQLite and on PostgreSQL: type by content
(not name), the size limit (413 naming the field), files by SHA-256, served only to who may see the
order; one order per new incident however often the intake runs."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest

from citybrain.ops import photos
from citybrain.ops.tables import workorder_photos, workorders
from tests.citybrain.ops.conftest import BACKENDS, Caller, new_database
from tests.conftest import GATEWAY

URL = "/api/v1/workorders"


def png(w: int = 2, h: int = 2, extra: bytes = b"") -> bytes:
    """A real, minimal PNG (``extra`` bytes go into a private chunk to make it larger)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + (chunk(b"prVt", extra) if extra else b"") + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, built_store, tmp_path_factory):
    from citybrain.app_factory import create_app

    url = new_database(request.param, request, tmp_path_factory)
    settings = built_store.model_copy(update={
        "ops_db": url, "auth": "header", **GATEWAY, "ops_photo_dir": tmp_path_factory.mktemp("photos"),
        "ops_photo_max_bytes": 64 * 1024})
    return create_app(settings)


@pytest.fixture(scope="module")
def who(app):
    return {"duty": Caller(app, "值班员张", "duty"), "handler": Caller(app, "chen", "handler", "citymgmt"),
            "other": Caller(app, "zhou", "handler", "water"), "leader": Caller(app, "li", "leader")}


def dispatched(who) -> int:
    r = who["duty"].post(URL, {"title": "井盖缺失", "category": "urgent", "region": "330225"})
    oid = r.get_json()["id"]
    for v, (to, kw) in enumerate((("registered", {}), ("dispatched", {"department": "citymgmt"})), start=1):
        assert who["duty"].post(f"{URL}/{oid}/transition", {"to": to, "version": v, **kw}).status_code == 200
    return oid


def upload(caller, oid, files, **form):
    data = {**form, "photo": [(io.BytesIO(b), name) for b, name in files]}
    return caller.post(f"{URL}/{oid}/photos", data=data, content_type="multipart/form-data")


def test_handler_adds_a_photo_that_the_history_and_the_file_route_show(app, who):
    oid = dispatched(who)
    body = png()
    r = upload(who["handler"], oid, [(body, "scene.txt")])  # the name says nothing: the bytes say PNG
    assert r.status_code == 201, r.get_json()
    sha = hashlib.sha256(body).hexdigest()
    assert r.get_json()["photos"] == [{"sha256": sha, "media_type": "image/png", "bytes": len(body), "step_version": 3}]
    settings = app.server.config["CITYBRAIN_SETTINGS"]
    assert (photos.folder(settings) / sha).read_bytes() == body
    hist = who["duty"].get(f"{URL}/{oid}").get_json()["history"]
    assert [p["sha256"] for p in hist[-1]["photos"]] == [sha] and hist[0]["photos"] == []
    got = who["leader"].get(f"{URL}/{oid}/photos/{sha}")
    assert got.status_code == 200 and got.data == body and got.mimetype == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert who["other"].get(f"{URL}/{oid}/photos/{sha}").status_code == 404  # another department's order
    assert who["duty"].get(f"{URL}/{oid + 1000}/photos/{sha}").status_code == 404
    assert who["duty"].get(f"{URL}/{oid}/photos/{'0' * 64}").status_code == 404
    assert who["duty"].get(f"{URL}/{oid}/photos/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_type_by_content_and_size_limit_name_the_field(app, who):
    oid = dispatched(who)
    r = upload(who["handler"], oid, [(b"GIF89a" + b"\x00" * 40, "photo.png")])
    assert r.status_code == 400 and r.get_json()["parameter"] == "photo"
    r = upload(who["handler"], oid, [(png(extra=b"x" * 70 * 1024), "big.png")])
    assert r.status_code == 413 and r.get_json()["parameter"] == "photo"
    r = upload(who["handler"], oid, [])
    assert r.status_code == 400 and r.get_json()["parameter"] == "photo"
    r = upload(who["handler"], oid, [(png(), "a.png")], version="99")
    assert r.status_code == 400 and r.get_json()["parameter"] == "version"
    r = upload(who["handler"], oid, [(png(), "a.png")], version="x1")
    assert r.status_code == 400 and r.get_json()["parameter"] == "version"
    r = who["handler"].post(f"{URL}/{oid}/photos", {"photo": "not multipart"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "photo"
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 30
    r = upload(who["duty"], oid, [(webp, "w"), (jpeg, "j")], version="1")
    assert r.status_code == 201
    assert [p["media_type"] for p in r.get_json()["photos"]] == ["image/webp", "image/jpeg"]
    assert {p["step_version"] for p in r.get_json()["photos"]} == {1}


def test_who_may_add_photos(app, who):
    oid = dispatched(who)
    assert upload(who["leader"], oid, [(png(), "a.png")]).status_code == 403
    assert upload(who["other"], oid, [(png(), "a.png")]).status_code == 404  # may not even see it
    cross = who["duty"].post(f"{URL}/{oid}/photos", data={"photo": [(io.BytesIO(png()), "a.png")]},
                             content_type="multipart/form-data", headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    engine = app.server.extensions["citybrain"].ops
    with engine.connect() as conn:
        n = conn.execute(workorder_photos.select().where(workorder_photos.c.workorder_id == oid)).all()
    assert n == []


def test_orders_from_incidents_once(app, who):
    from citybrain import queries
    from citybrain.ops.intake import from_incidents
    from citybrain.semantics.freshness import clock

    ctx = app.server.extensions["citybrain"]
    store = ctx.store
    at, now = queries.anchor(store), clock()
    made = []
    for region in ("330225", "330900", "370215"):
        made += from_incidents(ctx.ops, store, region, at, now)
    assert made, "the test store has new incidents"
    again = [x for region in ("330225", "330900", "370215") for x in from_incidents(ctx.ops, store, region, at, now)]
    assert again == []
    with ctx.ops.connect() as conn:
        rows = conn.execute(workorders.select().where(workorders.c.id.in_(made))).all()
    assert len({r.source for r in rows}) == len(made) and all(r.source.startswith("incident:") for r in rows)
    assert all(r.state == "received" and r.created_by == "feed" for r in rows)
    body = who["duty"].get(f"{URL}/{made[0]}").get_json()
    assert body["history"][0]["to"] == "received"
