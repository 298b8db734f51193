"""The live demo: the simulator continues the store's series from its now, over HTTP and MQTT; serve --demo;
and ``build --days N``."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from citybrain import devserver
from citybrain.feeds.broker import Broker
from citybrain.feeds.mqtt import Subscriber
from citybrain.feeds.simulate import Simulator
from citybrain.queries.kpi import open_incidents
from citybrain.store import get_store
from tests.citybrain.feeds.conftest import stored
from tests.conftest import TEST_ANCHOR


def env_of(store, **extra) -> dict[str, str]:
    return dict(os.environ, CITYBRAIN_DB=str(store.db), CITYBRAIN_CACHE="null", CITYBRAIN_LOG_LEVEL="WARNING",
                PYTHONPATH=str(Path(__file__).resolve().parents[3]), **extra)


def clock(minutes: int) -> str:
    return (TEST_ANCHOR + timedelta(minutes=minutes)).isoformat()


def test_the_simulator_is_deterministic(store):
    a, b = Simulator.from_store(store), Simulator.from_store(store)
    first = [a.step() for _ in range(12)]
    assert first == [b.step() for _ in range(12)]
    kinds = {k for step in first for k in step}
    assert {("water", "observations"), ("fisheries", "tracks")} <= kinds, kinds
    assert ("water", "observations") in first[11], "hourly series at the full hour"
    assert all(r["ts"] == (TEST_ANCHOR + timedelta(minutes=15)).isoformat() for r in first[2][("fisheries", "tracks")])


def test_counted_things_stay_whole_numbers(store):
    """Vessels, cases and people are counted: the random walk never sends 1.8 vessels."""
    from citybrain.feeds.check import COUNT_UNITS

    sim = Simulator.from_store(store)
    units = dict(zip(sim.series["indicator_id"], sim.series["unit"]))
    sent = [r for _ in range(24) for (ds, kind), rows in sim.step().items() if kind == "observations" for r in rows]
    counted = [r for r in sent if units[r["indicator_id"]] in COUNT_UNITS]
    assert counted, "the store has simulated count series of an hour's cadence or less"
    assert all(float(r["value"]).is_integer() for r in counted), [r for r in counted if not float(r["value"]).is_integer()][:3]


def test_simulate_over_http_continues_from_the_stores_now(store):
    port = devserver.free_port()
    server = devserver.start(port, {"CITYBRAIN_DB": str(store.db), "CITYBRAIN_CACHE": "null"})
    try:
        out = subprocess.run([sys.executable, "-m", "citybrain.cli", "simulate", "--url", f"http://127.0.0.1:{port}",
                              "--steps", "13", "--speed", "600"], env=env_of(store, CITYBRAIN_CLOCK=clock(60)),
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "refused" not in out.stderr, (out.stderr[-1500:], err.decode()[-3000:])
    assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == [(clock(65),)]
    water = stored(store, "SELECT count(*), bool_and(simulated) FROM observations WHERE indicator_id = 'water_level' "
                          "AND ts = ?", [TEST_ANCHOR + timedelta(hours=1)])
    assert water[0][0] > 0 and water[0][1] is True
    steps = stored(store, "SELECT count(DISTINCT ts) FROM tracks WHERE ts > ?", [TEST_ANCHOR])
    assert steps == [(13,)]
    _cards_agree_with_their_lists(store, TEST_ANCHOR + timedelta(hours=1))


def _cards_agree_with_their_lists(store, at) -> None:
    """A simulated hour later, a region's counted cards equal what their lists count (one truth): the
    在办事件数 card and the emergency page's list of open incidents (``queries.kpi.open_incidents``)."""
    cards = {(r, i): v for r, i, v in stored(store, """SELECT region_code, indicator_id, value FROM observations
        WHERE ts = ? AND entity_id IS NULL AND indicator_id IN ('open_incidents', 'stations_over_warning')""", [at])}
    incidents = {r: len(open_incidents(get_store(store.db), r, at)) for r, i in cards if i == "open_incidents"}
    over = dict(stored(store, """SELECT o.region_code,
            count(*) FILTER (WHERE o.value > TRY_CAST(json_extract(e.properties, '$.warning_level_m') AS DOUBLE))
        FROM observations o JOIN entities e USING (entity_id)
        WHERE o.indicator_id = 'water_level' AND o.ts = ? AND json_extract(e.properties, '$.in_region')::BOOLEAN
        GROUP BY 1""", [at]))
    checked = 0
    for (region, indicator), value in cards.items():
        listed = (incidents if indicator == "open_incidents" else over).get(region)
        if listed is not None:
            assert value == listed, (region, indicator, value, listed)
            checked += 1
    assert checked >= 2, cards


def test_simulate_over_mqtt(store, tmp_path):
    broker = Broker(tmp_path / "mqtt").start()
    sub = Subscriber(store, broker.url, interval=0.3, client_id="demo")
    stop = threading.Event()
    t = threading.Thread(target=sub.run, args=(stop,), daemon=True)
    t.start()
    try:
        assert sub.connected.wait(20)
        out = subprocess.run([sys.executable, "-m", "citybrain.cli", "simulate", "--via", "mqtt", "--broker", broker.url,
                              "--steps", "2"], env=env_of(store, CITYBRAIN_CLOCK=clock(10)),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        tracks = "SELECT count(DISTINCT ts), bool_and(simulated) FROM tracks WHERE ts > ?"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stored(store, tracks, [TEST_ANCHOR]) != [(2, True)]:
            time.sleep(0.3)
        assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == [(clock(10),)]
        assert stored(store, tracks, [TEST_ANCHOR]) == [(2, True)], (sub.stats, out.stderr[-2000:])
        assert sub.stats.rejected == 0, sub.stats.errors
    finally:
        stop.set()
        t.join(30)
        broker.stop()


def _demo_children(port: int) -> list[int]:
    found = []
    for p in Path("/proc").iterdir():
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"simulate" in cmd and f"http://127.0.0.1:{port}".encode() in cmd:
            found.append(int(p.name))
    return found


def test_serve_demo_keeps_the_store_moving_and_stops_with_the_server(store):
    port = devserver.free_port()
    full = env_of(store, CITYBRAIN_CLOCK=clock(20))
    proc = subprocess.Popen([sys.executable, "-m", "citybrain.cli", "serve", "--demo", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1"], env=full, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        anchor = "SELECT value FROM meta WHERE key = 'anchor'"
        while time.monotonic() < deadline and stored(store, anchor) != [(clock(20),)]:
            time.sleep(1)
        assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == [(clock(20),)]
        assert _demo_children(port), "the simulator runs beside the server"
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _demo_children(port):
        time.sleep(0.5)
    assert not _demo_children(port), "the simulator ends with the server"


def test_build_days_sets_the_history_of_positions(tmp_path):
    import shutil

    from citybrain.settings import PROJECT_ROOT
    from citybrain.store.build import build_store
    from tests.conftest import make_settings

    for name in ("boundaries", "fisheries"):
        shutil.copytree(PROJECT_ROOT / "datasets" / name, tmp_path / "datasets" / name)
    s = make_settings(tmp_path / "db", datasets_dir=tmp_path / "datasets", history_days=2)
    build_store(s, progress=False)
    lo, hi = stored(s, "SELECT min(ts), max(ts) FROM tracks")[0]
    assert (hi - lo) == timedelta(days=2) - timedelta(minutes=5)
