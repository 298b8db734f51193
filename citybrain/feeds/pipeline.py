"""One feed batch from any transport (file, inbox, HTTP body, MQTT micro-batch) into the store.

``ingest`` copies the input to the archive's staging name while hashing it (regular files only,
in blocks, refused past ``max_bytes``), and then, under the store's single-writer lock: answers a
batch it has already seen (same bytes, or same idempotency key) with a no-op; checks the rows chunk
by chunk against the served store (``Checker``) into a staged Parquet file; and hands that to the
writer (``writer.append_batch``), which makes the archive durable before readers switch. A bad
batch raises ``DataError`` (dataset, file, row, field named) and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb

from citybrain.errors import DataError
from citybrain.feeds.archive import ARCHIVE_DIR, prune, staging, write_durable
from citybrain.feeds.check import Checker, one
from citybrain.feeds.kinds import kind_of
from citybrain.feeds.read import detect_format, open_regular, stage_copy
from citybrain.feeds.stage import release_memory, stage_rows
from citybrain.feeds.writer import Batch, append_batch
from citybrain.semantics.freshness import clock
from citybrain.settings import Settings, get_settings
from citybrain.store import parts
from citybrain.store.files import CST, fsync, writer_lock

log = logging.getLogger(__name__)
#: The checking connection's memory: a bounded buffer cache, whatever the store's size.
READ_CONFIG = {"memory_limit": "32MB", "threads": "2"}
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass
class IngestResult:
    """What one ingest did (``noop`` when the batch was already ingested or every row was)."""

    dataset: str
    file: str
    sha256: str
    batch_id: str
    rows: int
    previous_version: str
    data_version: str
    noop: bool
    seconds: float
    kind: str = "observations"
    skipped: int = 0


def open_read(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the served file. In a server worker (an HTTP push) it is opened
    as the worker's ``Store`` opens it: DuckDB keeps one instance per file and process, and the first
    opener's settings win, so a bounded one opened here first made the worker's next requests fail
    ("different configuration", a 500). Elsewhere (CLI, subscriber) the buffer cache is bounded."""
    from flask import has_app_context

    if has_app_context():
        return duckdb.connect(str(path), read_only=True)
    try:
        return duckdb.connect(str(path), read_only=True, config=READ_CONFIG)
    except duckdb.ConnectionException:
        return duckdb.connect(str(path), read_only=True)


def batch_id_of(dataset: str, kind: str, sha: str, idempotency_key: str | None) -> str:
    """The batch id: from the idempotency key when given, else from the content hash."""
    if idempotency_key:
        return f"{dataset}-{kind}-key-{hashlib.sha256(f'{dataset}:{kind}:{idempotency_key}'.encode()).hexdigest()[:12]}"
    return f"{dataset}-ingest-{sha[:12]}" if kind == "observations" else f"{dataset}-{kind}-{sha[:12]}"


def ingest(dataset: str, source: Path | BinaryIO, settings: Settings | None = None, *, kind: str = "observations",
           target: Path | None = None, file: str | None = None, fmt: str | None = None,
           content_type: str | None = None, simulated: bool = False, skip_stored: bool = False,
           idempotency_key: str | None = None, max_bytes: int | None = None,
           compact_after: bool = True) -> IngestResult:
    """Check ``source`` (a path or a byte stream) as a ``kind`` feed of ``dataset`` and add it atomically."""
    settings = settings or get_settings()
    target = Path(target or settings.db)
    started = time.perf_counter()
    name = file or (source.name if isinstance(source, Path) else "body")
    if not DATASET_NAME.match(dataset):
        raise DataError("is not a dataset name (lower-case letters, digits, - and _)", dataset=dataset[:64], file=name)
    try:
        fk = kind_of(kind)
    except ValueError as exc:
        raise DataError(str(exc), dataset=dataset, file=name) from None
    fmt = fmt or detect_format(name, content_type)
    archive = target.parent / ARCHIVE_DIR / dataset
    archive.mkdir(parents=True, exist_ok=True)
    staged = staging(archive, uuid.uuid4().hex, "part")  # before the lock: named after this host and pid
    rows_path = staging(archive, uuid.uuid4().hex, "rows.parquet")
    try:
        if isinstance(source, Path):
            with open_regular(source, dataset=dataset) as fh:
                sha, _ = stage_copy(fh, staged, dataset=dataset, file=name, max_bytes=max_bytes)
        else:
            sha, _ = stage_copy(source, staged, dataset=dataset, file=name, max_bytes=max_bytes)
        batch_id = batch_id_of(dataset, fk.name, sha, idempotency_key)
        with writer_lock(target):
            parts.cleanup(target)
            current = Path(os.path.realpath(target))
            if not current.exists():
                raise DataError(f"no store at {target}: run `citybrain build` first", dataset=dataset, file=name)
            con = open_read(current)
            try:
                prune(target, con)
                if not one(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'parts'")[0]:
                    raise DataError(f"the store at {target} predates the parts layout: run `citybrain build`",
                                    dataset=dataset, file=name)
                old_version = one(con, "SELECT value FROM meta WHERE key = 'data_version'")[0]
                seen = one(con, "SELECT batch_id FROM batches WHERE dataset = ? AND status = 'ingested' "
                                "AND (sha256 = ? OR batch_id = ?)", [dataset, sha, batch_id])
                if seen:
                    return IngestResult(dataset, name, sha, seen[0], 0, old_version, old_version, True,
                                        time.perf_counter() - started, fk.name)
                checker = Checker(con, dataset, fk, file=name, now=clock(settings.clock), skip_stored=skip_stored,
                                  simulated=simulated)
                n = stage_rows(staged, fk, fmt, checker, rows_path, dataset=dataset, file=name)
            finally:
                con.close()
            release_memory(n)  # the chunks are gone: give their pages back before the writer sorts
            if n == 0:  # every row was already stored (a redelivery)
                return IngestResult(dataset, name, sha, batch_id, 0, old_version, old_version, True,
                                    time.perf_counter() - started, fk.name, checker.skipped)
            ext = "ndjson" if fmt == "ndjson" else "csv"
            loaded_at = datetime.now(CST).replace(tzinfo=None)
            batch = Batch(dataset, fk.name, rows_path, n, batch_id, sha, name, loaded_at,
                          f"{ARCHIVE_DIR}/{dataset}/{sha}.{ext}", checker.restricted)

            def keep_archive() -> None:
                write_durable(archive / f"{sha}.json", json.dumps({
                    "batch_id": batch_id, "dataset": dataset, "kind": fk.name, "format": ext, "file": name,
                    "sha256": sha, "rows": n, "loaded_at": loaded_at.isoformat(), "simulated": simulated,
                    "skip_stored": skip_stored, "idempotency_key": idempotency_key}, ensure_ascii=False).encode())
                fsync(staged)
                os.replace(staged, archive / f"{sha}.{ext}")

            new_version = append_batch(target, batch, old_version, settings, keep_archive)
    finally:
        staged.unlink(missing_ok=True)
        rows_path.unlink(missing_ok=True)
    if compact_after:  # merge the small parts batches leave, off the request's path
        from citybrain.store.compact import in_background

        in_background(target, batch.small_parts)
    secs = time.perf_counter() - started
    log.info("ingested %s %s rows of %s from %s as %s (version %s -> %s, %d already stored) in %.2f s", n, fk.name,
             dataset, name, batch_id, old_version, new_version, checker.skipped, secs)
    return IngestResult(dataset, name, sha, batch_id, n, old_version, new_version, False, secs, fk.name,
                        checker.skipped)
