"""Feed benchmark: what one batch costs by transport and size, and the memory of a big file.

Builds a small store (boundaries, water, fisheries; fixed anchor 2026-07-15T12:00) in a temp folder
and measures, in one run on this machine:

* file: a feed of ``--rows`` observations (default 2,000,000) ingested by a child process — seconds,
  rows/s and the child's peak RSS (goal ≤ 300 MB);
* HTTP push (test client of the real app): 500 observations and 2,000 vessel positions — seconds;
* MQTT: ``--messages`` observation messages through a real mosquitto to the subscriber — seconds
  until all rows are in the store, messages/s.

Timings are noisy on a shared machine: compare figures measured in one run, never across runs.

Usage: ``python bench/bench_feeds.py [--rows 2000000] [--messages 2000]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citybrain.settings import PROJECT_ROOT  # noqa: E402
from tests.conftest import TEST_ANCHOR, make_settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    from citybrain.store.build import build_store
    from citybrain.store.parts import store_bytes
    from tests.citybrain.feeds.test_memory import CHILD, big_feed

    tmp = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    try:
        for name in ("boundaries", "water", "fisheries"):
            shutil.copytree(PROJECT_ROOT / "datasets" / name, tmp / "datasets" / name)
        s = make_settings(tmp / "db", datasets_dir=tmp / "datasets", cache="null")
        build_store(s, progress=False)
        print(f"store: {store_bytes(s.db) / 1e6:.0f} MB")
        _http(s)
        _mqtt(s, tmp, args.messages)
        feed = big_feed(tmp / "big.csv", args.rows)
        out = subprocess.run([sys.executable, "-c", CHILD, str(s.db), str(feed)], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"file: {got['rows']:,} rows ({feed.stat().st_size / 1e6:.0f} MB) in {got['seconds']:.1f} s = "
              f"{got['rows'] / got['seconds']:,.0f} rows/s, peak RSS {got['peak_mb']:.0f} MB (goal ≤ 300 MB)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _http(s) -> None:
    import duckdb

    from citybrain.app_factory import create_app
    from citybrain.feeds import tokens
    from citybrain.ops.db import make_engine

    c = create_app(s).server.test_client()  # the real app, in this process
    obs_tok = tokens.add(make_engine(s), "bench-water", "water")
    fish_tok = tokens.add(make_engine(s), "bench-fish", "fisheries")
    lines = ["indicator_id,region_code,entity_id,ts,value,quality"]
    for i in range(500):
        ts = (TEST_ANCHOR + timedelta(minutes=1 + i // 5, seconds=30)).isoformat()
        lines.append(f"water_level,330225,WS-330225-0{1 + i % 5},{ts},{30 + i / 1000:.3f},good")
    t = time.perf_counter()
    r = c.post("/api/v1/ingest/water", data="\n".join(lines) + "\n",
               headers={"Content-Type": "text/csv", "Authorization": f"Bearer {obs_tok}"})
    print(f"http: 500 observations in {time.perf_counter() - t:.2f} s ({r.status_code}, {r.get_json()['rows']} rows)")
    con = duckdb.connect(str(s.db), read_only=True)
    vessels = [v for (v,) in con.execute("SELECT DISTINCT track_id FROM tracks LIMIT 2000").fetchall()]
    con.close()
    body = "".join(json.dumps({"id": v, "ts": (TEST_ANCHOR + timedelta(minutes=5)).isoformat(), "lon": 122.5,
                               "lat": 29.9, "speed": 6.5, "heading": 90}, ensure_ascii=False) + "\n" for v in vessels)
    t = time.perf_counter()
    r = c.post("/api/v1/ingest/fisheries?kind=tracks", data=body.encode(),
               headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {fish_tok}"})
    print(f"http: {len(vessels):,} vessel positions in {time.perf_counter() - t:.2f} s ({r.status_code}, "
          f"{r.get_json().get('rows')} rows)")


def _mqtt(s, tmp: Path, messages: int) -> None:
    import duckdb
    import paho.mqtt.client as mqtt

    from citybrain.feeds.broker import Broker
    from citybrain.feeds.mqtt import Subscriber, wait_published
    from citybrain.feeds.pipeline import open_read

    broker = Broker(tmp / "mqtt").start()
    sub = Subscriber(s, broker.url, client_id="bench")
    stop = threading.Event()
    th = threading.Thread(target=sub.run, args=(stop,), daemon=True)
    th.start()
    try:
        sub.connected.wait(20)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub")
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        t = time.perf_counter()
        infos = [pub.publish("citybrain/water/observations", json.dumps({
            "indicator_id": "rainfall_1h", "region_code": "330225", "entity_id": f"WS-330225-0{1 + i % 5}",
            "ts": (TEST_ANCHOR + timedelta(minutes=1 + i // 5, seconds=30)).isoformat(), "value": 1.0, "quality": "good"}), qos=1)
            for i in range(messages)]
        wait_published(infos, timeout=300)
        q = "SELECT count(*) FROM observations WHERE indicator_id = 'rainfall_1h' AND ts > ?"
        while time.perf_counter() - t < 300:
            con = open_read(Path(os.path.realpath(s.db)))  # the subscriber's settings, in this process
            n = con.execute(q, [TEST_ANCHOR]).fetchone()[0]
            con.close()
            if n >= messages:
                break
            time.sleep(0.2)
        secs = time.perf_counter() - t
        print(f"mqtt: {messages:,} messages → {n:,} rows in the store in {secs:.1f} s = {messages / secs:,.0f} msg/s "
              f"({sub.stats.batches} batches)")
        pub.loop_stop()
        pub.disconnect()
    finally:
        stop.set()
        th.join(30)
        broker.stop()


if __name__ == "__main__":
    main()
