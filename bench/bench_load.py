"""Load benchmark: many screens at once while live batches are ingested.

Builds a fresh store (fixed anchor 2026-07-15T12:00), serves it with gunicorn (4 worker processes
x 4 threads, filesystem cache) on 127.0.0.1 and, for a bounded time, runs three kinds of
simulated users in threads at once:

* walls — poll ``/readyz`` and ``/api/v1/observations?indicator=…&region=…`` every ~2 s;
* leaders — open ``/`` and ``/catalog`` (index, layout, dependencies) and ``/api/v1/targets``;
* analysts — download ``/api/v1/observations.csv`` for one region and day;

while a feeder runs ``citybrain ingest water <file> --simulated`` with a new batch of fresh
water observations every few seconds. Prints requests/s, p50/p95 per kind (with the raw DuckDB
time of the wall query measured in the same run as the reference), errors (goal 0), whether
every worker switched to the last data version, and rows lost (goal 0: rows of all fed batches
found in the served store vs rows fed).

Usage: ``python bench/bench_load.py [--seconds 60] [--only boundaries,targets,water]``
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import (HOST, Recorder, median_ms, pct, print_table, server_env, start_gunicorn,  # noqa: E402
                          stop_process)
from citybrain import devserver  # noqa: E402
from citybrain.store.build import build_store  # noqa: E402
from citybrain.store.parts import store_bytes  # noqa: E402
from citybrain.settings import Settings  # noqa: E402
from citybrain.store import Store  # noqa: E402

ANCHOR = datetime(2026, 7, 15, 12, 0)
REGIONS = ["330225", "330900", "370215", "341623", "210800"]


def wall(rec: Recorder, base: str, deadline: float, rng: random.Random) -> None:
    region = rng.choice(REGIONS)
    indicator = rng.choice(["water_level", "rainfall_1h", "stations_over_warning"])
    since = f"{ANCHOR - timedelta(hours=6):%Y-%m-%dT%H:%M:%S}"
    with requests.Session() as s:
        while time.monotonic() < deadline:
            rec.get(s, "wall", f"{base}/readyz")
            rec.get(s, "wall", f"{base}/api/v1/observations?indicator={indicator}&region={region}&from={since}")
            time.sleep(rng.uniform(1.5, 2.5))


def leader(rec: Recorder, base: str, deadline: float, rng: random.Random) -> None:
    with requests.Session() as s:
        while time.monotonic() < deadline:
            region = rng.choice(REGIONS)
            for page in ("/", "/catalog"):
                rec.get(s, "leader", f"{base}{page}?region={region}")
                rec.get(s, "leader", f"{base}/_dash-layout")
                rec.get(s, "leader", f"{base}/_dash-dependencies")
            rec.get(s, "leader", f"{base}/api/v1/targets?region={region}")
            time.sleep(rng.uniform(2.0, 4.0))


def analyst(rec: Recorder, base: str, deadline: float, rng: random.Random) -> None:
    with requests.Session() as s:
        while time.monotonic() < deadline:
            day = ANCHOR.date() - timedelta(days=rng.randint(0, 6))
            rec.get(s, "analyst", f"{base}/api/v1/observations.csv?region={rng.choice(REGIONS)}"
                                  f"&from={day}T00:00:00&to={day + timedelta(days=1)}T00:00:00", stream=True)
            time.sleep(rng.uniform(3.0, 5.0))


def feed_rows(pairs: list[tuple[str, str, str]], batch: int, rows: int, rng: random.Random) -> str:
    """``rows`` fresh observations after the anchor; batch k uses its own minutes, so no repeats."""
    lines = ["indicator_id,region_code,entity_id,ts,value,quality\n"]
    per_ts = len(pairs)
    for i in range(rows):
        indicator, region, entity = pairs[i % per_ts]
        ts = ANCHOR + timedelta(minutes=batch * 60 + i // per_ts + 1)
        value = rng.uniform(0, 5) if indicator == "rainfall_1h" else rng.uniform(1, 30)
        lines.append(f"{indicator},{region},{entity},{ts:%Y-%m-%dT%H:%M:%S},{value:.2f},good\n")
    return "".join(lines)


def feeder(env: dict[str, str], tmp: Path, pairs: list[tuple[str, str, str]], deadline: float, every: float,
           rows: int, fed: dict[str, int], times: list[float], failures: list[str]) -> None:
    rng = random.Random(7)
    batch = 0
    while time.monotonic() < deadline - every / 2:
        started = time.monotonic()
        data = feed_rows(pairs, batch, rows, rng)
        path = tmp / f"feed-{batch:04d}.csv"
        path.write_text(data, encoding="utf-8")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "citybrain.cli", "--log-level", "WARNING", "ingest", "water",
                               str(path), "--simulated"], env=env, capture_output=True, text=True, timeout=300)
        times.append((time.perf_counter() - t0) * 1000)
        if proc.returncode:
            failures.append(proc.stderr.strip()[-300:])
        else:
            fed[f"water-ingest-{hashlib.sha256(data.encode()).hexdigest()[:12]}"] = rows
        batch += 1
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the users run (default 60)")
    ap.add_argument("--only", default="", help="datasets to build, comma-separated (default: all)")
    ap.add_argument("--walls", type=int, default=8)
    ap.add_argument("--leaders", type=int, default=4)
    ap.add_argument("--analysts", type=int, default=2)
    ap.add_argument("--feed-every", type=float, default=4.0, help="seconds between ingested batches")
    ap.add_argument("--feed-rows", type=int, default=500, help="rows per ingested batch")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4 threads each)")
    args = ap.parse_args()
    seconds = max(5.0, min(args.seconds, 3600.0))

    tmp = Path(tempfile.mkdtemp(prefix="citybrain-load-"))
    settings = Settings(db=tmp / "store.duckdb", cache="filesystem", cache_dir=tmp / "cache", sim_anchor=ANCHOR)
    only = [n for n in args.only.split(",") if n] or None
    t0 = time.perf_counter()
    built = build_store(settings, progress=False, only=only)
    build_s = time.perf_counter() - t0
    size_mb = store_bytes(settings.db) / 1e6
    store = Store(settings.db)
    pairs = [(ind, r, e) for e, r in store.df("SELECT entity_id, region_code FROM entities WHERE dataset = 'water' "
                                                "ORDER BY entity_id").itertuples(index=False, name=None)
             for ind in ("water_level", "rainfall_1h")]
    wall_sql = ("SELECT o.indicator_id, o.region_code, o.entity_id, o.ts, o.value FROM observations o "
                "JOIN indicators i USING (indicator_id) WHERE o.indicator_id = 'water_level' AND o.region_code = '330225' "
                "AND o.ts >= ? ORDER BY o.ts, o.entity_id")
    raw_ms = median_ms(lambda: store.df(wall_sql, [ANCHOR - timedelta(hours=6)]))

    port = devserver.free_port()
    env = server_env(settings, port, args.workers)
    server = start_gunicorn(env, tmp / "gunicorn.err")
    base = f"http://{HOST}:{port}"
    try:
        rec = Recorder()
        fed: dict[str, int] = {}
        ingest_ms: list[float] = []
        failures: list[str] = []
        start = time.monotonic()
        deadline = start + seconds
        threads = [threading.Thread(target=feeder, args=(env, tmp, pairs, deadline, args.feed_every, args.feed_rows,
                                                         fed, ingest_ms, failures))]
        for kind, fn, n in (("wall", wall, args.walls), ("leader", leader, args.leaders),
                            ("analyst", analyst, args.analysts)):
            threads += [threading.Thread(target=fn, args=(rec, base, deadline, random.Random(f"{kind}{i}")))
                        for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 600)
        elapsed = time.monotonic() - start
        # Every worker must serve the last version: ask /readyz often enough to reach each of them.
        final = store.version
        seen = {requests.get(f"{base}/readyz", timeout=10).json()["data_version"] for _ in range(40)}
    finally:
        stop_process(server)

    got = dict(store.df("SELECT batch_id, count(*) AS n FROM observations WHERE list_contains(?, batch_id) "
                        "GROUP BY batch_id", [list(fed) or ["-"]]).itertuples(index=False, name=None))
    lost = sum(n - got.get(b, 0) for b, n in fed.items())
    print(f"store: {', '.join(only) if only else 'all datasets'}, built in {build_s:.1f} s, {size_mb:.0f} MB, "
          f"version {built.data_version}; gunicorn {args.workers} workers x 4 threads; {elapsed:.0f} s of load")
    rows = []
    for kind in ("wall", "leader", "analyst"):
        ts = rec.times[kind]
        p50 = pct(ts, 50)
        rows.append([kind, len(ts), len(ts) / elapsed, p50, pct(ts, 95), max(ts, default=float("nan")),
                     len(rec.errors[kind])])
    all_t = [x for v in rec.times.values() for x in v]
    rows.append(["all", len(all_t), len(all_t) / elapsed, pct(all_t, 50), pct(all_t, 95), max(all_t, default=0.0),
                 sum(len(v) for v in rec.errors.values())])
    print_table("Requests while ingesting (ms)", ["users", "requests", "req/s", "p50", "p95", "max", "errors"], rows)
    wall_api = [t for t in rec.times["wall"]]
    print(f"\nraw DuckDB wall query (same run): {raw_ms:.2f} ms median; wall requests p50 "
          f"{pct(wall_api, 50):.2f} ms = {pct(wall_api, 50) / raw_ms:.1f}x raw (incl. /readyz, HTTP, JSON)")
    print_table("Live loading", ["batches", "rows fed", "rows in store", "rows lost", "failed ingests",
                                 "ingest p50 ms", "ingest p95 ms", "workers on last version"],
                [[len(fed), sum(fed.values()), sum(got.values()), lost, len(failures), pct(ingest_ms, 50),
                  pct(ingest_ms, 95), "yes" if seen == {final} else f"no: {sorted(seen)} vs {final}"]])
    for kind, errs in rec.errors.items():
        for e in errs[:3]:
            print(f"  error ({kind}): {e}")
    for f in failures[:3]:
        print(f"  failed ingest: {f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
