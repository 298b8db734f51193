"""Work-order bench: N concurrent operators for S seconds through the HTTP API, on PostgreSQL and SQLite.

Usage: ``python bench/bench_workorders.py [--operators 100] [--seconds 60] [--backends postgresql,sqlite]``
(defaults: 100 operators for 60 s on both).
Builds a small store (boundaries only) in a temp folder, then for each backend starts a real server
(``citybrain.devserver``: ``citybrain serve``, gunicorn) with header auth — PostgreSQL is a throwaway
cluster (``citybrain.ops.pgcluster``), SQLite the default file beside the store — and runs N threads.
Each operator opens orders as the duty officer and moves random open orders one step at the version
it just read (register or reject, dispatch to a department, handle as that department's handler,
verify or send back 返工, close), so operators collide on the same orders on purpose. A 409 is the
expected answer to a collision, not an error.

Printed, never asserted: requests, transitions that succeeded, 409s, errors (any other non-2xx or a
failed request), lost updates (for every order: |final version − (1 + successful transitions)|,
plus orders whose history length differs from their version) and latency p50/p95/p99 in ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import print_table  # noqa: E402
from citybrain import devserver  # noqa: E402
from citybrain.settings import Settings  # noqa: E402
from citybrain.store.build import build_store  # noqa: E402

#: Departments as a gateway sends them in a header (HTTP headers are Latin-1: ASCII names).
DEPARTMENTS = ("city-management", "water", "transport")
DUTY = {"X-Remote-User": "bench-duty", "X-Remote-Role": "duty"}


def handler_headers(dept: str) -> dict[str, str]:
    return {"X-Remote-User": f"bench-{dept}", "X-Remote-Role": "handler", "X-Remote-Department": dept}


class Tally:
    """What all operators did (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: list[float] = []
        self.ok: Counter[int] = Counter()  # successful transitions per order
        self.codes: Counter[str] = Counter()
        self.pool: list[int] = []
        self.created: list[int] = []  # every order opened (checked one by one at the end, never a capped list)

    def timed(self, session: requests.Session, method: str, url: str, **kw) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = session.request(method, url, timeout=60, **kw)
        except Exception as exc:  # noqa: BLE001  (every failure is an error of the bench, never a dead thread)
            with self.lock:
                self.codes[f"error {exc.__class__.__name__}"] += 1
            return None
        with self.lock:
            self.ms.append((time.perf_counter() - t0) * 1000)
            self.codes[str(r.status_code)] += 1
        return r


def next_step(state: str, rng: random.Random) -> tuple[str, dict] | None:
    """The step an operator takes from ``state`` (and its extra body fields), or None when final."""
    if state == "received":
        return ("rejected", {"note": "重复上报"}) if rng.random() < 0.1 else ("registered", {})
    if state == "registered":
        return "dispatched", {"department": rng.choice(DEPARTMENTS)}
    if state == "dispatched":
        return "handled", {"note": "已处置"}
    if state == "handled":
        return ("dispatched", {"note": "核查未通过，返工"}) if rng.random() < 0.2 else ("verified", {})
    if state == "verified":
        return "closed", {}
    return None


def operator(base: str, tally: Tally, stop: float, seed: int, operators: int) -> None:
    rng = random.Random(seed)
    s = requests.Session()
    url = f"{base}/api/v1/workorders"
    while time.time() < stop:
        with tally.lock:
            pool = list(tally.pool)
        if len(pool) < max(3, operators // 2) or rng.random() < 0.1:
            r = tally.timed(s, "POST", url, headers=DUTY, json={
                "title": f"压测工单 {seed}", "category": rng.choice(("urgent", "normal")), "region": "330225"})
            if r is not None and r.status_code == 201:
                with tally.lock:
                    tally.pool.append(r.json()["id"])
                    tally.created.append(r.json()["id"])
            continue
        oid = rng.choice(pool)
        r = tally.timed(s, "GET", f"{url}/{oid}", headers=DUTY)
        if r is None or r.status_code != 200:
            continue
        order = r.json()
        step = next_step(order["state"], rng)
        if step is None:
            with tally.lock:
                if oid in tally.pool:
                    tally.pool.remove(oid)
            continue
        to, extra = step
        who = handler_headers(order["department"]) if to == "handled" else DUTY
        r = tally.timed(s, "POST", f"{url}/{oid}/transition", headers=who,
                        json={"to": to, "version": order["version"], **extra})
        if r is not None and r.status_code == 200:
            with tally.lock:
                tally.ok[oid] += 1


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [0])[0]


def run(backend: str, store: Settings, operators: int, seconds: float, workers: int) -> list:
    env = {"CITYBRAIN_DB": str(store.db), "CITYBRAIN_AUTH": "header", "CITYBRAIN_CACHE": "simple",
           # the bench plays the gateway on loopback, which sets the role header itself
           "CITYBRAIN_TRUSTED_PROXIES": '["127.0.0.1", "::1"]', "CITYBRAIN_SSO_TRUST_ROLE_HEADER": "true",
           "CITYBRAIN_SIM_ANCHOR": store.sim_anchor.isoformat() if store.sim_anchor else ""}
    cluster = None
    if backend == "postgresql":
        from citybrain.ops.pgcluster import Cluster

        cluster = Cluster(database="bench").start()
        env["CITYBRAIN_OPS_DB"] = cluster.url
    else:
        (store.db.parent / "ops.sqlite").unlink(missing_ok=True)
    port = devserver.free_port()
    server = devserver.start(port, env, workers=workers)
    base = f"http://127.0.0.1:{port}"
    try:
        tally = Tally()
        stop = time.time() + seconds
        threads = [threading.Thread(target=operator, args=(base, tally, stop, i, operators)) for i in range(operators)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - t0
        lost = bad_history = 0
        s = requests.Session()
        rows = []
        for oid in tally.created:
            detail = s.get(f"{base}/api/v1/workorders/{oid}", headers=DUTY, timeout=60).json()
            rows.append(detail)
            lost += abs(detail["version"] - (1 + tally.ok[oid]))
            bad_history += len(detail["history"]) != detail["version"]
        n = sum(tally.codes.values())
        conflicts = tally.codes["409"]
        errors = n - sum(tally.codes[c] for c in ("200", "201", "409"))
        states = Counter(r["state"] for r in rows)
        print(f"  {backend}: status codes {dict(sorted(tally.codes.items()))}; final states {dict(states)}")
        return [backend, operators, round(took, 1), n, n / took, sum(tally.ok.values()), len(rows), conflicts, errors,
                lost, bad_history, pct(tally.ms, 50), pct(tally.ms, 95), pct(tally.ms, 99)]
    finally:
        server.terminate()
        server.wait(timeout=30)
        if cluster is not None:
            cluster.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--operators", type=int, default=100, help="concurrent operators (threads)")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long they act")
    ap.add_argument("--backends", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (4 threads each)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="citybrain-bench-wo-"))
    from datetime import datetime

    store = Settings(db=tmp / "store.duckdb", cache="simple", cache_dir=tmp / "cache",
                     sim_anchor=datetime(2026, 7, 15, 12, 0))
    build_store(store, progress=False, only=["boundaries"])
    os.environ.pop("CITYBRAIN_OPS_DB", None)
    rows = [run(b.strip(), store, args.operators, args.seconds, args.workers)
            for b in args.backends.split(",") if b.strip()]
    print_table(f"work orders through the HTTP API: {args.operators} operators, {args.seconds:g} s, "
                f"{args.workers} gunicorn workers x 4 threads",
                ["backend", "operators", "s", "requests", "req/s", "transitions ok", "orders", "409", "errors",
                 "lost updates", "bad histories", "p50 ms", "p95 ms", "p99 ms"], rows)


if __name__ == "__main__":
    main()
