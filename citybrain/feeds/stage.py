"""Staging a feed's checked rows: read in chunks, type, check, and write them to a Parquet file.

Only one chunk of rows is in memory at a time; the staged file is what the writer appends. Keys
repeated inside one feed are found afterwards by DuckDB over the staged file (with a memory limit),
so a 2-million-row feed is checked without holding it.
"""

from __future__ import annotations

import ctypes
import gc
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from citybrain.errors import DataError
from citybrain.feeds.check import Checker
from citybrain.feeds.kinds import FeedKind
from citybrain.feeds.read import CHUNK_ROWS, chunks
from citybrain.feeds.writer import SCHEMAS, STAGED_KEY
from citybrain.validate import coerce_frame

#: DuckDB's memory for the duplicate check (it spills to disk beyond this).
MEMORY_LIMIT = "32MB"


def stage_rows(source: Path, kind: FeedKind, fmt: str, checker: Checker, rows_path: Path, *,
               dataset: str, file: str) -> int:
    """Check ``source`` chunk by chunk into ``rows_path``; return the number of rows staged."""
    schema = SCHEMAS[kind.name]
    n = 0
    with pq.ParquetWriter(rows_path, schema, compression="zstd") as out:
        for first, raw in chunks(source, kind, fmt, dataset=dataset, file=file):
            typed = coerce_frame(raw, list(kind.fields), dataset=dataset, file=file, first_row=first)
            rows = checker.check(first, typed)
            if len(rows):
                out.write_table(pa.Table.from_pandas(rows[schema.names], schema=schema, preserve_index=False))
                n += len(rows)
    if n:
        release_memory(n)
        check_repeated_keys(rows_path, kind, dataset=dataset, file=file)
    return n


#: A feed of fewer rows than this leaves too little heap behind to be worth collecting (one chunk).
RELEASE_FROM_ROWS = CHUNK_ROWS


def release_memory(rows: int) -> None:
    """Return freed heap pages to the system (glibc keeps them otherwise), so peaks do not add up.

    Only after a feed of at least ``RELEASE_FROM_ROWS`` rows: a full ``gc.collect()`` holds the GIL
    for as long as it walks the heap (100 ms and more in a server worker whose caches are warm), which
    stalls every other request of that worker, and a small push frees almost nothing."""
    if rows < RELEASE_FROM_ROWS:
        return
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def check_repeated_keys(rows_path: Path, kind: FeedKind, *, dataset: str, file: str) -> None:
    """DataError naming the first row whose key an earlier row of the same feed already has."""
    key = STAGED_KEY[kind.name]
    part = ", ".join(key)
    on = " AND ".join(f"d.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": "1"})
    try:
        con.execute(f"CREATE TEMP TABLE d AS SELECT {part} FROM read_parquet(?) GROUP BY ALL HAVING count(*) > 1 "
                    "LIMIT 1000", [str(rows_path)])
        hit = con.execute(f"""SELECT _row, {part} FROM (SELECT s._row, {', '.join('s.' + k for k in key)},
                row_number() OVER (PARTITION BY {', '.join('s.' + k for k in key)} ORDER BY s._row) AS n
                FROM read_parquet(?) s JOIN d ON {on}) WHERE n > 1 ORDER BY _row LIMIT 1""",
                          [str(rows_path)]).fetchall() if con.execute("SELECT count(*) FROM d").fetchone()[0] else []
    finally:
        con.close()
    if hit:
        vals = ", ".join(f"{k}={v!r}" for k, v in zip(kind.key, hit[0][1:]))
        raise DataError(f"duplicate key ({vals})", dataset=dataset, file=file, row=int(hit[0][0]), field=kind.key[0])
