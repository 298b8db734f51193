"""``citybrain workorders from-incidents``: open one work order per new incident (idempotent)."""

from __future__ import annotations

import click


@click.group()
def workorders() -> None:
    """Work orders (工单) of the operational database."""


@workorders.command("from-incidents")
@click.option("--region", "regions", multiple=True, help="Region code (default: every top region).")
def from_incidents_cmd(regions: tuple[str, ...]) -> None:
    """Open an order for every new incident that has none yet; print how many were opened."""
    from citybrain import context, queries
    from citybrain.ops.db import ensure
    from citybrain.ops.intake import from_incidents
    from citybrain.regions import REGIONS, TOP_REGIONS
    from citybrain.semantics.freshness import clock
    from citybrain.settings import get_settings

    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise click.BadParameter(f"unknown region {bad[0]} (one of {', '.join(TOP_REGIONS)})", param_hint="--region")
    ctx = context.build(get_settings())
    engine, store = ensure(ctx.ops), ctx.store
    at, now = queries.anchor(store), clock(ctx.settings.clock)
    total = 0
    for region in regions or TOP_REGIONS:
        made = from_incidents(engine, store, region, at, now)
        total += len(made)
        click.echo(f"{region}: {len(made)} new order(s)" + (f" ({', '.join(map(str, made))})" if made else ""))
    click.echo(f"opened {total} work order(s)")
