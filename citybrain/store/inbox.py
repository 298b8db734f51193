"""A watched inbox: feed files dropped into ``<inbox>/<dataset>/[<kind>/]`` are ingested as they complete.

``<inbox>/<dataset>/*.csv`` are observations; ``<inbox>/<dataset>/<kind>/`` takes feeds of that kind
(observations, tracks, events, entities). Only ``*.csv`` and ``*.ndjson`` files count (a sender
writes ``name.csv.part`` or ``name.tmp`` and renames it when done), and a file is taken only once its size and modification time stayed the same across two
polls, so a file still being copied is never read half-written. Each file then moves to
``<inbox>/done/<dataset>/`` or, when it is bad, to ``<inbox>/failed/<dataset>/`` beside a
``<name>.error.txt`` holding the clear ``DataError`` message (dataset, file, row, field, problem).
The served store is never touched by a bad file (see ``ingest``).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from citybrain.errors import DataError
from citybrain.feeds.kinds import KINDS
from citybrain.store.ingest import IngestResult, ingest_file
from citybrain.settings import Settings, get_settings

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"
PATTERNS = ("*.csv", "*.ndjson")


@dataclass
class Outcome:
    """What happened to one inbox file: ``done`` (ingested or already there) or ``failed``."""

    source: Path
    moved_to: Path
    status: str
    message: str
    result: IngestResult | None = None


def default_inbox(settings: Settings) -> Path:
    """``<db dir>/inbox``."""
    return Path(settings.db).parent / "inbox"


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/<stem>-<n><suffix>`` when a file of that name is already there."""
    dest = folder / name
    n = 1
    while dest.exists():
        dest = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return dest


@dataclass
class Inbox:
    """Polls ``root/<dataset>/*.csv`` and ingests each file once it is complete."""

    root: Path
    settings: Settings = field(default_factory=get_settings)
    target: Path | None = None
    simulated: bool = False
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def candidates(self) -> list[Path]:
        """Feed files waiting in a dataset folder (oldest first)."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and folder.name not in (DONE, FAILED) and not folder.name.startswith("."):
                found += [p for p in folder.glob("*.csv") if p.is_file() and not p.name.startswith(".")]
                for kind in KINDS:
                    found += [p for pat in PATTERNS for p in (folder / kind).glob(pat)
                              if p.is_file() and not p.name.startswith(".")]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def poll(self) -> list[Outcome]:
        """One pass: ingest every file whose size and time did not change since the last pass."""
        outcomes = []
        current = set()
        for path in self.candidates():
            try:
                st = path.stat()
            except FileNotFoundError:  # renamed away by its sender meanwhile
                continue
            current.add(path)
            sig = (st.st_size, st.st_mtime_ns)
            if self._seen.get(path) != sig:
                self._seen[path] = sig  # new or still growing: look again next poll
                continue
            outcome = self.process(path)
            if outcome is not None:
                outcomes.append(outcome)
                current.discard(path)
        self._seen = {p: s for p, s in self._seen.items() if p in current}
        return outcomes

    def process(self, path: Path) -> Outcome | None:
        """Ingest one complete file and move it to done/ or failed/ (None: left for a retry)."""
        top = path.parent.parent == self.root  # <dataset>/file (observations) or <dataset>/<kind>/file
        dataset, kind = (path.parent.name, "observations") if top else (path.parent.parent.name, path.parent.name)
        sub = dataset if top else f"{dataset}/{kind}"
        try:
            res = ingest_file(dataset, path, self.settings, target=self.target, simulated=self.simulated, kind=kind)
        except DataError as exc:
            dest = self._move(path, FAILED, sub)
            dest.with_name(dest.name + ".error.txt").write_text(str(exc) + "\n", encoding="utf-8")
            log.error("inbox: %s rejected, moved to %s: %s", path.name, dest, exc)
            return Outcome(path, dest, FAILED, str(exc))
        except Exception:  # not the file's fault (disk, lock, store): keep it and retry next poll
            log.exception("inbox: ingest of %s failed for a reason outside the file; will retry", path)
            return None
        dest = self._move(path, DONE, sub)
        if res.noop:
            msg = f"{path.name}: already ingested as batch {res.batch_id}, nothing to do"
        else:
            msg = (f"{path.name}: {res.rows} rows ingested as batch {res.batch_id} ({res.kind}), "
                   f"data version {res.previous_version} -> {res.data_version}")
        log.info("inbox: %s", msg)
        return Outcome(path, dest, DONE, msg, res)

    def _move(self, path: Path, where: str, sub: str) -> Path:
        folder = self.root / where / sub
        folder.mkdir(parents=True, exist_ok=True)
        dest = _free_name(folder, path.name)
        os.replace(path, dest)
        return dest

    def run(self, interval: float = 5.0, max_polls: int | None = None) -> None:
        """Poll every ``interval`` seconds (forever, or ``max_polls`` times)."""
        for d in (self.root, self.root / DONE, self.root / FAILED):
            d.mkdir(parents=True, exist_ok=True)
        log.info("watching %s every %.1f s (drop files into %s/<dataset>/[<kind>/]*.csv|ndjson)", self.root,
                 interval, self.root)
        n = 0
        while max_polls is None or n < max_polls:
            self.poll()
            n += 1
            if max_polls is None or n < max_polls:
                time.sleep(interval)
