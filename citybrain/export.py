"""The one export path: stream a query's rows as CSV (or Parquet) straight from DuckDB.

Rows are read in Arrow record batches from a cursor of their own (``to_arrow_reader``), so memory
stays flat whatever the size, and written by pyarrow's C++ CSV writer: RFC 4180 quoting, a header
once, UTF-8 with BOM by default (Excel shows Chinese) or GBK on request. Text cells that begin
with ``= + - @``, a tab or a carriage return are neutralised with a leading apostrophe so that a
spreadsheet never runs them as formulas. Order is whatever the query's ORDER BY says: callers
always give a total order, so the same query gives the same bytes. Given a ``store.Snapshot`` (as
the API does), every query of a stream reads that one store file, however long the stream lasts.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from citybrain.store import Reader

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


_RISKY_FIRST = np.zeros(256, dtype=bool)
_RISKY_FIRST[[ord(c) for c in "=+-@\t\r"]] = True


def _may_be_risky(col: pa.Array) -> bool:
    """Fast pre-check on the raw buffers: does any cell start with a risky byte?"""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return True  # other string layouts: let the exact check decide
    _, offsets, data = col.buffers()
    if data is None or len(col) == 0:
        return False
    off_t = np.int64 if pa.types.is_large_string(col.type) else np.int32
    offs = np.frombuffer(offsets, dtype=off_t)[col.offset: col.offset + len(col) + 1]
    starts = offs[:-1][offs[1:] > offs[:-1]]
    return bool(_RISKY_FIRST[np.frombuffer(data, dtype=np.uint8)[starts]].any())


def neutralise(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe."""
    cols = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            if _may_be_risky(col):
                risky = pc.fill_null(pc.match_substring_regex(col, _FORMULA), False)
                if pc.any(risky).as_py():
                    col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        cols.append(col)
    return pa.RecordBatch.from_arrays(cols, names=batch.schema.names)


def _reader(store: Reader, sql: str, params: Sequence[Any] | None) -> tuple[Any, pa.RecordBatchReader]:
    cur = store.cursor()
    rel = cur.sql(sql, params=list(params) if params else None)
    return cur, rel.to_arrow_reader(BATCH_ROWS)


Part = tuple[str, Sequence[Any] | None]


def stream_csv(store: Reader, sql: str, params: Sequence[Any] | None = None, *,
               encoding: Encoding = "utf-8", bom: bool = True,
               stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield the CSV bytes of ``sql`` batch by batch (header first)."""
    return stream_csv_parts(store, [(sql, params)], encoding=encoding, bom=bom, stats=stats)


def stream_csv_parts(store: Reader, parts: Iterable[Part], *, encoding: Encoding = "utf-8", bom: bool = True,
                     stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield one CSV of several queries run one after the other (same columns, one header).

    A big export is split into consecutive time windows, each sorted on its own: DuckDB then
    sorts one window at a time instead of the whole result, so memory stays flat in the row
    count while the bytes are exactly those of one query sorted as a whole.
    """
    stats = stats if stats is not None else ExportStats()
    if encoding == "utf-8" and bom:
        stats.bytes += len(BOM)
        yield BOM
    header = True
    names: list[str] = []
    for sql, params in parts:
        cur, reader = _reader(store, sql, params)
        try:
            names = reader.schema.names
            for batch in _batches(reader):
                buf = io.BytesIO()
                pacsv.write_csv(neutralise(batch), buf, write_options=pacsv.WriteOptions(
                    include_header=header, quoting_style="needed", delimiter=","))
                header = False
                chunk = buf.getvalue()
                if encoding == "gbk":
                    chunk = chunk.decode("utf-8").encode("gbk", errors="replace")
                stats.rows += batch.num_rows
                stats.bytes += len(chunk)
                yield chunk
        finally:
            reader.close()
            cur.close()
    if header:  # no rows at all: still send the header line
        line = (",".join(_quote(n) for n in names) + "\n").encode(encoding)
        stats.bytes += len(line)
        yield line
    stats.done = True


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        if batch.num_rows:
            yield batch


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'  # as pyarrow writes header names


def parquet_parts(store: Reader, parts: Iterable[Part], stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield a Parquet file of the parts' rows, written batch by batch into a temporary file."""
    import tempfile

    stats = stats if stats is not None else ExportStats()
    with tempfile.TemporaryFile() as sink:
        writer: pq.ParquetWriter | None = None
        schema = None
        try:
            for sql, params in parts:
                cur, reader = _reader(store, sql, params)
                try:
                    schema = schema or reader.schema
                    if writer is None:
                        writer = pq.ParquetWriter(sink, schema, compression="zstd")
                    for batch in _batches(reader):
                        writer.write_batch(batch)
                        stats.rows += batch.num_rows
                finally:
                    reader.close()
                    cur.close()
        finally:
            if writer is not None:
                writer.close()
        sink.seek(0)
        while chunk := sink.read(1 << 20):
            stats.bytes += len(chunk)
            yield chunk
    stats.done = True


def parquet_bytes(store: Reader, sql: str, params: Sequence[Any] | None = None,
                  stats: ExportStats | None = None) -> Iterator[bytes]:
    """Yield a Parquet file of ``sql``."""
    return parquet_parts(store, [(sql, params)], stats=stats)
