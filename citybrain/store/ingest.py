"""Live loading: add one validated batch of observations to the served store while it is served.

DuckDB allows one writer and many reader processes, and the readers hold the served file open, so
an ingest never writes that file. Under an exclusive lock (``<db dir>/.ingest.lock``, shared with
``citybrain build``) it validates the feed file against the served store, copies the store file
to a temporary file beside it, appends the batch (rows in time order), records it in ``batches``,
chains the data version (``sha256(old version + batch sha)``), checkpoints, closes and fsyncs, and
switches the link exactly like the build does. Readers re-resolve the link on their next query
and every cached result is keyed by the data version, so all workers move to the new data at
once. A batch is all or nothing: a bad file raises ``DataError`` before anything is written, and a
process killed at any point leaves the link on the previous complete file (the next build or
ingest removes its leftovers).

Each ingested file is archived as ``<db dir>/ingested/<dataset>/<sha256>.csv`` with a JSON side
file, and ``citybrain build`` replays the archive after the loaders, so a rebuild loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from citybrain.store import tables
from citybrain.store.files import CST, TMP_PREFIX, cleanup_stale, fsync, switch, writer_lock
from citybrain.errors import DataError
from citybrain.manifest import FieldSpec, FileSpec
from citybrain.regions import REGIONS
from citybrain.settings import Settings, get_settings
from citybrain.validate import read_csv_strict

log = logging.getLogger(__name__)

ARCHIVE_DIR = "ingested"
#: Units whose values may be negative (levels against a datum, temperatures); all others are >= 0.
SIGNED_UNITS = {"m", "℃", "°C"}
#: How far past max(wall clock, store anchor) a live observation may lie (clock skew of feeds).
FUTURE_TOLERANCE = timedelta(hours=1)
_ORDER = "ts, indicator_id, region_code, entity_id"


@dataclass
class IngestResult:
    """What one ingest did (``noop`` when the same file was already ingested)."""

    dataset: str
    file: str
    sha256: str
    batch_id: str
    rows: int
    previous_version: str
    data_version: str
    noop: bool
    seconds: float


def feed_spec(name: str) -> FileSpec:
    """The schema of a feed file (``name`` is how messages call the file)."""
    return FileSpec(path=name, format="csv", key=["indicator_id", "region_code", "entity_id", "ts"], fields=[
        FieldSpec(name="indicator_id", type="string"),
        FieldSpec(name="region_code", type="string"),
        FieldSpec(name="entity_id", type="string", required=False),
        FieldSpec(name="ts", type="datetime", description="China Standard Time"),
        FieldSpec(name="value", type="float"),
        FieldSpec(name="quality", type="string", allowed=list(tables.QUALITY)),
    ])


def chain_version(version: str, sha: str) -> str:
    """The data version after appending the batch with file hash ``sha``."""
    return hashlib.sha256(f"{version}:{sha}".encode()).hexdigest()[:16]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query (the result is fully consumed, so the connection is free again)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _first(mask: np.ndarray, problem: str, *, dataset: str, file: str, field: str,
           values: pd.Series) -> None:
    idx = np.flatnonzero(mask)
    if idx.size:
        i = int(idx[0])
        more = f"; {idx.size - 1} more row(s) alike" if idx.size > 1 else ""
        raise DataError(f"{problem} (value {values.iloc[i]!r}){more}", dataset=dataset, file=file,
                        row=i + 2, field=field)


def check_feed(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame, *, file: str,
               live: bool = True) -> None:
    """Check a parsed feed against the store behind ``con``; raise ``DataError`` on the first problem.

    ``live`` adds the checks that only make sense at ingest time: no timestamps in the future and
    no row that repeats one already stored (a replay at build time skips them).
    """
    kw = dict(dataset=dataset, file=file)
    if not _one(con, "SELECT count(*) FROM datasets WHERE name = ?", [dataset])[0]:
        raise DataError("is not a dataset of the served store", **kw)
    ind = con.execute("SELECT indicator_id, dataset, unit FROM indicators").df()
    owner = dict(zip(ind["indicator_id"], ind["dataset"]))
    ids = frame["indicator_id"].astype("string")
    _first(~ids.isin(list(owner)).to_numpy(), "is not an indicator of any dataset", field="indicator_id",
           values=ids, **kw)
    foreign = (ids.map(owner) != dataset).to_numpy()
    if foreign.any():
        i = int(np.flatnonzero(foreign)[0])
        raise DataError(f"indicator {ids.iloc[i]!r} belongs to dataset {owner[ids.iloc[i]]}, not {dataset}",
                        row=i + 2, field="indicator_id", **kw)
    cov = con.execute("SELECT region_code, applicable, reason FROM coverage WHERE dataset = ?", [dataset]).df()
    applicable = {r.region_code: bool(r.applicable) for r in cov.itertuples()}
    reasons = {r.region_code: r.reason for r in cov.itertuples()}
    codes = frame["region_code"].astype("string")
    _first(~codes.isin(list(REGIONS)).to_numpy(), "is not a known region code", field="region_code",
           values=codes, **kw)
    ok = np.array([applicable.get(c, applicable.get(REGIONS[c].parent or "", False)) for c in codes])
    if (~ok).any():
        i = int(np.flatnonzero(~ok)[0])
        why = reasons.get(codes.iloc[i]) or "not among the dataset's regions"
        raise DataError(f"dataset {dataset} does not apply to region {codes.iloc[i]} ({why})",
                        row=i + 2, field="region_code", **kw)
    ent = frame["entity_id"].astype("string")
    given = ent.dropna().unique().tolist()
    if given:
        known = set(con.execute("SELECT entity_id FROM entities WHERE list_contains(?, entity_id)",
                                [given]).df()["entity_id"])
        _first((ent.notna() & ~ent.isin(list(known))).to_numpy(), "is not a known entity",
               field="entity_id", values=ent, **kw)
    units = dict(zip(ind["indicator_id"], ind["unit"]))
    signed = ids.map(units).isin(list(SIGNED_UNITS)).to_numpy()
    _first(~signed & (frame["value"].to_numpy() < 0), "is negative, which this indicator's unit does not allow",
           field="value", values=frame["value"], **kw)
    if not live:
        return
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    now = datetime.now(CST).replace(tzinfo=None)
    limit = max(now, datetime.fromisoformat(meta.get("anchor", now.isoformat()))) + FUTURE_TOLERANCE
    _first((frame["ts"] > pd.Timestamp(limit)).to_numpy(), f"lies in the future (after {limit:%Y-%m-%d %H:%M})",
           field="ts", values=frame["ts"].astype("string"), **kw)
    probe = frame[["indicator_id", "region_code", "entity_id", "ts"]].copy()
    probe["row"] = np.arange(len(frame)) + 2
    con.register("_probe", probe)
    try:
        hit = _one(con, """SELECT p.row, o.batch_id FROM _probe p JOIN observations o
            ON o.indicator_id = p.indicator_id AND o.region_code = p.region_code AND o.ts = p.ts
               AND o.entity_id IS NOT DISTINCT FROM p.entity_id
            WHERE o.ts BETWEEN ? AND ? ORDER BY p.row LIMIT 1""",
                   [frame["ts"].min().to_pydatetime(), frame["ts"].max().to_pydatetime()])
    finally:
        con.unregister("_probe")
    if hit:
        raise DataError(f"repeats an observation already in the store (batch {hit[1]})", row=int(hit[0]),
                        field="ts", **kw)


def _append(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame, *, batch_id: str, sha: str,
            file: str, loaded_at: datetime, simulated: bool, version: str) -> str:
    """Append one checked batch in time order, record it, and return the new data version."""
    df = frame.copy()
    df["simulated"] = simulated
    df["dataset"] = dataset
    df["batch_id"] = batch_id
    cols = ", ".join(c.name for c in tables.TABLES["observations"] + tables.BUILD_COLUMNS)
    con.register("_batch", df)
    try:
        con.execute(f"INSERT INTO observations ({cols}) SELECT {cols} FROM _batch ORDER BY {_ORDER}")
    finally:
        con.unregister("_batch")
    con.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, 'ingested', ?)",
                [batch_id, dataset, json.dumps([file], ensure_ascii=False), sha, loaded_at, len(df),
                 f"archived as {ARCHIVE_DIR}/{dataset}/{sha}.csv"])
    new = chain_version(version, sha)
    con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [new])
    latest = frame["ts"].max().to_pydatetime()
    latest = latest.replace(second=0, microsecond=0, minute=latest.minute - latest.minute % 5)
    old = _one(con, "SELECT value FROM meta WHERE key = 'anchor'")
    if old is None or latest > datetime.fromisoformat(old[0]):  # the store's 'now' follows live data
        con.execute("INSERT OR REPLACE INTO meta VALUES ('anchor', ?)", [latest.isoformat()])
    return new


def _write_durable(path: Path, data: bytes) -> None:
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(data)
    fsync(part)
    os.replace(part, path)


def _prune_archive(target: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Remove leftovers of killed ingests: partial files, and archives the served store never got."""
    root = target.parent / ARCHIVE_DIR
    if not root.is_dir():
        return
    for p in root.rglob(".*.part"):
        p.unlink(missing_ok=True)
    served = set(con.execute("SELECT name FROM datasets").df()["name"])
    known = set(con.execute("SELECT sha256 FROM batches WHERE status = 'ingested'").df()["sha256"])
    for folder in root.iterdir():
        if folder.is_dir() and folder.name in served:
            for p in folder.glob("*.csv"):
                if p.stem not in known:
                    log.info("removing archive of an interrupted ingest: %s", p)
                    p.unlink(missing_ok=True)
                    p.with_suffix(".json").unlink(missing_ok=True)


