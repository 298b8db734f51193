"""The audit log of exports and denials: one JSON line per event, readable by an auditor.

Written through the standard ``logging`` module to the logger ``citybrain.audit``; the app
factory attaches a file handler (``<db folder>/audit.log``) so that every worker appends to the
same file. Each line: time, event, user, role, what, filters, rows, bytes, seconds, outcome.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

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
