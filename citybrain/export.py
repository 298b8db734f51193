"""The one export path: stream a query's rows as CSV (or Parquet) straight from DuckDB.

Rows are read in Arrow record batches from a cursor of their own (``to_arrow_reader``), so memory
stays flat whatever the size, and written by pyarrow's C++ CSV writer: RFC 4180 quoting, a header
once, UTF-8 with BOM by default (Excel shows Chinese) or GBK on request. Text cells that begin
with ``= + - @``, a tab or a carriage return are neutralised with a leading apostrophe so that a
spreadsheet never runs them as formulas. Order is whatever the query's ORDER BY says: callers
always give a total order, so the same query gives the same bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .store import Store

log = logging.getLogger(__name__)
BATCH_ROWS = 65_536
BOM = "\ufeff".encode("utf-8")
_FORMULA = r"^[=+\-@\t\r]"

Encoding = Literal["utf-8", "gbk"]


@dataclass
class ExportStats:
    """What an export produced (filled in while streaming; read by the audit log)."""

    rows: int = 0
    bytes: int = 0
    done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def neutralise(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe."""
    cols = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.fill_null(pc.match_substring_regex(col, _FORMULA), False)
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        cols.append(col)
    return pa.RecordBatch.from_arrays(cols, names=batch.schema.names)


def _reader(store: Store, sql: str, params: Sequence[Any] | None) -> tuple[Any, pa.RecordBatchReader]:
    cur = store.cursor()
    rel = cur.sql(sql, params=list(params) if params else None)
    return cur, rel.to_arrow_reader(BATCH_ROWS)


def stream_csv(store: Store, sql: str, params: Sequence[Any] | None = None, *,
               encoding: Encoding = "utf-8", bom: bool = True,
               stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield the CSV bytes of ``sql`` batch by batch (header first)."""
    stats = stats if stats is not None else ExportStats()
    cur, reader = _reader(store, sql, params)
    try:
        if encoding == "utf-8" and bom:
            stats.bytes += len(BOM)
            yield BOM
        header = True
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed", delimiter=",")
        for batch in _batches(reader):
            buf = io.BytesIO()
            opts = options if header else pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(neutralise(batch), buf, write_options=opts)
            header = False
            chunk = buf.getvalue()
            if encoding == "gbk":
                chunk = chunk.decode("utf-8").encode("gbk", errors="replace")
            stats.rows += batch.num_rows
            stats.bytes += len(chunk)
            yield chunk
        if header:  # no rows at all: still send the header line
            names = reader.schema.names
            line = (",".join(_quote(n) for n in names) + "\n").encode(encoding)
            stats.bytes += len(line)
            yield line
        stats.done = True
    finally:
        reader.close()
        cur.close()


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        if batch.num_rows:
            yield batch


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'  # as pyarrow writes header names


def parquet_bytes(store: Store, sql: str, params: Sequence[Any] | None = None,
                  stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield a Parquet file of ``sql`` (written batch by batch into a spooled buffer)."""
    stats = stats if stats is not None else ExportStats()
    cur, reader = _reader(store, sql, params)
    sink = io.BytesIO()
    try:
        with pq.ParquetWriter(sink, reader.schema, compression="zstd") as writer:
            for batch in _batches(reader):
                writer.write_batch(batch)
                stats.rows += batch.num_rows
        data = sink.getvalue()
        stats.bytes = len(data)
        stats.done = True
        yield data
    finally:
        reader.close()
        cur.close()
