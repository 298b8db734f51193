"""Live loading: add one validated batch of a feed to the served store while it is served.

DuckDB allows one writer and many reader processes, and the readers hold the served file open, so
an ingest never writes that file. Under an exclusive lock (``<db dir>/.ingest.lock``, shared with
``citybrain build``) a feed is checked against the served store; the writer (``citybrain.feeds.writer``)
writes observations and positions as a new Parquet part (``citybrain.store.parts``), copies the small
catalog file to a temporary file beside it, lists the part there (or applies events and entities),
records the batch in ``batches``, chains the data version (``sha256(old version + batch sha)``), checkpoints, closes
and fsyncs, and switches the link exactly like the build does. Readers re-resolve the link on their
next query and every cached result is keyed by the data version, so all workers move to the new data
at once. A batch is all or nothing: a bad file raises ``DataError`` before anything is written, and
a process killed at any point leaves the link on the previous complete file (the next build or
ingest removes its leftovers).

Each ingested file is archived as ``<db dir>/ingested/<dataset>/<sha256>.<csv|ndjson>`` with a JSON
side file, and ``citybrain build`` replays the archive after the loaders, so a rebuild loses nothing.
The four feed kinds, the transports and the checks are in ``citybrain.feeds``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from citybrain.feeds.archive import ARCHIVE_DIR, replay
from citybrain.feeds.pipeline import IngestResult, ingest
from citybrain.feeds.writer import chain_version
from citybrain.settings import Settings
from citybrain.store.files import writer_lock
from citybrain.store.parts import PartWriter

__all__ = ["ARCHIVE_DIR", "IngestResult", "chain_version", "ingest_file", "replay_archived", "writer_lock"]


def ingest_file(dataset: str, path: Path | str, settings: Settings | None = None, *,
                target: Path | None = None, simulated: bool = False, kind: str = "observations",
                compact_after: bool = True) -> IngestResult:
    """Validate the file ``path`` as a ``kind`` feed of ``dataset`` and add it to the served store atomically
    (``compact_after``: a long-running caller lets enough small parts start a background compaction)."""
    return ingest(dataset, Path(path), settings, kind=kind, target=target, simulated=simulated,
                  compact_after=compact_after)


def replay_archived(con: duckdb.DuckDBPyConnection, target: Path, version: str, pw: PartWriter) -> str:
    """Append the archived batches of the datasets just built (see ``citybrain.feeds.archive.replay``)."""
    return replay(con, target, version, pw)
