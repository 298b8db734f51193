"""The audit log of exports, denials and sign-ins: one JSON line per event, readable by an auditor.

Written through the standard ``logging`` module to the logger ``citybrain.audit``; the app
factory attaches a file handler (``<db folder>/audit.log``) so that every worker appends to the
same file. Each line: time, event, user, role, what, filters, rows, bytes, seconds, outcome.

An export writes two lines with one ``export_id``: ``export_start`` when the response begins and
``export`` when it ends (``outcome`` complete, or aborted with the bytes sent until then); a start
without an end is an export cut off by a killed worker.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("citybrain.audit")
CST = timezone(timedelta(hours=8))


def configure(path: Path) -> None:
    """Append audit lines to ``path`` (idempotent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for h in log.handlers:
        if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve():
            return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def record(event: str, **fields: Any) -> None:
    """Write one audit line."""
    line = {"time": datetime.now(CST).isoformat(timespec="seconds"), "event": event}
    line.update({k: v for k, v in fields.items()})
    log.info(json.dumps(line, ensure_ascii=False, default=str, sort_keys=False))


class _Progress(Protocol):
    rows: int
    done: bool


def audited(chunks: Iterable[bytes], what: dict[str, Any], stats: _Progress) -> Iterator[bytes]:
    """Write ``export_start`` now and return ``chunks`` passed through; when the stream ends (complete,
    client gone or closed by the server) the ``export`` line gives rows, bytes sent and the outcome."""
    export_id = secrets.token_hex(8)
    record("export_start", export_id=export_id, **what)
    return _pass_through(chunks, what, stats, export_id)


def _pass_through(chunks: Iterable[bytes], what: dict[str, Any], stats: _Progress, export_id: str) -> Iterator[bytes]:
    t0, sent = time.perf_counter(), 0
    try:
        for chunk in chunks:
            yield chunk
            sent += len(chunk)  # the server asked for more: this chunk went out
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        record("export", export_id=export_id, **what, rows=stats.rows, bytes=sent,
               seconds=round(time.perf_counter() - t0, 3), outcome="complete" if stats.done else "aborted")
