"""Sustained-load benchmark: live feeds over MQTT and HTTP for minutes while walls and leaders read.

Builds a fresh store (fixed anchor 2026-07-15T12:00; all datasets, or ``--only``) in a temp folder,
serves it with gunicorn (4 workers x 4 threads, filesystem cache, auth off), starts a real mosquitto
(``citybrain.feeds.broker``) and ``citybrain subscribe`` as a process of its own (the one MQTT ingest
writer), and runs for the whole time

* 8 walls doing what ``assets/wall.js`` and the wall page do: the page once (during the warm-up),
  ``GET /api/v1/wall/status`` 3 s after each answer, and every panel's refresh callback on the panel's
  own timer (all of a wall's panels together, at most 6 requests at once, a browser's limit per
  host), sending the panel signatures the page holds, so the server answers only what changed;
* 4 leaders opening the cockpit, the one-map, water and fisheries pages (the page router's
  callback, after the HTML shell), the callbacks the browser fires when a page appears (the cockpit's
  duty list, the one-map's figure) and a click on a cockpit KPI card (its drill-down).

After a warm-up (not counted) come two phases: *idle* (``--idle-seconds``, no feed) and *load*
(``--seconds``) with

* MQTT: 2,300 vessel positions every 30 s (the 2,260 simulated vessels and 40 new ones, region
  330225) to ``citybrain/fisheries/tracks`` at QoS 1, ``--chunk`` positions per message; each burst's
  data time is one minute after the previous one (the one-map labels positions by the minute);
* HTTP: 100 water observations every 6 s (1,000 a minute; ``--http-every 60``: 1,000 in one push a
  minute), POSTed to ``/api/v1/ingest/water`` with a
  feed token, each push at new seconds of data time;
* a prober polling the public API until each burst or push is visible: the fisheries layer's GeoJSON
  at the burst's time (``region=330902``, whose vessels come last in each burst) and
  ``/api/v1/observations`` over the push's seconds.

Prints arrival→visible p50/p95/max per transport (goal p95 ≤ 10 s), rows sent vs found in the store
(goal 0 lost), errors per kind and in the server's and subscriber's logs (goal 0), and p50/p95 per
reader kind, idle and under load, with the load/idle p95 ratio (goal ≤ 1.5×). Timings are noisy on a
shared machine: compare the figures of one run; there are no asserts.

Usage: ``python bench/bench_sustained.py [--seconds 600] [--idle-seconds 90] [--only boundaries,…]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_load import ANCHOR, REGIONS  # noqa: E402
from bench.common import (HOST, Recorder, log_errors, pct, print_table, server_env, start_gunicorn,  # noqa: E402
                          start_logged, stop_process)
from bench.dashclient import Page, id_key  # noqa: E402
from citybrain import devserver  # noqa: E402
from citybrain.settings import Settings  # noqa: E402
from citybrain.store import Store  # noqa: E402

LEADER_PAGES = ("/map", "/d/water", "/d/fisheries")
PROBE_REGION = "330902"
EXTRA_VESSELS = 40


class Run:
    """What the threads share: the server, the phase, the recorder, the stop signal, the probes."""

    def __init__(self, base: str, deps: list[dict]) -> None:
        self.base, self.deps = base, deps
        self.phase = "warmup"
        self.rec = Recorder()
        self.stop = threading.Event()
        self.feed_stop = threading.Event()
        self.lock = threading.Lock()
        self.probes: list[dict] = []  # transport, sent (monotonic), url, check, seen
        self.versions: dict[str, set[str]] = defaultdict(set)  # per phase, as the walls saw them

    def kind(self, name: str) -> str:
        return f"{name}/{self.phase}"

    def page(self, session: requests.Session) -> Page:
        return Page(self.rec, session, self.base, self.deps)

    def probe(self, transport: str, sent: float, url: str, check) -> None:
        with self.lock:
            self.probes.append({"transport": transport, "sent": sent, "url": url, "check": check, "seen": None})


# ---- readers ------------------------------------------------------------------------------------------
def wall(run: Run, i: int) -> None:
    rng = random.Random(f"wall{i}")
    region = rng.choice(REGIONS)
    with requests.Session() as s:
        run.rec.get(s, run.kind("wall page"), f"{run.base}/wall?region={region}")
        page = run.page(s)
        if not page.open(run.kind("wall page"), "/wall", f"?region={region}"):
            return
        ivs = {p["panel"]: page.props[id_key(p)]["interval"] / 1000 for p in page.ids("wall-iv")}
        start, offset = time.monotonic(), rng.random()  # a wall that has been running a while
        due = {k: start + offset * iv for k, iv in ivs.items()}
        busy: set[str] = set()
        status_next, ticks = start, 0

        def status() -> None:
            nonlocal status_next
            phase, got = run.phase, run.rec.get(s, run.kind("wall status"), f"{run.base}/api/v1/wall/status")
            if got:
                run.versions[phase].add(json.loads(got)["data_version"])
            status_next = time.monotonic() + 3.0
            busy.discard("status")

        refresh_cb = page.output('"type":"wall-body"}.children')

        def refresh(key: str, n: int) -> None:
            req = id_key({"panel": key, "type": "wall-req"})
            page.fire(run.kind("wall panel"), refresh_cb, [f"{req}.data"], {"panel": key}, {f"{req}.data": n})
            busy.discard(key)

        with ThreadPoolExecutor(6) as pool:
            while not run.stop.is_set():
                now = time.monotonic()
                if "status" not in busy and now >= status_next:
                    busy.add("status")
                    pool.submit(status)
                for key, iv in ivs.items():
                    if now >= due[key]:
                        due[key] += iv * max(1, math.ceil((now - due[key]) / iv))
                        if key not in busy:  # the wall's gate: one refresh of a panel in flight
                            busy.add(key)
                            ticks += 1
                            pool.submit(refresh, key, ticks)
                run.stop.wait(0.1)


def leader(run: Run, i: int) -> None:
    rng = random.Random(f"leader{i}")
    with requests.Session() as s:
        page = run.page(s)
        while not run.stop.is_set():
            region = rng.choice(REGIONS)
            for path in ("/", rng.choice(LEADER_PAGES)):
                run.rec.get(s, run.kind("leader shell"), f"{run.base}{path}?region={region}")
                if not page.open(run.kind("leader page"), path, f"?region={region}"):
                    continue
                for output in page.initial():
                    page.fire(run.kind("leader callback"), output, [])
                cards = page.ids("overview-kpi")
                if cards:  # a click on one KPI card opens its drill-down
                    card = id_key(rng.choice(cards))
                    page.fire(run.kind("leader callback"), page.output("..overview-drill.className"),
                              [f"{card}.n_clicks"], values={f"{card}.n_clicks": 1})
                run.stop.wait(rng.uniform(2.0, 4.0))


def prober(run: Run) -> None:
    with requests.Session() as s:
        while not run.stop.is_set():
            with run.lock:
                todo = [p for p in run.probes if p["seen"] is None]
            for p in todo:
                body = run.rec.get(s, "probe", run.base + p["url"])
                if body is not None and p["check"](json.loads(body)):
                    p["seen"] = time.monotonic()
            run.stop.wait(0.5)


# ---- feeds --------------------------------------------------------------------------------------------
def fleet(store: Store) -> list[dict]:
    """Each vessel's last position (the probe region's last), plus the extra vessels."""
    v = store.df("""SELECT track_id AS id, region_code, lon, lat, speed_kn AS speed, heading_deg AS heading, status
                    FROM tracks WHERE kind = 'vessel' AND ts = (SELECT max(ts) FROM tracks WHERE kind = 'vessel')
                    ORDER BY region_code = ?, track_id""", [PROBE_REGION]).to_dict("records")
    extra = [dict(v[j], id=f"BENCH-{j:03d}", region_code="330225", kind="vessel") for j in range(EXTRA_VESSELS)]
    return extra + v


def burst(vessels: list[dict], b: int, ts: datetime) -> list[dict]:
    rows = []
    for v in vessels:
        d = float(v["speed"]) * (b + 1) / 3600  # nautical miles in b+1 minutes, as degrees
        h = math.radians(float(v["heading"]))
        row = {"id": v["id"], "ts": ts.isoformat(), "lon": round(v["lon"] + d * math.sin(h), 6),
               "lat": round(v["lat"] + d * math.cos(h), 6), "speed": float(v["speed"]),
               "heading": float(v["heading"]), "status": v["status"]}
        if "kind" in v:
            row.update(kind="vessel", region_code=v["region_code"])
        rows.append(row)
    return rows


def mqtt_feed(run: Run, port: int, vessels: list[dict], chunk: int, sent: dict) -> None:
    import paho.mqtt.client as mqtt

    from citybrain.feeds.mqtt import publish_rows, wait_published

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-sustained-pub")
    client.connect(HOST, port)
    client.loop_start()
    n_probe = sum(v["region_code"] == PROBE_REGION for v in vessels)
    try:
        b, start = 0, time.monotonic()
        while not run.feed_stop.is_set():
            ts = ANCHOR + timedelta(minutes=b + 1)
            label = f"{ts:%m-%d %H:%M}"
            t0 = time.monotonic()
            run.probe("mqtt", t0, f"/api/v1/layers/fisheries.geojson?region={PROBE_REGION}&at={ts:%Y-%m-%dT%H:%M:%S}",
                      lambda fc, label=label: sum(f["properties"]["sublayer"] == "vessels"
                                                  and f["properties"]["detail_en"].endswith(label)
                                                  for f in fc["features"]) == n_probe)
            sent[ts] = len(vessels)
            problem = None
            try:
                wait_published(publish_rows(client, "fisheries", "tracks", burst(vessels, b, ts), chunk), timeout=30)
            except (TimeoutError, RuntimeError, ValueError) as exc:
                problem = f"burst {b}: {exc}"
            run.rec.record("mqtt publish", (time.monotonic() - t0) * 1000, problem)
            b += 1
            run.feed_stop.wait(max(0.0, start + 30 * b - time.monotonic()))
    finally:
        client.loop_stop()
        client.disconnect()


def http_feed(run: Run, token: str, pairs: list[tuple], sent: dict, every: float) -> None:
    """1,000 water observations a minute: one push every ``every`` seconds of ``1000 * every / 60`` rows."""
    rng = random.Random(13)
    n = round(1000 * every / 60)
    head = "indicator_id,region_code,entity_id,ts,value,quality\n"
    with requests.Session() as s:
        k, start = 0, time.monotonic()
        while not run.feed_stop.is_set():
            t0 = ANCHOR + timedelta(seconds=every * k + 1)
            lines = [f"{ind},{reg},{ent},{t0 + timedelta(seconds=i // len(pairs)):%Y-%m-%dT%H:%M:%S},"
                     f"{val * rng.uniform(0.99, 1.01):.3f},good\n"
                     for i, (ind, reg, ent, val) in ((i, pairs[i % len(pairs)]) for i in range(n))]
            sent[t0] = len(lines)
            now = time.monotonic()
            run.probe("http", now, f"/api/v1/observations?from={t0:%Y-%m-%dT%H:%M:%S}"
                                   f"&to={t0 + timedelta(seconds=every):%Y-%m-%dT%H:%M:%S}",
                      lambda page, n=len(lines): len(page["rows"]) == n)
            run.rec.request(s, "http push", "POST", f"{run.base}/api/v1/ingest/water?kind=observations",
                            data=(head + "".join(lines)).encode(),
                            headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
            k += 1
            run.feed_stop.wait(max(0.0, start + every * k - time.monotonic()))


# ---- the run ------------------------------------------------------------------------------------------
def _processes() -> dict[int, tuple[int, float]]:
    """Every process: its parent and the CPU seconds (user + system) it has used (Linux /proc)."""
    ticks, out = os.sysconf("SC_CLK_TCK"), {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / ticks)
    return out


def _tree_cpu(procs: dict[int, tuple[int, float]], pid: int) -> float:
    """CPU seconds of process ``pid`` and its living descendants."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += procs.get(p, (0, 0.0))[1]
        todo += [c for c, (parent, _) in procs.items() if parent == p]
    return total


