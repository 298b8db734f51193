"""``citybrain duty roster add|list|remove`` and ``citybrain duty handover SHIFT``: the duty roster and
the handover summary from the command line (``citybrain.ops.duty``, ``handover``); writes are audited
as the operating-system user (``via: cli``)."""

from __future__ import annotations

import getpass
import json
from datetime import datetime, timedelta

import click

from citybrain.settings import get_settings


def _engine():
    from citybrain.ops.db import ensure, make_engine

    return ensure(make_engine(get_settings()))


def _time(_ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date-time such as 2026-12-02T08:00 (CST)", param=param) from None


def _region(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from citybrain.regions import REGIONS

    if value is not None and value not in REGIONS:
        raise click.BadParameter(f"{value!r} is not one of {', '.join(REGIONS)}", param=param)
    return value


@click.group()
def duty() -> None:
    """The duty roster (值班表) and handover summaries (交接班摘要)."""


@duty.group()
def roster() -> None:
    """Who is on duty when."""


@roster.command("add")
@click.argument("user")
@click.option("--role", type=click.Choice(["duty", "leader"]), required=True, help="duty (值班员) or leader (带班领导).")
@click.option("--region", callback=_region, default=None, help="Region code (default: CITYBRAIN_REGION).")
@click.option("--start", "starts_at", callback=_time, required=True, help="Shift start, CST (2026-12-02T08:00).")
@click.option("--end", "ends_at", callback=_time, required=True, help="Shift end, CST (2026-12-02T20:00).")
def add_cmd(user: str, role: str, region: str | None, starts_at: datetime, ends_at: datetime) -> None:
    """Put USER on the roster."""
    from citybrain import audit
    from citybrain.ops import duty as ops_duty
    from citybrain.ops.errors import OpsError
    from citybrain.semantics.freshness import clock

    settings = get_settings()
    if not 0 < len(user.strip()) <= 64:
        raise click.BadParameter("1 to 64 characters", param_hint="USER")
    audit.configure(settings.db.parent / "audit.log")
    try:
        out = ops_duty.add_shift(_engine(), user=user.strip(), role=role, region=region or settings.region,
                                 starts_at=starts_at, ends_at=ends_at, created_by=getpass.getuser(),
                                 now=clock(settings.clock))
    except OpsError as exc:
        hint = {"starts_at": "--start", "ends_at": "--end"}.get(exc.details.get("parameter", ""), "--end")
        raise click.BadParameter(exc.message, param_hint=hint) from None
    audit.record("duty_roster_add", user=getpass.getuser(), role="cli", via="cli", id=out["id"],
                 shift={k: str(v) for k, v in out.items()})
    click.echo(f"roster entry {out['id']}: {out['user']} ({role}) {out['region_code']} {starts_at} – {ends_at}")


@roster.command("list")
@click.option("--region", callback=_region, default=None, help="Region code (default: CITYBRAIN_REGION).")
@click.option("--date", "day", callback=_time, default=None, help="The day (default: today).")
def list_cmd(region: str | None, day: datetime | None) -> None:
    """The roster entries overlapping a day."""
    from citybrain.ops import duty as ops_duty
    from citybrain.semantics.freshness import clock

    settings = get_settings()
    start = (day or clock(settings.clock)).replace(hour=0, minute=0, second=0, microsecond=0)
    for r in ops_duty.roster(_engine(), region or settings.region, start, start + timedelta(days=1)):
        click.echo(f"{r['id']}\t{r['role']}\t{r['user']}\t{r['region_code']}\t{r['starts_at']}\t{r['ends_at']}")


@roster.command("remove")
@click.argument("shift_id", type=click.IntRange(1, 2**31 - 1))
def remove_cmd(shift_id: int) -> None:
    """Take roster entry SHIFT_ID off the roster."""
    from citybrain import audit
    from citybrain.ops import duty as ops_duty
    from citybrain.ops.errors import NotFound

    audit.configure(get_settings().db.parent / "audit.log")
    try:
        out = ops_duty.remove_shift(_engine(), shift_id)
    except NotFound:
        raise click.BadParameter(f"no roster entry {shift_id}", param_hint="SHIFT_ID") from None
    audit.record("duty_roster_remove", user=getpass.getuser(), role="cli", via="cli", id=shift_id,
                 shift={k: str(v) for k, v in out.items()})
    click.echo(f"roster entry {shift_id} removed")


@duty.command("handover")
@click.argument("shift_id", type=click.IntRange(1, 2**31 - 1))
def handover_cmd(shift_id: int) -> None:
    """The handover summary of roster entry SHIFT_ID as JSON (the API's)."""
    from citybrain.ops import handover
    from citybrain.ops.errors import NotFound
    from citybrain.semantics.freshness import clock

    try:
        out = handover.current(_engine(), shift_id, clock(get_settings().clock))
    except NotFound:
        raise click.BadParameter(f"no roster entry {shift_id}", param_hint="SHIFT_ID") from None
    click.echo(json.dumps(out, ensure_ascii=False, default=str, indent=1))
