"""The warmer: a process beside a server's gunicorn workers (``python -m citybrain.warm``).

It follows the store link. For each new version it rebuilds, pinned to that version, the things the
workers noted lately (``citybrain.warm.notes``), newest first, into the shared cache; then it
publishes the version in the server's pointer (``citybrain.warm.served``), which the workers read.
A version is published at the latest ``lag_s / 2`` seconds after it appeared, warm or not; a version
overtaken by a newer one before that is skipped. It touches the pointer while idle (the workers
ignore a pointer left by a dead warmer) and ends when its server (its parent process) ends.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from citybrain import cache
from citybrain.context import EXTENSION
from citybrain.settings import Settings, get_settings
from citybrain.store import Snapshot, StoreMissing
from citybrain.warm import kinds, notes, served

log = logging.getLogger(__name__)

#: How often the warmer looks at the link (seconds).
POLL_S = 0.1
#: Its CPU priority below the workers' where ``SCHED_IDLE`` is not available (``nice``).
NICE = 10
#: How often it logs what it did (seconds).
REPORT_S = 60.0


class Warmer:
    """Rebuilds and publishes the versions of one server's store (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        from citybrain.app_factory import create_app

        if settings.served is None or settings.warm_dir is None:
            raise ValueError("the warmer needs CITYBRAIN_SERVED and CITYBRAIN_WARM_DIR (the server sets them)")
        self.pointer, self.folder = Path(settings.served), Path(settings.warm_dir)
        self.deadline_s = settings.warm_lag_s / 2
        # its own store follows the link itself; its own requests note nothing
        self.app = create_app(settings.model_copy(update={"served": None, "warm_dir": None}))
        self.store = self.app.server.extensions[EXTENSION].store
        self.published: str | None = None
        self.pending_since: float | None = None  # when the oldest version not yet published appeared
        self.beat = 0.0
        self.stats = {"versions": 0, "skipped": 0, "late": 0, "rebuilt": 0, "failed": 0, "seconds": 0.0}
        self.reported = time.monotonic()

    def step(self) -> bool:
        """Warm and publish the newest version if it is not published yet; return whether it was new."""
        try:
            snap = self.store.latest()
        except StoreMissing:
            return False
        if snap.file == self.published:
            self._heartbeat()
            return False
        if self.pending_since is None:
            self.pending_since = _appeared(snap.file)
        t0 = time.monotonic()
        self._round(snap)
        self.stats["seconds"] += time.monotonic() - t0
        return True

    def _round(self, snap: Snapshot) -> None:
        todo = notes.recent(self.folder)
        with self.app.server.test_request_context("/"), cache.request_scope():
            self.store.pin(snap)
            for kind, args in todo:
                if self.published != snap.file and self._overdue():
                    self.stats["late"] += 1
                    self._publish(snap)
                if self._overtaken(snap):  # warm the newer one instead
                    self.stats["skipped"] += self.published != snap.file
                    return
                self._heartbeat()
                if not kinds.known(kind):
                    continue
                try:
                    kinds.run(kind, args)
                    self.stats["rebuilt"] += 1
                except Exception:  # noqa: BLE001 - a request will meet (and report) the same error
                    self.stats["failed"] += 1
                    log.warning("warmer: rebuilding %s %s failed", kind, args, exc_info=True)
        if self.published != snap.file:
            self._publish(snap)

    def _heartbeat(self) -> None:
        """Touch the pointer every ``HEARTBEAT_S / 2`` (the workers ignore a pointer left untouched)."""
        if time.monotonic() - self.beat > served.HEARTBEAT_S / 2:
            served.touch(self.pointer)
            self.beat = time.monotonic()

    def _overdue(self) -> bool:
        return self.pending_since is not None and time.time() - self.pending_since > self.deadline_s

    def _overtaken(self, snap: Snapshot) -> bool:
        return os.path.realpath(self.store.path) != snap.file

    def _publish(self, snap: Snapshot) -> None:
        served.publish(self.pointer, snap.file)
        self.published, self.pending_since, self.beat = snap.file, None, time.monotonic()
        self.stats["versions"] += 1
        log.debug("warmer: published %s", snap.version)

    def report(self) -> None:
        """Log what it did since the last report (every ``REPORT_S``)."""
        if time.monotonic() - self.reported < REPORT_S:
            return
        s = self.stats
        if s["versions"] or s["skipped"]:
            log.info("warmer: %d versions published (%d at their deadline, %d skipped as overtaken), "
                     "%d rebuilds (%d failed) in %.1f s", s["versions"], s["late"], s["skipped"],
                     s["rebuilt"], s["failed"], s["seconds"])
        self.stats = dict.fromkeys(s, 0) | {"seconds": 0.0}
        self.reported = time.monotonic()


def _appeared(file: str) -> float:
    try:
        return os.stat(file).st_mtime
    except FileNotFoundError:
        return time.time()


def _lower_priority() -> None:
    """Requests first: the warmer runs only on CPU the workers leave idle (Linux ``SCHED_IDLE``; else
    ``nice``). A saturated server publishes at the deadline, and its requests rebuild as before."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(NICE)


def main() -> None:
    """``python -m citybrain.warm``: run until the parent (the server) ends."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s [warmer %(process)d] %(levelname)s %(message)s")
    logging.getLogger("citybrain").setLevel(logging.INFO)
    parent = os.getppid()
    _lower_priority()
    warmer = Warmer(get_settings())
    log.info("warmer: publishing versions of %s in %s", warmer.store.path, warmer.pointer)
    while os.getppid() == parent:
        try:
            if not warmer.step():
                time.sleep(POLL_S)
            warmer.report()
        except Exception:  # noqa: BLE001 - keep serving versions; the next step tries again
            log.exception("warmer: step failed")
            time.sleep(1.0)
    served.remove(warmer.pointer)
