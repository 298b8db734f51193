"""The *served* pointer: which store version a server's workers read, published by its warmer.

A writer switches the store link to each new version at once. A server that has a warmer
(``citybrain.warm.warmer``) does not let its workers follow the link directly: the warmer first
rebuilds, at the new version, what people watched lately (pages, wall panels), then writes the
version's file name into the server's pointer file, ``<store folder>/.served-<host>-<pid>``; the
workers' ``Store`` opens the file the pointer names. So every request after a batch finds its
page built already, and every worker of the server switches at the same moment.

Two guards keep the pointer from ever holding data back for long or losing it:

* a worker reads the link's version instead when it is older than ``lag_s`` seconds and the
  pointer has not caught up (a slow warmer delays a batch by ``lag_s`` at most), or when the pointer
  has not been touched for ``DEAD_S`` (its warmer is gone);
* a writer never prunes a version a fresh pointer names (``protected``); the warmer touches its
  pointer every few seconds, so a pointer left by a killed server stops protecting after ``FRESH_S``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: Pointer files in the store folder: ``.served-<host>-<pid>`` (one per server).
PREFIX = ".served-"
#: A pointer not touched for this long is left over by a killed server: it protects nothing.
FRESH_S = 60.0
#: How often the warmer touches its pointer (well within ``FRESH_S``).
HEARTBEAT_S = 5.0
#: A pointer not touched for this long has lost its warmer: workers follow the link.
DEAD_S = 3 * HEARTBEAT_S


def pointer_path(store_link: Path, pid: int | None = None) -> Path:
    """The pointer file of the server whose master is ``pid`` (this process by default)."""
    host = socket.gethostname().replace("/", "_")
    return Path(store_link).absolute().parent / f"{PREFIX}{host}-{pid or os.getpid()}"


def read(pointer: Path) -> str | None:
    """The version file name the pointer holds (None if there is no pointer yet)."""
    try:
        return pointer.read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def publish(pointer: Path, file: str) -> bool:
    """Point at the version ``file`` (a name in the store folder), atomically; never backwards (version
    names sort by their creation time). Return whether the pointer moved."""
    name = Path(file).name
    held = read(pointer)
    if held is not None and held >= name:
        if held == name:
            touch(pointer)
        return False
    tmp = pointer.with_name(f"{pointer.name}.tmp")
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, pointer)
    return True


def touch(pointer: Path) -> None:
    """Mark the pointer as alive (see ``FRESH_S``)."""
    try:
        os.utime(pointer)
    except FileNotFoundError:
        pass


def resolve(pointer: Path, link_target: str, lag_s: float) -> str:
    """The version file a worker reads: the pointer's, unless the link's is newer and has waited for the
    warmer for longer than ``lag_s`` seconds (or the pointer names nothing that exists)."""
    try:
        if time.time() - os.stat(pointer).st_mtime > DEAD_S:  # its warmer is gone
            return link_target
    except FileNotFoundError:
        return link_target
    held = read(pointer)
    if held is None:
        return link_target
    target = os.path.join(os.path.dirname(link_target), held)
    if target == link_target:
        return target
    try:
        waited = time.time() - os.stat(link_target).st_mtime
    except FileNotFoundError:
        waited = 0.0
    if held > os.path.basename(link_target) or waited > lag_s or not os.path.exists(target):
        return link_target
    return target


def protected(folder: Path) -> set[str]:
    """The version file names fresh pointers in ``folder`` hold (a writer must not prune them)."""
    out: set[str] = set()
    now = time.time()
    for p in Path(folder).glob(f"{PREFIX}*"):
        if p.name.endswith(".tmp"):
            continue
        try:
            if now - p.stat().st_mtime > FRESH_S:
                continue
        except FileNotFoundError:
            continue
        name = read(p)
        if name:
            out.add(name)
    return out


def remove(pointer: Path) -> None:
    """Remove the pointer (its server stops)."""
    pointer.unlink(missing_ok=True)
    pointer.with_name(f"{pointer.name}.tmp").unlink(missing_ok=True)
