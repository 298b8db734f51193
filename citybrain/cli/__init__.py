"""The ``citybrain`` console script: build the store, serve the app, migrate the operational database."""

from __future__ import annotations

import logging
import sys

import click

from citybrain.errors import DataError
from citybrain.manifest import ManifestError
from citybrain.settings import get_settings


@click.group()
@click.option("--log-level", default=None, help="Logging level (default: CITYBRAIN_LOG_LEVEL or INFO).")
def main(log_level: str | None) -> None:
    """CityBrain operations cockpit (城市大脑运行驾驶舱)."""
    settings = get_settings()
    logging.basicConfig(level=(log_level or settings.log_level).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="Store file (default: CITYBRAIN_DB).")
@click.option("--only", multiple=True,
              help="Build only these datasets, comma-separated or repeated (and keep nothing else).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--days", type=click.IntRange(1, 400), default=None,
              help="Days of simulated history of vessel positions and traffic counts (default: "
                   "CITYBRAIN_HISTORY_DAYS or 7), to test at scale.")
def build(db: str | None, only: tuple[str, ...], no_progress: bool, days: int | None) -> None:
    """Build the store from datasets/ into a new file and switch to it atomically."""
    from citybrain.store.build import build_store

    settings = get_settings()
    if days is not None:
        settings = settings.model_copy(update={"history_days": days})
    try:
        names = [n.strip() for o in only for n in o.split(",") if n.strip()]
        res = build_store(settings, target=db, progress=not no_progress, only=names or None)
    except (DataError, ManifestError) as exc:
        click.secho(f"build failed, the previous store is unchanged: {exc}", fg="red", err=True)
        sys.exit(2)
    click.echo(f"store: {res.path}  version {res.data_version}  in {res.seconds:.1f} s")
    width = max((len(n) for n in res.rows), default=0)
    for name, tables in res.rows.items():
        detail = ", ".join(f"{t} {n:,}" for t, n in tables.items() if n)
        click.echo(f"  {name:<{width}}  {sum(tables.values()):>10,} rows  ({detail})")
    from citybrain.store.parts import store_bytes

    click.echo(f"  size {store_bytes(res.path) / 1e6:.1f} MB (catalog and Parquet parts)")


@main.command()
@click.option("--host", default=None, help="Listen address (default: CITYBRAIN_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: CITYBRAIN_PORT or 8050).")
@click.option("--workers", type=int, default=None, help="gunicorn workers (default: CITYBRAIN_WORKERS).")
@click.option("--dev", is_flag=True, help="Flask/Dash development server with reload and debug tools.")
@click.option("--demo", is_flag=True, help="Also run `citybrain simulate` beside the server: simulated live feeds.")
def serve(host: str | None, port: int | None, workers: int | None, dev: bool, demo: bool) -> None:
    """Serve the app (gunicorn), building the store first if it is missing."""
    settings = get_settings()
    if not settings.db.exists():
        click.echo(f"no store at {settings.db}: building it first")
        from citybrain.store.build import build_store

        build_store(settings)
    from citybrain.ops.db import make_engine
    from citybrain.ops.migrate import upgrade

    click.echo(f"operational database at revision {upgrade(make_engine(settings))}")
    host = host or settings.host
    port = port or settings.port
    if demo:
        from citybrain.cli.feeds import start_demo

        start_demo(host, port)
    if dev:
        from citybrain.app_factory import create_app

        create_app(settings).run(host=host, port=port, debug=True)
        return
    from citybrain.server import run_gunicorn

    run_gunicorn(host, port, workers or settings.workers, settings.access_log)


from citybrain.cli.users import users  # noqa: E402

main.add_command(users)

from citybrain.cli.ingest import compact, ingest, watch  # noqa: E402
from citybrain.cli.db import db  # noqa: E402
from citybrain.cli.duty import duty  # noqa: E402
from citybrain.cli.escalate import escalate  # noqa: E402

main.add_command(db)
main.add_command(duty)
main.add_command(escalate)
from citybrain.cli.workorders import workorders  # noqa: E402

main.add_command(workorders)

main.add_command(ingest)
main.add_command(watch)
main.add_command(compact)

from citybrain.cli.feeds import feeds, simulate, subscribe  # noqa: E402

main.add_command(feeds)
main.add_command(subscribe)
main.add_command(simulate)

