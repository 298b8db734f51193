"""Login flood benchmark: failed sign-ins from 8 threads while walls poll, on one real server.

Builds a small store (boundaries and targets; ``--only`` to change), serves it with
``citybrain.devserver`` (gunicorn, ``--workers`` workers x 4 threads, local auth, one user) on
127.0.0.1 and measures, in the same run:

1. a quiet baseline: ``/healthz`` and ``/api/v1/wall/status`` (with a wall token) latencies;
2. the flood: 8 threads posting wrong passwords for ``--seconds`` (default 10) — half for the one
   real user, half for invented names — while a prober keeps requesting the two URLs.

Prints the answers the flood got (429s, 401s, others), the flood's request rate, and p50/p95 (ms)
of ``/healthz`` and ``/api/v1/wall/status`` quiet and under the flood. Figures only; no asserts.

Usage: ``python bench/bench_login_flood.py [--seconds 10] [--threads 8] [--workers 2]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import print_table  # noqa: E402
from citybrain import devserver  # noqa: E402
from citybrain.auth.users import UserStore  # noqa: E402
from citybrain.settings import Settings  # noqa: E402
from citybrain.store.build import build_store  # noqa: E402

TOKEN = "bench-wall-token-0123456789"
PROBES = ("/healthz", "/api/v1/wall/status")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` in ms (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))] * 1000 if s else float("nan")


def probe(base: str, until: float, times: dict[str, list[float]], pause: float = 0.02) -> None:
    """Request each probe URL in turn until ``until``, recording latencies (errors as 60 s)."""
    s = requests.Session()
    while time.time() < until:
        for path in PROBES:
            t0 = time.perf_counter()
            try:
                ok = s.get(base + path, headers={"X-Wall-Token": TOKEN}, timeout=60).status_code == 200
            except requests.RequestException:
                ok = False
            times[path].append(time.perf_counter() - t0 if ok else 60.0)
        time.sleep(pause)


def flood(base: str, until: float, idx: int, codes: Counter, lock: threading.Lock) -> None:
    """Wrong passwords as fast as the server answers."""
    s = requests.Session()
    n = 0
    while time.time() < until:
        user = "bench_leader" if n % 2 == 0 else f"nobody{idx}_{n}"
        try:
            code = s.post(base + "/login", data={"user": user, "password": "wrong password"}, timeout=60,
                          allow_redirects=False).status_code
        except requests.RequestException:
            code = 0
        with lock:
            codes[code] += 1
        n += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default="boundaries,targets")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cb-flood-"))
    settings = Settings(db=tmp / "citybrain.duckdb", cache="simple", sim_anchor=datetime(2026, 7, 15, 12))
    t0 = time.perf_counter()
    build_store(settings, progress=False, only=[n for n in args.only.split(",") if n])
    print(f"store ({args.only}) built in {time.perf_counter() - t0:.1f} s")
    users = tmp / "users.json"
    UserStore(users).add("bench_leader", "leader", "the right password", list(settings.role_clearance))
    port = devserver.free_port()
    env = {"CITYBRAIN_DB": str(settings.db), "CITYBRAIN_CACHE": "simple", "CITYBRAIN_AUTH": "local",
           "CITYBRAIN_USERS_FILE": str(users), "CITYBRAIN_WALL_TOKENS": f'["{TOKEN}"]',
           "CITYBRAIN_COOKIE_SECURE": "false", "CITYBRAIN_ACCESS_LOG": str(tmp / "access.log")}
    proc = devserver.start(port, env, workers=args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        quiet: dict[str, list[float]] = {p: [] for p in PROBES}
        probe(base, time.time() + 3, quiet)
        loaded: dict[str, list[float]] = {p: [] for p in PROBES}
        codes: Counter = Counter()
        lock = threading.Lock()
        until = time.time() + args.seconds
        threads = [threading.Thread(target=flood, args=(base, until, i, codes, lock)) for i in range(args.threads)]
        threads.append(threading.Thread(target=probe, args=(base, until, loaded)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    total = sum(codes.values())
    print(f"flood: {args.threads} threads x {args.seconds:.0f} s against {args.workers} gunicorn workers x 4 threads: "
          f"{total} failed sign-ins ({total / args.seconds:.0f}/s): 429 x {codes[429]}, 401 x {codes[401]}, "
          f"other x {total - codes[429] - codes[401]} {dict((k, v) for k, v in codes.items() if k not in (401, 429))}")
    rows = []
    for path in PROBES:
        for label, t in (("quiet", quiet[path]), ("flood", loaded[path])):
            rows.append([path, label, len(t), f"{pct(t, 0.5):.1f}", f"{pct(t, 0.95):.1f}",
                         f"{max(t) * 1000:.1f}" if t else "-", f"{statistics.mean(t) * 1000:.1f}" if t else "-"])
    print_table("probe latencies (ms) measured in the same run", ["url", "phase", "n", "p50", "p95", "max", "mean"],
                rows)


if __name__ == "__main__":
    main()
