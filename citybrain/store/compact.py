"""Compaction and retention of the parts, without blocking readers or writers.

Every batch adds one small part, so the compactor merges them: the small parts (fewer than
``SMALL_ROWS`` rows) of one table, dataset and month are rewritten as one part once there are
``min_parts`` of them. Retention follows the manifest (``live: {keep: 400d}``): parts wholly older
than the dataset's ``keep`` span are dropped, a part straddling the cut is rewritten without the old
rows (and the data version changes, so caches expire). Datasets without ``keep`` are kept for good.

The new parts are written without any lock (parts are immutable, the served catalog goes on being
read and appended to); only the commit takes the writer lock, for the time of one catalog copy. It
checks that every part it replaces is still listed, then lists the new ones and retires the old ones
(deleted after ``parts.GRACE_S``, for readers still on an older catalog). A compactor killed at any
point leaves either the old catalog (its new parts are swept as orphans) or the new one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from citybrain.manifest import LiveSpec
from citybrain.store import catalog, facets, parts
from citybrain.store.files import compaction_lock, writer_lock

log = logging.getLogger(__name__)
#: A part with fewer rows than this is small: it is merged with its month's other small parts.
SMALL_ROWS = 500_000
#: How many small parts of one table, dataset and month make the compactor merge them.
MIN_PARTS = 8
SCRATCH_CONFIG = {"memory_limit": "256MB", "threads": "1"}


@dataclass
class Job:
    """One rewrite: ``files`` of ``table``/``dataset`` become at most one part (rows from ``cut`` on)."""

    table: str
    dataset: str
    files: list[str]
    cut: datetime | None = None
    new: dict | None = None


@dataclass
class CompactResult:
    merged: int = 0  # parts replaced by merged parts
    dropped: int = 0  # parts dropped or cut by retention
    written: int = 0  # new parts
    data_version: str | None = None
    jobs: list[Job] = field(default_factory=list)


def plan(con: duckdb.DuckDBPyConnection, now: datetime, min_parts: int = MIN_PARTS) -> list[Job]:
    """The rewrites the served catalog ``con`` needs: retention first, then merges of small parts."""
    keep = {}
    for name, manifest in con.execute("SELECT name, manifest FROM datasets").fetchall():
        spec = LiveSpec.model_validate((json.loads(manifest) if manifest else {}).get("live") or {})
        if spec.keep_seconds is not None:
            keep[name] = now - timedelta(seconds=spec.keep_seconds)
    rows = con.execute("SELECT file, tbl, dataset, rows, min_ts, max_ts FROM parts ORDER BY tbl, dataset, min_ts")
    jobs: list[Job] = []
    small: dict[tuple[str, str, str], list[str]] = {}
    for file, tbl, ds, n, lo, hi in rows.fetchall():
        cut = keep.get(ds)
        if cut is not None and hi < cut:
            jobs.append(Job(tbl, ds, [file], cut))  # wholly too old: dropped
        elif cut is not None and lo < cut:
            jobs.append(Job(tbl, ds, [file], cut))  # straddles the cut: rewritten without the old rows
        elif n < SMALL_ROWS:
            small.setdefault((tbl, ds, f"{lo:%Y%m}"), []).append(file)
    for (tbl, ds, _), files in small.items():
        if len(files) >= min_parts:
            jobs.append(Job(tbl, ds, files))
    return jobs


def compact(target: Path, *, now: datetime | None = None, min_parts: int | None = None,
            grace_s: float = parts.GRACE_S, paused: Callable[[str], None] | None = None) -> CompactResult:
    """Merge small parts and apply retention for the store at ``target``; one compactor at a time
    (returns an empty result when another one runs). ``paused(stage)`` (tests) runs after the new
    parts are written ("written") and inside the commit ("commit")."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with compaction_lock(target) as mine:
        if not mine:
            log.info("another compactor runs on %s", target)
            return CompactResult()
        return _compact(target, now or datetime.now(), min_parts or MIN_PARTS, grace_s, paused)


