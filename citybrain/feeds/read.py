"""Reading feed input in bounded memory: regular files only, CSV or NDJSON, in chunks of rows.

``stage_copy`` copies the input (a file given by path, or any byte stream such as an HTTP body)
into the archive's staging name while hashing it, in blocks, refusing anything but a regular file
and anything past a size limit. ``chunks`` then reads that copy strictly, ``CHUNK_ROWS`` records
at a time, as untyped frames with every column of the feed kind (absent optional columns empty)
and the spreadsheet row number of their first record: a CSV's header is row 1, an NDJSON line is
numbered as is. Typing and range checks are ``citybrain.validate.coerce_frame``'s.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from citybrain.errors import DataError
from citybrain.feeds.kinds import FeedKind

CHUNK_ROWS = 20_000
BLOCK = 1 << 20


class TooLarge(DataError):
    """The input is larger than the configured limit (HTTP answers 413)."""


def open_regular(path: Path, *, dataset: str) -> BinaryIO:
    """Open ``path`` for reading if (after following links) it is a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror}", dataset=dataset, file=path.name) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
        raise DataError(f"is not a regular file (it is {what}): only regular files are read",
                        dataset=dataset, file=path.name)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def stage_copy(src: BinaryIO, dest: Path, *, dataset: str, file: str, max_bytes: int | None = None) -> tuple[str, int]:
    """Copy ``src`` to ``dest`` block by block; return (sha256, size). ``TooLarge`` past ``max_bytes``."""
    h = hashlib.sha256()
    size = 0
    with open(dest, "wb") as out:
        while True:
            block = src.read(BLOCK)
            if not block:
                break
            size += len(block)
            if max_bytes is not None and size > max_bytes:
                raise TooLarge(f"is larger than the limit of {max_bytes:,} bytes", dataset=dataset, file=file)
            h.update(block)
            out.write(block)
    return h.hexdigest(), size


def detect_format(name: str, content_type: str | None = None) -> str:
    """``ndjson`` for ``*.ndjson``/``*.jsonl`` or ``application/x-ndjson``, else ``csv``."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return "ndjson"
    if ct in ("text/csv", "application/csv"):
        return "csv"
    return "ndjson" if name.lower().endswith((".ndjson", ".jsonl")) else "csv"


def chunks(path: Path, kind: FeedKind, fmt: str, *, dataset: str, file: str) -> Iterator[tuple[int, pd.DataFrame]]:
    """(first row number, untyped frame) for every ``CHUNK_ROWS`` records of a staged feed."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(BLOCK)
        if not head.strip():
            raise DataError("file is empty", dataset=dataset, file=file)
        fh.seek(max(size - 1, 0))
        ends_with_newline = fh.read(1) == b"\n"
    reader = _csv_chunks if fmt == "csv" else _ndjson_chunks
    n = 0
    for first, frame in reader(path, kind, dataset=dataset, file=file, complete=ends_with_newline):
        n += len(frame)
        yield first, frame
    if n == 0:
        raise DataError("has no data rows", dataset=dataset, file=file)


def _header(header: list[str], kind: FeedKind, *, dataset: str, file: str) -> None:
    missing = [c for c in kind.names if c in kind.required and c not in header]
    extra = [c for c in header if c not in kind.names]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", dataset=dataset, file=file, row=1, field=missing[0])
    if extra:
        raise DataError(f"unexpected column(s) {', '.join(extra)} (a {kind.name} feed has "
                        f"{', '.join(kind.names)})", dataset=dataset, file=file, row=1, field=extra[0])
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise DataError("duplicate column", dataset=dataset, file=file, row=1, field=dup)


def _frame(rows: list, columns: list[str], kind: FeedKind) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    for c in kind.names:
        if c not in frame.columns:
            frame[c] = None
    return frame[kind.names]


