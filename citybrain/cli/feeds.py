"""``citybrain feeds add|list|remove`` (feed tokens), ``citybrain subscribe`` (MQTT) and ``citybrain simulate``."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

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


@click.command()
@click.option("--broker", default=None, help="mqtt://HOST:PORT (default: CITYBRAIN_MQTT_BROKER).")
@click.option("--client-id", default="citybrain-ingest", show_default=True,
              help="MQTT client id: the broker keeps this session's messages while it is away.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds per micro-batch.")
@click.option("--max-messages", type=int, default=5000, show_default=True, help="Messages per micro-batch at most.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Store file (default: CITYBRAIN_DB).")
@click.option("--simulated", is_flag=True, help="Mark ingested rows as simulated.")
def subscribe(broker: str | None, client_id: str, interval: float, max_messages: int, db: Path | None,
              simulated: bool) -> None:
    """Ingest feeds from MQTT topics citybrain/<dataset>/<kind> (QoS 1) in micro-batches until stopped."""
    from citybrain.feeds.mqtt import Subscriber

    settings = get_settings()
    url = broker or settings.mqtt_broker
    if not url:
        click.secho("no broker: pass --broker mqtt://HOST:PORT or set CITYBRAIN_MQTT_BROKER", fg="red", err=True)
        sys.exit(2)
    try:
        sub = Subscriber(settings, url, target=db, client_id=client_id, interval=interval,
                         max_messages=max_messages, simulated=simulated)
    except ValueError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"subscribing to citybrain/<dataset>/<kind> on {url} (Ctrl-C stops)")
    try:
        sub.run(stop)
    except KeyboardInterrupt:
        pass
    s = sub.stats
    click.echo(f"stopped: {s.messages} messages, {s.rows} rows in {s.batches} batches, {s.skipped} repeated rows "
               f"skipped, {s.rejected} messages refused")


@click.command()
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Simulated minutes per real minute once caught up with the wall clock.")
@click.option("--via", type=click.Choice(["http", "mqtt"]), default="http", show_default=True)
@click.option("--url", default=None, help="The app's base URL for --via http (default: http://CITYBRAIN_HOST:PORT).")
@click.option("--broker", default=None, help="mqtt://HOST:PORT for --via mqtt (default: CITYBRAIN_MQTT_BROKER).")
@click.option("--steps", type=int, default=None, help="Stop after this many 5-minute steps (default: run until stopped).")
@click.option("--typhoon", "typhoon", default=None, metavar="TRACK_ID",
              help="Also replay this stored typhoon (e.g. JMA-2106) as live: its centre and the fleet's reaction.")
@click.option("--start", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]), default=None,
              help="Storm time (China Standard Time) the replay is at now (default: 48 h before landfall).")
@click.option("--region", "regions", multiple=True,
              help="Region(s) whose fleet reacts to the replayed storm (default: CITYBRAIN_REGION).")
def simulate(speed: float, via: str, url: str | None, broker: str | None, steps: int | None, typhoon: str | None,
             start, regions: tuple[str, ...]) -> None:
    """Continue the simulated series from the store's now and send them as live feeds (a simulated demo);
    with --typhoon, a stored storm moves on every live screen too."""
    from citybrain.feeds import simulate as sim_mod

    settings = get_settings()
    sim = sim_mod.Simulator.from_store(settings)
    if typhoon:
        _attach_typhoon(sim, settings, typhoon, start, regions or (settings.region,))
    if via == "http":
        from citybrain.feeds import tokens

        engine = _engine()
        keys = {}
        for dataset in sim.datasets():
            tokens.remove(engine, f"simulator-{dataset}")
            keys[dataset] = tokens.add(engine, f"simulator-{dataset}", dataset)
        send = sim_mod.http_sender(url or f"http://{settings.host}:{settings.port}", keys)
        client = None
    else:
        import paho.mqtt.client as mqtt

        from citybrain.feeds.mqtt import parse_broker

        host, port = parse_broker(broker or settings.mqtt_broker or "")
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"citybrain-simulator-{os.getpid()}")
        if settings.mqtt_user:
            client.username_pw_set(settings.mqtt_user, settings.mqtt_password)
        client.connect(host, port)
        client.loop_start()
        send = sim_mod.mqtt_sender(client)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"simulated live feeds from the store's now {sim.now:%Y-%m-%d %H:%M} via {via}, speed {speed:g}")
    try:
        n = sim_mod.run(sim, send, speed=speed, steps=steps, stop=stop.is_set)
    except KeyboardInterrupt:
        n = -1
    finally:
        if client is not None:
            client.loop_stop()
            client.disconnect()
    click.echo(f"stopped after {n} steps; the store's now is {sim.now:%Y-%m-%d %H:%M}")


def _attach_typhoon(sim, settings, track_id: str, start, regions: tuple[str, ...]) -> None:
    from citybrain import context
    from citybrain.feeds.typhoon_live import TyphoonReplay
    from citybrain.regions import REGIONS
    from citybrain.semantics.freshness import clock

    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise click.BadParameter(f"unknown region {bad[0]}", param_hint="--region")
    live0 = clock(settings.clock)
    live0 = max(live0.replace(second=0, microsecond=0, minute=live0.minute - live0.minute % 5), sim.now)
    try:
        replay = TyphoonReplay.from_store(context.build(settings).store, track_id, start, live0, regions)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--typhoon/--start") from None
    sim.attach_typhoon(replay)
    click.echo(f"replaying typhoon {track_id} from {replay.start:%Y-%m-%d %H:%M} as of {live0:%Y-%m-%d %H:%M} "
               f"({len(replay.vessel_ids())} vessels react)")


def start_demo(host: str, port: int) -> None:
    """Start ``citybrain simulate --via http`` against this server in a child process (ended with us)."""
    import atexit
    import subprocess

    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    child = subprocess.Popen([sys.executable, "-m", "citybrain.cli", "simulate", "--via", "http",
                              "--url", f"http://{local}:{port}"])
    click.echo(f"demo: simulated live feeds (process {child.pid}) push to http://{local}:{port}")

    owner = os.getpid()

    def _end() -> None:  # gunicorn's forked workers inherit this hook: only the server's own process acts
        if os.getpid() == owner and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(_end)