def _compact(target: Path, now: datetime, min_parts: int, grace_s: float,
             paused: Callable[[str], None] | None) -> CompactResult:
    served = duckdb.connect(os.path.realpath(target), read_only=True)
    try:
        jobs = plan(served, now, min_parts)
        root = served.execute("SELECT value FROM meta WHERE key = 'parts_root'").fetchall()[0][0]
    finally:
        served.close()
    result = CompactResult(jobs=jobs)
    if not jobs:
        with writer_lock(target):  # nothing to rewrite: still delete parts retired long enough ago
            parts.cleanup(target, compacting=True)
            _purge_only(target, grace_s)
        return result
    pw = parts.PartWriter(target)
    before: str | None = None
    scratch = duckdb.connect(config=SCRATCH_CONFIG)
    try:
        for job in jobs:  # no lock: parts never change, the store goes on being read and fed
            listed = "[" + ", ".join(parts._lit(f"{root}/{f}") for f in job.files) + "]"
            ts = parts.PART_TABLES[job.table]
            where = f"WHERE {ts} >= ?" if job.cut else ""
            job.new = pw.write(scratch, job.table, job.dataset, parts.select(job.table, f"read_parquet({listed})",
                                                                             where), [job.cut] if job.cut else [])
        if paused:
            paused("written")
        with writer_lock(target):
            parts.cleanup(target, compacting=True)  # what killed writers and compactors left (ours: our pid)
            before = os.path.realpath(target)
            result.data_version = _commit(target, jobs, grace_s, paused)
    except BaseException:
        if before is None or os.path.realpath(target) == before:  # never listed: nobody's parts
            pw.discard()
        raise
    finally:
        scratch.close()
    result.merged = sum(len(j.files) for j in jobs if j.cut is None)
    result.dropped = sum(len(j.files) for j in jobs if j.cut is not None)
    result.written = sum(1 for j in jobs if j.new)
    log.info("compacted %s: %d part(s) merged, %d cut by retention, %d written", target, result.merged,
             result.dropped, result.written)
    return result


def _commit(target: Path, jobs: list[Job], grace_s: float, paused: Callable[[str], None] | None) -> str:
    """List the new parts and retire the replaced ones in a new catalog (under the writer lock)."""
    from citybrain.feeds.writer import chain_version

    def change(con: duckdb.DuckDBPyConnection, _pw: parts.PartWriter) -> str:
        listed = {f for (f,) in con.execute("SELECT file FROM parts").fetchall()}
        gone = [f for j in jobs for f in j.files if f not in listed]
        if gone:  # a rebuild replaced them meanwhile: this compaction is moot
            raise RuntimeError(f"parts replaced meanwhile ({gone[0]}); compaction abandoned")
        parts.retire(con, [f for j in jobs for f in j.files])
        parts.add(con, [j.new for j in jobs if j.new])
        parts.define_views(con, target)
        version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0]
        cuts = sorted({f"{j.dataset}:{j.cut.isoformat()}" for j in jobs if j.cut})
        if cuts:  # retention removed rows: the data changed
            version = chain_version(version, "retention " + " ".join(cuts))
            con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [version])
            facets.bump(con, [f for j in jobs if j.cut for f in facets.of_batch(j.table, j.dataset)], version)
        return version

    return catalog.rewrite(target, change, grace_s=grace_s, paused=(lambda: paused("commit")) if paused else None)


def _purge_only(target: Path, grace_s: float) -> None:
    con = duckdb.connect(os.path.realpath(target), read_only=True)
    try:
        due = con.execute("SELECT count(*) FROM retired_parts WHERE retired_at <= ?",
                          [parts.now() - timedelta(seconds=grace_s)]).fetchall()[0][0]
        version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0]
    finally:
        con.close()
    if due:
        catalog.rewrite(target, lambda con, pw: version, grace_s=grace_s)


#: Small parts of one table and dataset that make a long-running process (server, subscriber, inbox)
#: start a compaction in the background after its batch.
AUTO_PARTS = 32
_threads: dict[Path, threading.Thread] = {}
_threads_lock = threading.Lock()


def in_background(target: Path, small_parts: int) -> threading.Thread | None:
    """Start ``compact(target)`` in a daemon thread when ``small_parts`` reached ``AUTO_PARTS`` (one per store
    and process; across processes the compactor lock lets one run). A process that exits meanwhile
    simply leaves an unlisted part, swept by the next writer."""
    if small_parts < AUTO_PARTS:
        return None
    target = Path(target).absolute()
    with _threads_lock:
        running = _threads.get(target)
        if running is not None and running.is_alive():
            return None

        def run() -> None:
            try:
                compact(target)
            except Exception:  # noqa: BLE001 - the next batch tries again; nothing was lost
                log.exception("background compaction of %s failed", target)

        th = _threads[target] = threading.Thread(target=run, name="citybrain-compact", daemon=True)
        th.start()
        return th


def wait_background(target: Path, timeout: float = 60.0) -> None:
    """Wait for this process's background compaction of ``target`` (tests, orderly shutdown)."""
    th = _threads.get(Path(target).absolute())
    if th is not None:
        th.join(timeout)