def _lines(raw: BinaryIO, *, dataset: str, file: str) -> Iterator[str]:
    """Decoded lines of a binary file (UTF-8, a leading BOM dropped); DataError naming the bad line."""
    offset = 0
    for n, line in enumerate(raw, start=1):
        if n == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"not valid UTF-8 at byte {offset + exc.start} (wrong encoding? files must be UTF-8)",
                            dataset=dataset, file=file, row=n) from None
        offset += len(line)


def _csv_chunks(path: Path, kind: FeedKind, *, dataset: str, file: str,
                complete: bool) -> Iterator[tuple[int, pd.DataFrame]]:
    with open(path, "rb") as raw:
        reader = csv.reader(_lines(raw, dataset=dataset, file=file), strict=True)
        try:
            header = next(reader)
            _header(header, kind, dataset=dataset, file=file)
            rows: list[list[str]] = []
            first = 2
            for rec in reader:
                if len(rec) != len(header):
                    if not complete and len(rec) < len(header):
                        raise DataError("file is truncated: the last line has no line end", dataset=dataset,
                                        file=file, row=reader.line_num)
                    raise DataError(f"has {len(rec)} fields, the header has {len(header)} (truncated or "
                                    "misquoted record)", dataset=dataset, file=file, row=reader.line_num)
                rows.append(rec)
                if len(rows) >= CHUNK_ROWS:
                    yield first, _frame(rows, header, kind)
                    first += len(rows)
                    rows = []
        except csv.Error as exc:
            raise DataError(f"malformed CSV: {exc}", dataset=dataset, file=file, row=reader.line_num) from None
        except StopIteration:
            raise DataError("file is empty", dataset=dataset, file=file) from None
    if not complete:
        raise DataError("file is truncated: the last line has no line end", dataset=dataset, file=file,
                        row=reader.line_num)
    if rows:
        yield first, _frame(rows, header, kind)


def _plain(value: object, *, dataset: str, file: str, row: int, field: str) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict) and field == "properties":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    raise DataError(f"is a JSON {type(value).__name__}, not a plain value", dataset=dataset, file=file,
                    row=row, field=field)


def parse_object(line: bytes, kind: FeedKind, *, dataset: str, file: str, row: int) -> list[object]:
    """One NDJSON line as the kind's columns (DataError naming the row and field)."""
    try:
        obj = json.loads(line)
    except UnicodeDecodeError:
        raise DataError("not valid UTF-8 (files must be UTF-8)", dataset=dataset, file=file, row=row) from None
    except ValueError as exc:
        raise DataError(f"is not valid JSON ({exc})", dataset=dataset, file=file, row=row) from None
    if not isinstance(obj, dict):
        raise DataError("is not a JSON object", dataset=dataset, file=file, row=row)
    extra = [k for k in obj if k not in kind.names]
    if extra:
        raise DataError(f"unexpected field(s) {', '.join(map(str, extra))} (a {kind.name} feed has "
                        f"{', '.join(kind.names)})", dataset=dataset, file=file, row=row, field=str(extra[0]))
    missing = [c for c in kind.names if c in kind.required and c not in obj]
    if missing:
        raise DataError(f"missing field(s) {', '.join(missing)}", dataset=dataset, file=file, row=row,
                        field=missing[0])
    return [_plain(obj.get(c), dataset=dataset, file=file, row=row, field=c) for c in kind.names]


def _ndjson_chunks(path: Path, kind: FeedKind, *, dataset: str, file: str,
                   complete: bool) -> Iterator[tuple[int, pd.DataFrame]]:
    rows: list[list[object]] = []
    first = 1
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                raise DataError("is an empty line (NDJSON has one object per line)", dataset=dataset,
                                file=file, row=n)
            if not rows:
                first = n
            rows.append(parse_object(line, kind, dataset=dataset, file=file, row=n))
            if len(rows) >= CHUNK_ROWS:
                yield first, _frame(rows, kind.names, kind)
                rows = []
    if not complete:
        raise DataError("file is truncated: the last line has no line end", dataset=dataset, file=file, row=n)
    if rows:
        yield first, _frame(rows, kind.names, kind)
