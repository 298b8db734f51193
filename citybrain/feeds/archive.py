"""The archive of ingested feeds: ``<db dir>/ingested/<dataset>/<sha256>.<csv|ndjson>`` plus a JSON side file.

Every accepted batch is kept as received, with its kind and format, and ``citybrain build`` replays
the archive after the loaders (in ingest order) so a rebuild loses nothing. Files of batches the
served store never got (an ingest killed before its switch) are removed by the next writer.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from datetime import datetime
from pathlib import Path

import duckdb

from citybrain.feeds.check import Checker
from citybrain.feeds.kinds import kind_of
from citybrain.feeds.stage import stage_rows
from citybrain.feeds.writer import Batch, apply
from citybrain.store.files import fsync
from citybrain.store.parts import PartWriter

log = logging.getLogger(__name__)
ARCHIVE_DIR = "ingested"
EXTENSIONS = ("csv", "ndjson")
#: This host, as staging names carry it (the store folder may be shared by several hosts).
HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"
#: A staging file of another host is a leftover once it is this old (its pid cannot be checked here;
#: staging even a body at the size limit takes seconds).
FOREIGN_STALE_S = 6 * 3600
OWNER = re.compile(r"^(\d+)(?:@([A-Za-z0-9-]+))?$")


def staging(folder: Path, stem: str, suffix: str) -> Path:
    """A staging file's path, ``.<stem>.<pid>@<host>.<suffix>``: whose it is, for ``prune``."""
    return folder / f".{stem}.{os.getpid()}@{HOST}.{suffix}"


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name, flushed to disk."""
    part = staging(path.parent, path.name, "part")
    part.write_bytes(data)
    fsync(part)
    os.replace(part, path)


def prune(target: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Remove leftovers of killed ingests: partial files, and archives the served store never got."""
    root = target.parent / ARCHIVE_DIR
    if not root.is_dir():
        return
    for p in root.rglob(".*.part"):
        if not _alive_part(p):
            p.unlink(missing_ok=True)
    for p in root.rglob(".*.rows.parquet"):
        if not _alive_part(p):
            p.unlink(missing_ok=True)
    served = set(con.execute("SELECT name FROM datasets").df()["name"])
    known = set(con.execute("SELECT sha256 FROM batches WHERE status = 'ingested'").df()["sha256"])
    for folder in root.iterdir():
        if folder.is_dir() and folder.name in served:
            for ext in EXTENSIONS:
                for p in folder.glob(f"*.{ext}"):
                    if p.stem not in known:
                        log.info("removing archive of an interrupted ingest: %s", p)
                        p.unlink(missing_ok=True)
                        p.with_suffix(".json").unlink(missing_ok=True)


def _alive_part(p: Path) -> bool:
    """Whether the process that is writing a staging file (``staging``) may still be at it: on this
    host, while its pid runs; on another host (the store folder shared), until ``FOREIGN_STALE_S``."""
    from citybrain.store.files import alive

    for piece in p.name.split("."):
        m = OWNER.match(piece)
        if not m:
            continue
        if m.group(2) and m.group(2) != HOST:
            try:
                return time.time() - p.stat().st_mtime < FOREIGN_STALE_S
            except FileNotFoundError:
                return False
        return int(m.group(1)) == os.getpid() or alive(int(m.group(1)))
    return False


def replay(con: duckdb.DuckDBPyConnection, target: Path, version: str, pw: PartWriter) -> str:
    """Append the archived batches of the datasets just built (in their ingest order); return the version.

    Called by the build before it checkpoints. An archive that no longer fits the manifests fails
    the build (the served store stays)."""
    root = target.parent / ARCHIVE_DIR
    if not root.is_dir():
        return version
    current = Path(os.path.realpath(target))
    if current.exists() and current.is_file():
        served = duckdb.connect(str(current), read_only=True)
        try:
            prune(target, served)
        finally:
            served.close()
    built = set(con.execute("SELECT name FROM datasets").df()["name"])
    batches = []
    for side in root.glob("*/*.json"):
        meta = json.loads(side.read_text(encoding="utf-8"))
        data = side.with_suffix("." + meta.get("format", "csv"))
        if side.parent.name in built and data.exists():
            batches.append(meta | {"_data": data})
    for b in sorted(batches, key=lambda b: (b["loaded_at"], b["batch_id"])):
        kind = kind_of(b.get("kind", "observations"))
        rows_path = staging(b["_data"].parent, b["sha256"], "rows.parquet")
        try:
            checker = Checker(con, b["dataset"], kind, file=b["file"], now=datetime.now(), live=False,
                              skip_stored=b.get("skip_stored", False), simulated=b["simulated"])
            n = stage_rows(b["_data"], kind, b.get("format", "csv"), checker, rows_path, dataset=b["dataset"],
                           file=b["file"])
            if n:
                version = apply(con, Batch(b["dataset"], kind.name, rows_path, n, b["batch_id"], b["sha256"], b["file"],
                                           datetime.fromisoformat(b["loaded_at"]), b["_data"].relative_to(root.parent)
                                           .as_posix(), checker.restricted), version, pw)
        finally:
            rows_path.unlink(missing_ok=True)
    if batches:
        log.info("replayed %d archived batch(es) from %s", len(batches), root)
    return version
