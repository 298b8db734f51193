"""CLI commands ``citybrain ingest`` and ``citybrain watch`` (added to the group in ``cli``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from citybrain.errors import DataError
from citybrain.settings import get_settings


@click.command()
@click.argument("dataset")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: CITYBRAIN_DB).")
@click.option("--simulated", is_flag=True, help="Mark the rows as simulated (a test or demo feed).")
@click.option("--kind", type=click.Choice(["observations", "tracks", "events", "entities"]), default="observations",
              show_default=True, help="What FILE holds.")
def ingest(dataset: str, file: Path, db: Path | None, simulated: bool, kind: str) -> None:
    """Add FILE (a feed of DATASET, CSV or NDJSON by its suffix) to the served store as one batch, atomically.

    Columns by --kind: observations: indicator_id, region_code, entity_id (may be empty), ts (ISO
    8601, China Standard Time), value, quality; tracks: id, ts, lon, lat, speed (kn), heading (°)
    [, status, kind, region_code]; events: event_id, ts, status [, kind, region_code, entity_id,
    title_zh, title_en, severity, lon, lat, reporter_name, properties]; entities: entity_id [, kind,
    name_zh, name_en, region_code, lon, lat, properties, classification]. A bad file changes
    nothing; the same file twice is a no-op.
    """
    from citybrain.store.ingest import ingest_file

    try:
        res = ingest_file(dataset, file, get_settings(), target=db, simulated=simulated, kind=kind,
                          compact_after=False)  # this process ends now: `citybrain compact` merges
    except DataError as exc:
        click.secho(f"ingest failed, the served store is unchanged: {exc}", fg="red", err=True)
        sys.exit(2)
    if res.noop:
        click.echo(f"{res.file} was already ingested as batch {res.batch_id}: nothing to do "
                   f"(data version {res.data_version})")
        return
    click.echo(f"ingested {res.rows:,} {res.kind} rows of {res.dataset} from {res.file} as batch {res.batch_id}; "
               f"data version {res.previous_version} -> {res.data_version} in {res.seconds:.2f} s")


@click.command()
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Inbox folder (default: <db dir>/inbox); files go in <inbox>/<dataset>/*.csv "
                   "(observations) or <inbox>/<dataset>/<kind>/*.csv|*.ndjson.")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: CITYBRAIN_DB).")
@click.option("--max-polls", type=int, default=None, help="Stop after this many polls (default: run until stopped).")
@click.option("--simulated", is_flag=True, help="Mark ingested rows as simulated.")
def watch(inbox: Path | None, interval: float, db: Path | None, max_polls: int | None, simulated: bool) -> None:
    """Watch an inbox and ingest each complete feed file; move it to done/ or failed/ (+ .error.txt)."""
    from citybrain.store.inbox import Inbox, default_inbox

    settings = get_settings()
    box = Inbox(inbox or default_inbox(settings), settings, target=db, simulated=simulated)
    try:
        box.run(interval=max(interval, 0.05), max_polls=max_polls)
    except KeyboardInterrupt:
        click.echo("stopped")


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: CITYBRAIN_DB).")
@click.option("--min-parts", type=int, default=None, help="Merge a month's small parts once there are this many "
                                                           "(default 8).")
@click.option("--every", type=float, default=None, help="Run again every this many seconds (default: once).")
def compact(db: Path | None, min_parts: int | None, every: float | None) -> None:
    """Merge the small parts batches left and drop rows past each dataset's ``live: keep`` span.

    Readers and writers go on meanwhile; the store switches to the compacted catalog at the end."""
    import time

    from citybrain.store.compact import MIN_PARTS
    from citybrain.store.compact import compact as run

    target = Path(db or get_settings().db)
    while True:
        res = run(target, min_parts=min_parts or MIN_PARTS)
        click.echo(f"compacted: {res.merged} part(s) merged, {res.dropped} cut by retention, "
                   f"{res.written} written" + (f"; data version {res.data_version}" if res.data_version else ""))
        if every is None:
            return
        time.sleep(max(every, 1.0))
