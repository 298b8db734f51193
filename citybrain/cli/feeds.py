"""``citybrain feeds add|list|remove`` (feed tokens), ``citybrain subscribe`` (MQTT) and ``citybrain simulate``."""

from __future__ import annotations

import sys

import click

from citybrain.settings import get_settings


@click.group()
def feeds() -> None:
    """Feed tokens: who may push live feeds of a dataset over HTTP (stored hashed in the ops database)."""


def _engine():
    from citybrain.ops.db import make_engine

    return make_engine(get_settings())


@feeds.command("add")
@click.argument("name")
@click.option("--dataset", required=True, help="The one dataset this feed may push.")
def add(name: str, dataset: str) -> None:
    """Create a feed token NAME for DATASET; the token is the last line (shown only now)."""
    from citybrain.feeds import tokens

    try:
        token = tokens.add(_engine(), name, dataset)
    except ValueError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    click.echo(f"feed {name} may push dataset {dataset}: POST /api/v1/ingest/{dataset}?kind=… with "
               "Authorization: Bearer <token>. Keep the token; it is not shown again:")
    click.echo(token)


@feeds.command("list")
def list_() -> None:
    """Feed tokens (names and datasets; the tokens themselves are not kept)."""
    from citybrain.feeds import tokens

    rows = tokens.listing(_engine())
    if not rows:
        click.echo("no feed tokens")
    for t in rows:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(f"{t.name}\t{t.dataset}\tcreated {t.created_at:%Y-%m-%d %H:%M}\tlast used {used}")


@feeds.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the feed token NAME (its pushes are refused from now on)."""
    from citybrain.feeds import tokens

    if not tokens.remove(_engine(), name):
        click.secho(f"no feed named {name}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"removed feed {name}")