def ingest_file(dataset: str, path: Path | str, settings: Settings | None = None, *,
                target: Path | None = None, simulated: bool = False) -> IngestResult:
    """Validate ``path`` as a feed of ``dataset`` and add it to the served store atomically."""
    settings = settings or get_settings()
    target = Path(target or settings.db)
    path = Path(path)
    started = time.perf_counter()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror}", dataset=dataset, file=path.name) from None
    sha = hashlib.sha256(raw).hexdigest()
    batch_id = f"{dataset}-ingest-{sha[:12]}"
    with writer_lock(target):
        cleanup_stale(target)
        current = Path(os.path.realpath(target))
        if not current.exists():
            raise DataError(f"no store at {target}: run `citybrain build` first", dataset=dataset, file=path.name)
        con = duckdb.connect(str(current), read_only=True)
        try:
            _prune_archive(target, con)
            old_version = _one(con, "SELECT value FROM meta WHERE key = 'data_version'")[0]
            seen = _one(con, "SELECT batch_id FROM batches WHERE dataset = ? AND sha256 = ? AND status = 'ingested'",
                        [dataset, sha])
            if seen:
                return IngestResult(dataset, path.name, sha, seen[0], 0, old_version, old_version, True,
                                    time.perf_counter() - started)
            archive = target.parent / ARCHIVE_DIR / dataset
            archive.mkdir(parents=True, exist_ok=True)
            staged = archive / f".{sha}.{os.getpid()}.part"
            staged.write_bytes(raw)  # validate exactly the bytes that were hashed
            try:
                frame = read_csv_strict(staged, feed_spec(path.name), dataset=dataset)
                check_feed(con, dataset, frame, file=path.name)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        finally:
            con.close()
        tmp = target.parent / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
        try:
            shutil.copyfile(current, tmp)
            w = duckdb.connect(str(tmp))
            try:
                loaded_at = datetime.now(CST).replace(tzinfo=None)
                new_version = _append(w, dataset, frame, batch_id=batch_id, sha=sha, file=path.name,
                                      loaded_at=loaded_at, simulated=simulated, version=old_version)
                if settings.test_ingest_pause:
                    print("INGEST_PAUSED", flush=True)
                    sys.stdout.flush()
                    time.sleep(settings.test_ingest_pause)
                w.execute("CHECKPOINT")
            finally:
                w.close()
            fsync(tmp)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # as the build names them
            final = target.parent / f"{target.stem}-{stamp}-{new_version}{target.suffix}"
            os.replace(tmp, final)
            _write_durable(archive / f"{sha}.json", json.dumps({
                "batch_id": batch_id, "dataset": dataset, "file": path.name, "sha256": sha, "rows": len(frame),
                "loaded_at": loaded_at.isoformat(), "simulated": simulated}, ensure_ascii=False).encode())
            fsync(staged)
            os.replace(staged, archive / f"{sha}.csv")
            switch(target, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
            staged.unlink(missing_ok=True)
            raise
    secs = time.perf_counter() - started
    log.info("ingested %s rows of %s from %s as %s (version %s -> %s) in %.2f s", len(frame), dataset,
             path.name, batch_id, old_version, new_version, secs)
    return IngestResult(dataset, path.name, sha, batch_id, len(frame), old_version, new_version, False, secs)


def replay_archived(con: duckdb.DuckDBPyConnection, target: Path, version: str) -> str:
    """Append the archived batches of the datasets just built (in their ingest order).

    Called by the build before it checkpoints; returns the data version after the replay. An
    archive that no longer fits the manifests fails the build (the served store stays).
    """
    root = target.parent / ARCHIVE_DIR
    if not root.is_dir():
        return version
    current = Path(os.path.realpath(target))
    if current.exists() and current.is_file():
        served = duckdb.connect(str(current), read_only=True)
        try:
            _prune_archive(target, served)
        finally:
            served.close()
    built = set(con.execute("SELECT name FROM datasets").df()["name"])
    batches = []
    for side in root.glob("*/*.json"):
        if side.parent.name in built and side.with_suffix(".csv").exists():
            batches.append(json.loads(side.read_text(encoding="utf-8")) | {"_csv": side.with_suffix(".csv")})
    for b in sorted(batches, key=lambda b: (b["loaded_at"], b["batch_id"])):
        frame = read_csv_strict(b["_csv"], feed_spec(f"{ARCHIVE_DIR}/{b['dataset']}/{b['sha256']}.csv"),
                                dataset=b["dataset"])
        check_feed(con, b["dataset"], frame, file=b["file"], live=False)
        version = _append(con, b["dataset"], frame, batch_id=b["batch_id"], sha=b["sha256"], file=b["file"],
                          loaded_at=datetime.fromisoformat(b["loaded_at"]), simulated=b["simulated"],
                          version=version)
    if batches:
        log.info("replayed %d archived batch(es) from %s", len(batches), root)
    return version