def _cpu_times() -> tuple[int, int]:
    """(all, steal) CPU ticks of the machine since boot (/proc/stat): steal is the time the hypervisor
    gave this virtual machine's CPUs to other machines, which slows a phase without any of our load."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(f[:8]), (f[7] if len(f) > 7 else 0)


def _is_warmer(pid: int) -> bool:
    try:
        return b"citybrain.warm" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _workers_cpu(procs: dict[int, tuple[int, float]], master: int) -> dict[int, float]:
    """CPU seconds of each of the master's children: the gunicorn workers, and the warmer (key -1)."""
    return {(-1 if _is_warmer(pid) else pid): cpu for pid, (parent, cpu) in procs.items() if parent == master}


def _stored(store: Store, table: str, dataset: str, key) -> dict:
    got: dict = defaultdict(int)
    for ts, n in store.df(f"SELECT ts, count(*) AS n FROM {table} WHERE dataset = ? AND ts > ? GROUP BY ts",
                          [dataset, ANCHOR]).itertuples(index=False, name=None):
        got[key(ts.to_pydatetime())] += n
    return got


def _ingest_ms(path: Path) -> list[float]:
    """The seconds of each batch the subscriber logged, in ms."""
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return [float(m) * 1000 for m in re.findall(r"ingested \d+ \w+ rows .* in ([\d.]+) s", text)]


