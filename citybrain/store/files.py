"""The store's versioned files: one writer at a time, atomic switch of the link, leftovers cleaned.

The store path is a link to ``<stem>-<time>-<version>.duckdb``. A writer (build or ingest) takes the
single-writer lock, writes a temporary file (``TMP_PREFIX``), fsyncs it, renames it to its versioned
name and ``switch``es the link atomically; readers open the new file on their next request. Old
versions beyond ``keep`` are pruned (a reader that pinned one keeps reading it: an open file outlives
its name on Linux). Leftovers of writers killed with ``kill -9`` are removed by the next writer.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, timezone
from pathlib import Path

from citybrain.warm.served import protected

log = logging.getLogger(__name__)
CST = timezone(timedelta(hours=8))
TMP_PREFIX = ".building-"
LOCK_NAME = ".ingest.lock"


@contextmanager
def writer_lock(target: Path) -> Iterator[None]:
    """Hold the store's single-writer lock (builds and ingests take turns; waits if busy)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / LOCK_NAME, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


#: The compactor's lock: held while one compacts (it writes parts without the writer lock).
COMPACT_LOCK_NAME = ".compact.lock"


@contextmanager
def compaction_lock(target: Path) -> Iterator[bool]:
    """Try the store's compaction lock without waiting; yields whether it is held now (released at
    the end). Like the writer lock it is a lock on a file of the store folder, so it holds across
    hosts sharing that folder (NFSv4 and CephFS carry ``flock`` to every client)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / COMPACT_LOCK_NAME, "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def cleanup_stale(target: Path) -> None:
    """Remove temporary files that killed builds and ingests left beside ``target``.

    Called under the writer lock, and only writers make these files: one that is not this process's
    was left by a writer that died, on this host or another (a pid says nothing across hosts)."""
    for p in target.parent.glob(f"{TMP_PREFIX}*"):
        try:
            pid = int(p.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid():
            log.info("removing leftover of an interrupted build: %s", p)
            p.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    """Flush a file to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch(target: Path, final: Path, keep: int = 3) -> None:
    """Point the ``target`` link at ``final`` atomically, then prune old versions (but the ones a
    server still serves until its warmer has caught up: ``citybrain.warm.served``)."""
    link_tmp = target.parent / f"{TMP_PREFIX}{os.getpid()}-link"
    link_tmp.unlink(missing_ok=True)
    os.symlink(final.name, link_tmp)
    os.replace(link_tmp, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    versions = sorted(target.parent.glob(f"{target.stem}-*{target.suffix}"))
    served = protected(target.parent)  # a server's warmer may still serve one of them (citybrain.warm)
    for old in versions[:-keep]:
        if old != final and old.name not in served:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """Whether a process is still running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
