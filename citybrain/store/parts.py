"""The big fact tables as immutable Parquet parts, listed by the small DuckDB catalog.

``observations`` and ``tracks`` grow with time; everything else is small. The big two are stored as
Parquet files (*parts*) in ``<db dir>/<stem>.parts/<table>/<dataset>/``; the catalog (the DuckDB file
the store link points at) lists the live ones in ``parts`` and defines each big table as a view over
exactly that list (explicit file names, so a part not yet committed, or already replaced, is
invisible). Every query keeps using the table names.

A part is written under a temporary name, fsynced and renamed before the catalog that lists it is
committed (copy-on-write of the small catalog, see ``files.switch``): a writer killed before the
switch leaves an unlisted part, which ``sweep`` removes (when no compactor runs, on any host). Parts a
new catalog no longer lists (replaced by compaction or retention, or by a rebuild) are moved to
``retired_parts`` and deleted by a later writer once ``GRACE_S`` has passed, so a reader still on an
older catalog keeps finding its files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from citybrain.store import tables
from citybrain.store.files import CST, compaction_lock, fsync

log = logging.getLogger(__name__)

#: The tables stored as parts (the ones that grow with time), with their time column.
PART_TABLES = {"observations": "ts", "tracks": "ts"}
#: How long a replaced part stays on disk for readers still on an older catalog (seconds).
GRACE_S = 900
PARTS_DDL = """CREATE TABLE parts (file VARCHAR PRIMARY KEY, tbl VARCHAR NOT NULL, dataset VARCHAR NOT NULL,
    rows BIGINT NOT NULL, bytes BIGINT NOT NULL, min_ts TIMESTAMP NOT NULL, max_ts TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL)"""
RETIRED_DDL = "CREATE TABLE retired_parts (file VARCHAR PRIMARY KEY, retired_at TIMESTAMP NOT NULL)"
#: A committed part's name: ``<first day>-<pid>-<random>.parquet`` (the pid tells a live writer's part).
PART_NAME = re.compile(r"^\d{8}-(\d+)-[0-9a-f]{12}\.parquet$")
COPY_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"


def parts_dir(target: Path) -> Path:
    """The folder of the parts of the store whose link is ``target``."""
    return target.parent / f"{target.stem}.parts"


def now() -> datetime:
    return datetime.now(CST).replace(tzinfo=None)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class PartWriter:
    """Writes parts of one store; remembers them so a failed commit can remove them again."""

    target: Path
    written: list[Path] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return parts_dir(self.target)

    def write(self, con: duckdb.DuckDBPyConnection, table: str, dataset: str, select: str,
              params: list | None = None) -> dict | None:
        """Write the rows of ``select`` (the table's columns, sorted) as one durable part; None if empty.

        Returns the part's ``parts`` row (file relative to the parts folder); not yet listed anywhere."""
        folder = self.root / table / dataset
        folder.mkdir(parents=True, exist_ok=True)
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        tmp = folder / f".{tag}.tmp"
        try:
            con.execute(f"COPY ({select}) TO {_lit(str(tmp))} ({COPY_OPTIONS})", params or [])
            ts = PART_TABLES[table]
            n, lo, hi = con.execute(f"SELECT count(*), min({ts}), max({ts}) FROM read_parquet(?)",
                                    [str(tmp)]).fetchall()[0]
            if not n:
                tmp.unlink(missing_ok=True)
                return None
            fsync(tmp)
            final = folder / f"{lo:%Y%m%d}-{tag}.parquet"
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.written.append(final)
        return {"file": final.relative_to(self.root).as_posix(), "tbl": table, "dataset": dataset, "rows": n,
                "bytes": final.stat().st_size, "min_ts": lo, "max_ts": hi, "created_at": now()}

    def discard(self) -> None:
        """Remove the parts written so far (their catalog was never committed)."""
        for p in self.written:
            p.unlink(missing_ok=True)
        self.written.clear()

    def durable(self) -> None:
        """Make the renames of the parts written so far durable (fsync their folders)."""
        for folder in {p.parent for p in self.written}:
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def create(con: duckdb.DuckDBPyConnection) -> None:
    """Create the catalog's part tables (a new catalog)."""
    con.execute(PARTS_DDL)
    con.execute(RETIRED_DDL)


def add(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """List new parts in the catalog."""
    for r in rows:
        con.execute("INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["file"], r["tbl"], r["dataset"], r["rows"], r["bytes"], r["min_ts"], r["max_ts"],
                     r["created_at"]])


def retire(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Stop listing ``files``; they are deleted once the grace period has passed (``purge``)."""
    stamp = now()
    for f in files:
        con.execute("DELETE FROM parts WHERE file = ?", [f])
        con.execute("INSERT OR REPLACE INTO retired_parts VALUES (?, ?)", [f, stamp])


def define_views(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """(Re)define each big table as a view over exactly the parts the catalog lists, in time order."""
    root = parts_dir(target).absolute()
    con.execute("INSERT OR REPLACE INTO meta VALUES ('parts_root', ?)", [str(root)])
    for table in PART_TABLES:
        cols = [c.name for c in tables.TABLES[table] + tables.BUILD_COLUMNS]
        files = [f for (f,) in con.execute("SELECT file FROM parts WHERE tbl = ? ORDER BY min_ts, file",
                                           [table]).fetchall()]
        if files:
            listed = ", ".join(_lit(str(root / f)) for f in files)
            body = f"SELECT {', '.join(cols)} FROM read_parquet([{listed}])"
        else:  # no rows yet: the table's columns, typed, and nothing else
            typed = {c.name: c.sql for c in tables.TABLES[table] + tables.BUILD_COLUMNS}
            body = "SELECT " + ", ".join(f"CAST(NULL AS {typed[c]}) AS {c}" for c in cols) + " WHERE false"
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {body}")


def source(con: duckdb.DuckDBPyConnection, table: str, lo: datetime, hi: datetime,
           dataset: str | None = None) -> str:
    """A FROM clause over only the parts of ``table`` that may hold rows between ``lo`` and ``hi``
    (the writer's duplicate checks read these, so their cost follows the batch, not the store)."""
    sql = "SELECT file FROM parts WHERE tbl = ? AND max_ts >= ? AND min_ts <= ?"
    params: list = [table, lo, hi]
    if dataset is not None:
        sql += " AND dataset = ?"
        params.append(dataset)
    files = [f for (f,) in con.execute(sql + " ORDER BY min_ts", params).fetchall()]
    if not files:
        return f"(SELECT * FROM {table} WHERE false)"
    root = Path(con.execute("SELECT value FROM meta WHERE key = 'parts_root'").fetchall()[0][0])
    return "read_parquet([" + ", ".join(_lit(str(root / f)) for f in files) + "])"


def purge(con: duckdb.DuckDBPyConnection, target: Path, grace_s: float = GRACE_S) -> int:
    """Delete the retired parts whose grace period has passed; return how many."""
    cutoff = now() - timedelta(seconds=grace_s)
    old = [f for (f,) in con.execute("SELECT file FROM retired_parts WHERE retired_at <= ?", [cutoff]).fetchall()]
    root = parts_dir(target)
    for f in old:
        (root / f).unlink(missing_ok=True)
        con.execute("DELETE FROM retired_parts WHERE file = ?", [f])
    if old:
        log.info("deleted %d replaced part(s) of %s", len(old), target)
    return len(old)


def sweep(target: Path, catalog: Path, compacting: bool = False) -> int:
    """Remove parts no catalog will ever list: written by a writer or compactor that died before
    its commit. Returns how many.

    Called under the writer lock with the served ``catalog``, so no other writer runs, on any host.
    A compactor writes its parts without that lock and commits them later: while one runs
    (the compaction lock is held), unlisted parts may be its own and are left for a later sweep.
    ``compacting``: the caller is the compactor (holding that lock; its own parts carry its pid).
    The rule needs no pid of another host: a pid tells nothing across hosts."""
    root = parts_dir(target)
    if not root.is_dir():
        return 0
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        known = {f for (f,) in con.execute("SELECT file FROM parts UNION ALL SELECT file FROM retired_parts")
                 .fetchall()}
    except duckdb.CatalogException:  # a catalog from before parts: nothing of ours is listed
        known = set()
    finally:
        con.close()
    with contextlib.ExitStack() as stack:
        quiet = compacting or stack.enter_context(compaction_lock(target))
        if not quiet:
            log.info("a compactor runs on %s: unlisted parts are left for a later sweep", target)
            return 0
        removed = 0
        for p in root.glob("*/*/*"):
            if p.relative_to(root).as_posix() in known:
                continue
            m = PART_NAME.match(p.name)
            if (int(m.group(1)) if m else _tmp_pid(p.name)) == os.getpid():
                continue  # this process's own, not yet committed
            log.info("removing a part no catalog lists (interrupted writer): %s", p)
            p.unlink(missing_ok=True)
            removed += 1
        return removed


def _tmp_pid(name: str) -> int | None:
    m = re.match(r"^\.(\d+)-[0-9a-f]{12}\.tmp$", name)
    return int(m.group(1)) if m else None


def select(table: str, src: str, where: str = "", **given: str) -> str:
    """``SELECT`` of ``table``'s columns (cast to the table's types, ``given`` ones as expressions) from
    ``src``, sorted as the table is, for ``PartWriter.write``."""
    cols = []
    for c in tables.TABLES[table] + tables.BUILD_COLUMNS:
        cols.append(f"CAST({given.get(c.name, c.name)} AS {c.sql}) AS {c.name}")
    return f"SELECT {', '.join(cols)} FROM {src} {where} ORDER BY {tables.SORT_KEYS[table]}"


#: Rows a built part holds at most before the next month starts a new part (parts are whole months).
TARGET_ROWS = 2_000_000


def write_frame(con: duckdb.DuckDBPyConnection, pw: PartWriter, table: str, frame_name: str) -> list[dict]:
    """Write a registered frame of ``table`` rows as parts: per dataset, consecutive whole months
    gathered up to ``TARGET_ROWS`` each."""
    ts = PART_TABLES[table]
    out = []
    counts = con.execute(f"SELECT dataset, date_trunc('month', {ts}) AS m, count(*) FROM {frame_name} "
                         "GROUP BY ALL ORDER BY 1, 2").fetchall()
    groups: list[tuple[str, datetime, datetime]] = []
    acc = 0
    for ds, month, n in counts:
        end = (month + timedelta(days=32)).replace(day=1)
        if groups and groups[-1][0] == ds and acc < TARGET_ROWS:
            groups[-1] = (ds, groups[-1][1], end)
            acc += n
        else:
            groups.append((ds, month, end))
            acc = n
    for ds, lo, hi in groups:
        row = pw.write(con, table, ds, select(table, frame_name, f"WHERE dataset = ? AND {ts} >= ? AND {ts} < ?"),
                       [ds, lo, hi])
        if row:
            out.append(row)
    return out


def cleanup(target: Path, compacting: bool = False) -> None:
    """Remove what killed writers left (temporary catalogs, unlisted parts); under the writer lock
    (``compacting``: see ``sweep``)."""
    from citybrain.store.files import cleanup_stale

    cleanup_stale(target)
    current = Path(os.path.realpath(target))
    if current.is_file():
        sweep(target, current, compacting)


def retire_previous(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """In a rebuilt catalog: retire every part the served catalog lists or retired (a rebuild writes its own)."""
    current = Path(os.path.realpath(target))
    if not current.is_file():
        return
    old = duckdb.connect(str(current), read_only=True)
    try:
        listed = [f for (f,) in old.execute("SELECT file FROM parts").fetchall()]
        waiting = old.execute("SELECT file, retired_at FROM retired_parts").fetchall()
    except duckdb.CatalogException:  # a store from before parts
        return
    finally:
        old.close()
    retire(con, listed)
    for f, at in waiting:
        con.execute("INSERT OR REPLACE INTO retired_parts VALUES (?, ?)", [f, at])


def store_bytes(target: Path) -> int:
    """The size of the data served at ``target``: the current catalog and the parts it lists."""
    current = Path(os.path.realpath(target))
    con = duckdb.connect(str(current), read_only=True)
    try:
        listed = con.execute("SELECT coalesce(sum(bytes), 0) FROM parts").fetchall()[0][0]
    finally:
        con.close()
    return current.stat().st_size + int(listed)
