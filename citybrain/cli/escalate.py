"""``citybrain escalate``: the escalation check from cron (once) or as a small service (``--every``).

It syncs the alarm states of every region with the alarm set, then runs ``citybrain.ops.escalation.run``
— the same check the app runs when it syncs alarms — and waits for the notifications it sent."""

from __future__ import annotations

import time

import click

from citybrain.settings import get_settings


@click.command()
@click.option("--every", type=float, default=None,
              help="Run again every SECONDS (a long-running process); default: once, for cron.")
@click.option("--max-runs", type=int, default=None, help="Stop after this many runs (with --every).")
def escalate(every: float | None, max_runs: int | None) -> None:
    """Escalate alarms left unacknowledged and announce overdue urgent work orders (webhook, e-mail)."""
    from sqlalchemy.exc import SQLAlchemyError

    from citybrain.ops import alarms, escalation
    from citybrain.ops.db import ensure, make_engine
    from citybrain.semantics.freshness import clock
    from citybrain.store import StoreMissing

    settings = get_settings()
    runs = 0
    try:
        engine = ensure(make_engine(settings))
        while True:
            now = clock(settings.clock)
            alarms.refresh_all(engine, now, escalate=False)
            out = escalation.run(engine, settings, now)
            out.wait(settings.notify_timeout_seconds + 5)
            click.echo(f"{now:%Y-%m-%d %H:%M:%S}: {len(out.escalated)} alarm(s) escalated, "
                       f"{len(out.overdue_orders)} overdue urgent order(s) announced, "
                       f"{len(out.deliveries)} notification(s) attempted")
            runs += 1
            if every is None or (max_runs is not None and runs >= max_runs):
                return
            time.sleep(max(every, 1.0))
    except StoreMissing as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        raise click.ClickException(f"the operational database is unavailable: {exc.__class__.__name__}: "
                                   f"{str(exc).splitlines()[0]}") from None
