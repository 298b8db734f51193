"""One change to the served catalog, all or nothing: copy the small catalog, change the copy, switch.

The catalog is the DuckDB file the store link points at: dimensions, events, batches, meta and the
list of live parts (``citybrain.store.parts``); it stays small whatever the history, so copying it
is cheap. ``rewrite`` copies it to a temporary file, lets ``change`` write parts and edit the copy,
deletes parts retired long enough ago, checkpoints, fsyncs the copy and the new parts, renames the
copy to its versioned name and switches the link (``files.switch``). Until the switch, readers and
a killed process see the previous catalog; afterwards every reader opens the new one on its next
request. The caller holds the writer lock.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from citybrain.store import parts
from citybrain.store.files import TMP_PREFIX, fsync, switch

#: The writing connection's memory: a sort larger than this spills to disk (bounded memory per batch).
WRITE_CONFIG = {"memory_limit": "64MB", "threads": "1"}


def rewrite(target: Path, change: Callable[[duckdb.DuckDBPyConnection, parts.PartWriter], str], *,
            before_switch: Callable[[], None] | None = None, paused: Callable[[], None] | None = None,
            grace_s: float = parts.GRACE_S) -> str:
    """Apply ``change`` (returns the new data version) to a copy of the served catalog and switch to it.

    ``before_switch`` runs once the new catalog and its parts are durable, before readers see them;
    ``paused`` (tests) runs after the change, before the checkpoint."""
    current = Path(os.path.realpath(target))
    tmp = target.parent / f"{TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
    pw = parts.PartWriter(target)
    final = tmp
    try:
        shutil.copyfile(current, tmp)
        con = duckdb.connect(str(tmp), config=WRITE_CONFIG)
        try:
            version = change(con, pw)
            parts.purge(con, target, grace_s)
            if paused:
                paused()
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fsync(tmp)
        pw.durable()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")  # as the build names them
        final = target.parent / f"{target.stem}-{stamp}-{version}{target.suffix}"
        os.replace(tmp, final)
        if before_switch:
            before_switch()
        switch(target, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if os.path.realpath(target) != str(final):  # never served: its parts are nobody's
            pw.discard()
        raise
    return version
