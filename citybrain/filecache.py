"""The filesystem cache of one host's gunicorn workers, trimmed in the background of writes.

cachelib's ``FileSystemCache`` keeps a count file it rewrites on every ``set`` and, once past its
threshold, scans and opens every cache file on every further ``set`` (then removes one file at a
time, rewriting the count file each time). Every key here carries the data version, so a live
store writes new entries all the time and old versions' entries are dead: past the threshold each
``set`` cost ~150 ms of CPU (5,000 files) and saturated a 2-core server under a 6-second feed.
This cache counts nothing on ``set``; at most every ``trim_every_s`` one process (a file lock in the
folder) lists the folder once (``stat`` only) and removes the oldest files beyond ``max_files``.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from cachelib import FileSystemCache

TRIM_LOCK = ".trim.lock"


class TrimmedFileCache(FileSystemCache):
    """A ``FileSystemCache`` bounded by ``max_files``, trimmed oldest first, at most every ``trim_every_s``."""

    def __init__(self, path: str, max_files: int = 5000, trim_every_s: float = 30.0, **kw: Any) -> None:
        super().__init__(path, threshold=0, **kw)  # no count file, no scan on set
        self.max_files = max_files
        self.trim_every_s = trim_every_s
        self._last_trim = float("-inf")
        self._trimming = threading.Lock()

    def set(self, key: str, value: Any, timeout: Any = None, mgmt_element: bool = False) -> bool:
        ok = super().set(key, value, timeout, mgmt_element)
        now = time.monotonic()
        if now - self._last_trim >= self.trim_every_s and self._trimming.acquire(blocking=False):
            try:
                self._last_trim = now
                self.trim()
            finally:
                self._trimming.release()
        return ok

    def trim(self) -> int:
        """Remove the oldest entries beyond ``max_files`` (down to 80 % of it); return how many. One
        process at a time (another one trimming: nothing to do here)."""
        with open(os.path.join(self._path, TRIM_LOCK), "a+b") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            entries = []
            with os.scandir(self._path) as it:
                for e in it:
                    if e.name.startswith(".") or e.name.endswith(self._fs_transaction_suffix):
                        continue  # the lock, and files being written
                    try:
                        entries.append((e.stat().st_mtime, e.path))
                    except FileNotFoundError:
                        continue
            if len(entries) <= self.max_files:
                return 0
            entries.sort()
            doomed = entries[:len(entries) - self.max_files * 4 // 5]
            for _, p in doomed:
                try:
                    os.remove(p)
                except FileNotFoundError:
                    pass
            return len(doomed)
