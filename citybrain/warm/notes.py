"""What people watch, noted by the server's workers for its warmer: one small file per thing.

``note(kind, *args)`` writes ``<warm_dir>/<digest>.json`` (the kind and its arguments) the first time
and then only touches it, at most every ``TOUCH_S`` seconds per process: the file's time says when
someone last watched it. ``recent`` lists what was watched within ``RECENT_S`` seconds, newest first,
and deletes notes nobody has watched for ``FORGET_S``. Callers note only validated, bounded
arguments (a known region, a known panel), so a hostile caller cannot grow the set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: A process touches a note at most this often (seconds).
TOUCH_S = 10.0
#: The warmer rebuilds what was watched within this many seconds.
RECENT_S = 120.0
#: Notes older than this are deleted.
FORGET_S = 3600.0
#: At most this many notes are rebuilt per version (the most recently watched).
MOST = 200

#: (folder, digest) -> when this process last wrote or touched the note (a throttle, nothing more).
_touched: dict[tuple[str, str], float] = {}


def note(kind: str, *args: Any) -> None:
    """Note that someone watches ``kind`` with ``args`` (nothing when the server has no warmer)."""
    from citybrain.context import current

    folder = current().settings.warm_dir
    if folder is None:
        return
    raw = json.dumps([kind, list(args)], sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha1(raw.encode()).hexdigest()[:20]
    mark, now = (str(folder), digest), time.monotonic()
    if now - _touched.get(mark, -TOUCH_S) < TOUCH_S:
        return
    _touched[mark] = now
    path = Path(folder) / f"{digest}.json"
    try:
        os.utime(path)
    except FileNotFoundError:
        try:
            tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
            tmp.write_text(raw, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            log.debug("warm note %s not written", path, exc_info=True)
    except OSError:
        log.debug("warm note %s not touched", path, exc_info=True)


def recent(folder: Path, within_s: float = RECENT_S) -> list[tuple[str, list[Any]]]:
    """The notes watched within ``within_s`` seconds, newest first (at most ``MOST``); forgets old ones."""
    now, found = time.time(), []
    for p in Path(folder).glob("*.json"):
        try:
            age = now - p.stat().st_mtime
            if age > FORGET_S:
                p.unlink(missing_ok=True)
                continue
            if age <= within_s:
                found.append((age, p))
        except FileNotFoundError:
            continue
    out = []
    for _age, p in sorted(found, key=lambda f: f[0])[:MOST]:
        try:
            kind, args = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append((kind, args))
    return out
