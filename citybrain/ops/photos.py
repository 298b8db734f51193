"""Photos of work-order steps (处置照片): checked, stored by content, listed, served to who may see the order.

A photo is accepted only when its first bytes say JPEG, PNG or WebP (the name and the declared type
are not trusted) and it is no larger than ``settings.ops_photo_max_bytes``; otherwise a 400 (not an
image of those types) or a 413 (too large), both naming the field. The file is written once under
``<photo folder>/<sha256>`` (a temporary name, then renamed: the same photo twice is one file); its
metadata (order, step version, type, size, who, when) is a ``workorder_photos`` row. Reading a photo
goes through ``workorders.get``'s rule: a handler sees its own department's orders only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from citybrain.ops import rules
from citybrain.ops.db import write
from citybrain.ops.errors import NotFound, OpsError
from citybrain.ops.tables import workorder_photos, workorders
from citybrain.settings import Settings

log = logging.getLogger(__name__)
#: Media types accepted, by the magic bytes that start the file.
KINDS = ("image/jpeg", "image/png", "image/webp")
SHA = re.compile(r"^[0-9a-f]{64}$")
#: Photos one step may carry.
MAX_PER_STEP = 10


class TooLarge(OpsError):
    """A photo over the size limit."""

    status = 413


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file say (JPEG, PNG or WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def folder(settings: Settings) -> Path:
    """Where the photos live (beside the store and the SQLite ops database by default)."""
    return Path(settings.ops_photo_dir) if settings.ops_photo_dir else settings.db.parent / "ops-photos"


@dataclass(frozen=True)
class Stored:
    """A photo written to the folder."""

    sha256: str
    media_type: str
    size: int


def store_file(settings: Settings, stream: IO[bytes], field: str = "photo") -> Stored:
    """Check and write one photo from ``stream`` (read in chunks, never more than the limit + 1 byte)."""
    limit = settings.ops_photo_max_bytes
    head = stream.read(16) or b""
    kind = sniff(head)
    if kind is None:
        raise OpsError("not a JPEG, PNG or WebP image", parameter=field,
                       expected="a JPEG, PNG or WebP image (checked by its content)", got=head[:8].hex() or "empty")
    dest = folder(settings)
    dest.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(head), len(head)
    tmp = dest / f".upload-{os.getpid()}-{id(stream)}"
    try:
        with open(tmp, "wb") as out:
            out.write(head)
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise TooLarge("photo too large", parameter=field, expected=f"at most {limit} bytes",
                                   got=f"more than {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        os.replace(tmp, dest / sha)
    finally:
        tmp.unlink(missing_ok=True)
    return Stored(sha, kind, size)


def attach(engine: Engine, order_id: int, stored: list[Stored], *, user: str, now: datetime,
           step_version: int | None = None, filenames: list[str | None] | None = None) -> list[dict[str, Any]]:
    """Record photos on a step of the order (default: its latest step); 404 unknown order, 400 bad step."""
    with write(engine) as conn:
        row = conn.execute(select(workorders.c.version).where(workorders.c.id == order_id)).first()
        if row is None:
            raise NotFound("unknown work order", parameter="id", got=str(order_id))
        version = row.version if step_version is None else step_version
        if not 1 <= version <= row.version:
            raise OpsError("no such step of the order", parameter="version", expected=f"1 to {row.version}",
                           got=str(step_version))
        have = conn.execute(select(workorder_photos.c.id).where(
            workorder_photos.c.workorder_id == order_id, workorder_photos.c.step_version == version)).all()
        if len(have) + len(stored) > MAX_PER_STEP:
            raise OpsError("too many photos on one step", parameter="photo", expected=f"at most {MAX_PER_STEP}",
                           got=str(len(have) + len(stored)))
        names = filenames or [None] * len(stored)
        for s, name in zip(stored, names):
            conn.execute(workorder_photos.insert().values(
                workorder_id=order_id, step_version=version, sha256=s.sha256, media_type=s.media_type,
                bytes=s.size, filename=(name or "")[:200] or None, user=user, at=now))
    log.info("%d photo(s) on work order %s step %s by %s", len(stored), order_id, version, user)
    return [{"sha256": s.sha256, "media_type": s.media_type, "bytes": s.size, "step_version": version}
            for s in stored]


def of_order(engine: Engine, order_id: int) -> dict[int, list[dict[str, Any]]]:
    """The order's photos by step version (each: sha256, media type, bytes, user, at)."""
    with engine.connect() as conn:
        rows = conn.execute(select(workorder_photos).where(workorder_photos.c.workorder_id == order_id)
                            .order_by(workorder_photos.c.id)).all()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.step_version, []).append({"sha256": r.sha256, "media_type": r.media_type,
                                                   "bytes": r.bytes, "user": r.user, "at": r.at})
    return out


def readable(engine: Engine, settings: Settings, order_id: int, sha: str, *, role: str | None,
             department: str | None) -> tuple[Path, str]:
    """(file, media type) of a photo of the order, if the caller may see the order; else 404."""
    if not SHA.match(sha):
        raise NotFound("unknown photo", parameter="sha256", got=sha[:80])
    with engine.connect() as conn:
        order = conn.execute(select(workorders.c.department).where(workorders.c.id == order_id)).first()
        photo = conn.execute(select(workorder_photos.c.media_type).where(
            workorder_photos.c.workorder_id == order_id, workorder_photos.c.sha256 == sha)).first()
    if order is None or photo is None or not rules.may_see(role, department, order.department):
        raise NotFound("unknown photo", parameter="sha256", got=sha)
    path = folder(settings) / sha
    if not path.is_file():
        raise NotFound("the photo's file is missing", parameter="sha256", got=sha)
    return path, photo.media_type
