"""``citybrain db upgrade|current``: the operational database's migrations (``citybrain.ops``)."""

from __future__ import annotations

import click

from citybrain.settings import get_settings


@click.group()
def db() -> None:
    """The operational database (alarm states, work orders): CITYBRAIN_OPS_DB or <db folder>/ops.sqlite."""


@db.command("upgrade")
def upgrade_cmd() -> None:
    """Apply every migration the database lacks (a no-op when it is up to date)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain.ops.db import make_engine
    from citybrain.ops.migrate import current, upgrade

    engine = make_engine(get_settings())
    try:
        before = current(engine)
        after = upgrade(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot migrate {engine.url.render_as_string()}: {exc.__class__.__name__}: "
                                   f"{str(exc).splitlines()[0]}") from None
    state = "already at" if before == after else f"migrated {before or 'empty'} ->"
    click.echo(f"{engine.url.render_as_string()}: {state} {after}")


@db.command("current")
def current_cmd() -> None:
    """Print the revision the database is at and the newest one the code knows."""
    from citybrain.ops.db import make_engine
    from citybrain.ops.migrate import current, head

    engine = make_engine(get_settings())
    click.echo(f"{engine.url.render_as_string()}: at {current(engine) or 'empty'}, code head {head()}")