def report(run: Run, phases: dict[str, float], sent: dict, got: dict, tmp: Path, sub_out: str) -> None:
    rows = []
    for transport in ("mqtt", "http"):
        ps = [p for p in run.probes if p["transport"] == transport]
        lat = [p["seen"] - p["sent"] for p in ps if p["seen"] is not None]
        rows.append([transport, len(ps), len(lat), len(ps) - len(lat), pct(lat, 50), pct(lat, 95),
                     max(lat, default=float("nan")), "≤ 10 s"])
    print_table("Arrival → visible in the API (s, from the send's start)",
                ["transport", "sent", "visible", "never visible", "p50", "p95", "max", "goal p95"], rows)
    rows = []
    for transport in ("mqtt", "http"):
        s, g = sent[transport], got[transport]
        rows.append([transport, sum(s.values()), sum(g.get(k, 0) for k in s),
                     sum(max(0, n - g.get(k, 0)) for k, n in s.items()),
                     sum(max(0, g.get(k, 0) - n) for k, n in s.items()) + sum(n for k, n in g.items() if k not in s)])
    print_table("Rows (in the store after the run)", ["transport", "rows sent", "rows found", "lost (goal 0)", "extra"],
                rows)
    print(f"subscriber: {sub_out}")
    rows = []
    t = run.rec.times
    for kind in ("wall status", "wall panel", "leader shell", "leader page", "leader callback"):
        idle, load = t.get(f"{kind}/idle", []), t.get(f"{kind}/load", [])
        rows.append([kind, len(idle), pct(idle, 50), pct(idle, 95), len(load), pct(load, 50), pct(load, 95),
                     f"{pct(load, 95) / pct(idle, 95):.2f}×" if idle and load else "-"])
    print_table(f"Readers: idle {phases['idle']:.0f} s vs load {phases['load']:.0f} s (ms; goal load/idle p95 ≤ 1.5×)",
                ["kind", "idle n", "idle p50", "idle p95", "load n", "load p50", "load p95", "load/idle p95"], rows)
    feeds = {k: t.get(k, []) for k in ("http push", "mqtt publish", "probe")}
    feeds["subscriber batch"] = _ingest_ms(tmp / "subscribe.err")
    print_table("Feeds and probes (ms)", ["kind", "n", "p50", "p95", "max"],
                [[k, len(v), pct(v, 50), pct(v, 95), max(v, default=float("nan"))] for k, v in feeds.items()])
    v = run.versions
    print(f"data versions the walls saw: idle {len(v['idle'])}, load {len(v['load'])} (one per "
          f"{phases['load'] / max(1, len(v['load'])):.1f} s; each expires the cached results that read what its batch changed)")
    print("wall status answers slower than wall.js's 2.5 s timeout (a wall shows 'connection lost' after two): "
          + ", ".join(f"{ph} {sum(ms > 2500 for ms in t.get(f'wall status/{ph}', []))}" for ph in ("idle", "load")))
    errs = {k: v for k, v in run.rec.errors.items() if v}
    server_errs, sub_errs = log_errors(tmp / "gunicorn.err"), log_errors(tmp / "subscribe.err")
    print_table("Errors (goal 0)", ["kind", "errors"],
                [[k, len(v)] for k, v in sorted(errs.items())] + [["server log (ERROR)", len(server_errs)],
                                                                  ["subscriber log (ERROR)", len(sub_errs)]])
    for k, v in sorted(errs.items()):
        for e in v[:3]:
            print(f"  {k}: {e}")
    for e in server_errs[:2] + sub_errs[:2]:
        print(f"  log: {e[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="load phase: feeds and readers (default 600)")
    ap.add_argument("--idle-seconds", type=float, default=90.0, help="idle phase: readers only (default 90)")
    ap.add_argument("--warmup-seconds", type=float, default=20.0, help="readers before the idle phase, not counted")
    ap.add_argument("--only", default="", help="datasets to build, comma-separated (default: all; the cockpit "
                                               "needs every dataset)")
    ap.add_argument("--feeds", default="mqtt,http", help="which feeds send during the load phase (default both; "
                                                         "one alone shows what each costs the readers)")
    ap.add_argument("--walls", type=int, default=8)
    ap.add_argument("--leaders", type=int, default=4)
    ap.add_argument("--chunk", type=int, default=50, help="vessel positions per MQTT message (1: one each)")
    ap.add_argument("--http-every", type=float, default=6.0,
                    help="seconds between HTTP pushes, each of 1,000 a minute's share (default 6: 100 rows; "
                         "60: one push of 1,000 rows a minute)")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4 threads each)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (store, logs) and say where")
    args = ap.parse_args()
    print("$ " + " ".join([Path(sys.executable).name, *sys.argv]))
    la = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} (1/5/15 min) "
          f"at the start")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # cleaned up like Ctrl-C
    from citybrain.feeds import tokens
    from citybrain.feeds.broker import Broker
    from citybrain.ops.db import make_engine
    from citybrain.store.build import build_store
    from citybrain.store.parts import store_bytes

    tmp = Path(tempfile.mkdtemp(prefix="citybrain-sustained-"))
    procs: list[subprocess.Popen] = []
    broker = None
    try:
        settings = Settings(db=tmp / "store.duckdb", cache="filesystem", cache_dir=tmp / "cache", sim_anchor=ANCHOR)
        t0 = time.perf_counter()
        built = build_store(settings, progress=False, only=[n for n in args.only.split(",") if n] or None)
        print(f"store: {args.only or 'all datasets'}, built in {time.perf_counter() - t0:.0f} s, "
              f"{store_bytes(settings.db) / 1e6:.0f} MB, version {built.data_version}")
        store = Store(settings.db)
        vessels = fleet(store)
        pairs = list(store.df("""SELECT indicator_id, region_code, entity_id, arg_max(value, ts) AS v FROM observations
                                 WHERE dataset = 'water' AND entity_id IS NOT NULL GROUP BY ALL ORDER BY ALL""")
                     .itertuples(index=False, name=None))
        token = tokens.add(make_engine(settings), "bench-sustained", "water")
        broker = Broker(tmp / "mqtt").start()
        port = devserver.free_port()
        env = server_env(settings, port, args.workers)
        procs.append(start_logged([sys.executable, "-m", "citybrain.cli", "--log-level", "INFO", "subscribe",
                                   "--broker", broker.url], env, tmp / "subscribe", "subscribed to"))
        procs.append(start_gunicorn(env, tmp / "gunicorn.err"))
        base = f"http://{HOST}:{port}"
        run = Run(base, requests.get(f"{base}/_dash-dependencies", timeout=60).json())
        print(f"gunicorn {args.workers} workers x 4 threads; {args.walls} walls, {args.leaders} leaders; "
              f"{len(vessels):,} positions every 30 s over MQTT ({args.chunk} a message), "
              f"{round(1000 * args.http_every / 60):,} observations every {args.http_every:g} s over HTTP; "
              f"warm-up {args.warmup_seconds:.0f} s, idle {args.idle_seconds:.0f} s, "
              f"load {args.seconds:.0f} s", flush=True)
        readers = [threading.Thread(target=wall, args=(run, i), daemon=True) for i in range(args.walls)]
        readers += [threading.Thread(target=leader, args=(run, i), daemon=True) for i in range(args.leaders)]
        readers.append(threading.Thread(target=prober, args=(run,), daemon=True))
        for th in readers:
            th.start()
        phases: dict[str, float] = {}
        cpu: dict[str, float] = {}
        owners = {"gunicorn": procs[1].pid, "subscriber": procs[0].pid, "mosquitto": broker.proc.pid}
        server_cpu: dict[str, dict[str, float]] = {}
        worker_cpu: dict[str, list[float]] = {}
        warmer_cpu: dict[str, float] = {}
        steal: dict[str, float] = {}
        sent: dict[str, dict] = {"mqtt": {}, "http": {}}
        feeders = [th for name, th in (
            ("mqtt", threading.Thread(target=mqtt_feed, args=(run, broker.port, vessels, args.chunk, sent["mqtt"]),
                                      daemon=True)),
            ("http", threading.Thread(target=http_feed, args=(run, token, pairs, sent["http"], args.http_every),
                                      daemon=True)))
            if name in args.feeds.split(",")]
        for phase, secs in (("warmup", args.warmup_seconds), ("idle", args.idle_seconds), ("load", args.seconds)):
            run.phase, t0, c0 = phase, time.monotonic(), time.process_time()
            before = _processes()
            s0 = {name: _tree_cpu(before, pid) for name, pid in owners.items()}
            w0, t0_cpu = _workers_cpu(before, owners["gunicorn"]), _cpu_times()
            for th in feeders if phase == "load" else []:
                th.start()
            time.sleep(secs)
            if phase == "load":
                run.feed_stop.set()
                for th in feeders:
                    th.join(60)
            phases[phase], cpu[phase] = time.monotonic() - t0, time.process_time() - c0
            after = _processes()
            server_cpu[phase] = {name: _tree_cpu(after, pid) - s0[name] for name, pid in owners.items()}
            w1, t1_cpu = _workers_cpu(after, owners["gunicorn"]), _cpu_times()
            steal[phase] = (t1_cpu[1] - t0_cpu[1]) / max(1, t1_cpu[0] - t0_cpu[0])
            warmer_cpu[phase] = w1.get(-1, 0.0) - w0.get(-1, 0.0)
            worker_cpu[phase] = sorted((w1[p] - w0[p] for p in w1.keys() & w0.keys() if p != -1), reverse=True)
        run.phase, deadline = "drain", time.monotonic() + 60  # the last bursts may be on their way: probes go on
        while time.monotonic() < deadline and any(p["seen"] is None for p in run.probes):
            time.sleep(0.5)
        run.stop.set()
        for th in readers:
            th.join(90)
        la = os.getloadavg()
        print(f"load average at the end: {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f}")
        for p in procs:  # the subscriber ingests what it holds and says what it did
            stop_process(p)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"CPU of this client (its readers, feeders, probes): idle {cpu['idle'] / phases['idle']:.0%}, load "
              f"{cpu['load'] / phases['load']:.0%} of a core; gunicorn and subscriber in all: "
              f"{children.ru_utime + children.ru_stime:.0f} s over {sum(phases.values()):.0f} s")
        for phase in ("idle", "load"):
            print(f"CPU in the {phase} phase (share of one core): " + ", ".join(
                f"{name} {secs / phases[phase]:.0%}"
                + (f" (of which the warmer {warmer_cpu[phase] / phases[phase]:.0%})" if name == "gunicorn" else "")
                for name, secs in server_cpu[phase].items())
                + "; the gunicorn workers' shares of the rest: "
                + " / ".join(f"{w / (sum(worker_cpu[phase]) or 1):.0%}" for w in worker_cpu[phase]))
        print(f"CPU steal (the hypervisor's time for other machines, share of this machine's CPU time): "
              f"idle {steal['idle']:.1%}, load {steal['load']:.1%}")
        out = (tmp / "subscribe.out").read_text(encoding="utf-8").strip().splitlines()
        store = Store(settings.db)
        got = {"mqtt": _stored(store, "tracks", "fisheries", lambda ts: ts),
               "http": _stored(store, "observations", "water",
                               lambda ts: ANCHOR + timedelta(seconds=int((ts - ANCHOR).total_seconds() - 1)
                                                             // args.http_every * args.http_every + 1))}
        report(run, phases, sent, got, tmp, out[-1] if out else "(no output)")
    finally:
        for p in procs:
            stop_process(p)
        if broker is not None:
            broker.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
