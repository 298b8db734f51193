"""Soak the wall: run /wall in headless Chromium for --minutes with a fast playlist and fast panel
refresh, and record the JS heap and DOM size every minute (Chrome DevTools Protocol
``Performance.getMetrics`` after a forced garbage collection). Prints the table and the growth
from minute 5 to the end (goal: under 10 %).

    python -m bench.soak_wall --minutes 30            # serves the store at CITYBRAIN_DB
    python -m bench.soak_wall --minutes 10 --db /path/store.duckdb --interval 5 --refresh 5

The server is started on a free loopback port (``citybrain.cli serve``) and stopped at the end; the
browser is Debian's Chromium (``CITYBRAIN_CHROMIUM``). Nothing leaves the host.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from bench.common import print_table
from citybrain import devserver

CHROMIUM = os.environ.get("CITYBRAIN_CHROMIUM", "/usr/bin/chromium")


def serve(db: Path | None, port: int) -> subprocess.Popen:
    return devserver.start(port, {"CITYBRAIN_DB": str(db)} if db else {}, workers=2, timeout_s=300)


def sample(page, cdp) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
    st = page.evaluate("({a: cbWall.acks, r: cbWall.requests, s: cbWall.advances, f: Object.keys(cbWall.inflight).length,"
                       " g: document.querySelectorAll('.js-plotly-plot').length})")
    return {"heap_mb": m["JSHeapUsedSize"] / 2**20, "nodes": int(m["Nodes"]), "listeners": int(m["JSEventListeners"]),
            "docs": int(m["Documents"]), "plots": st["g"], "advances": st["s"], "refreshes": st["a"],
            "inflight": st["f"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--db", type=Path, default=None, help="store to serve (default: CITYBRAIN_DB / settings)")
    ap.add_argument("--interval", type=int, default=5, help="seconds per playlist step")
    ap.add_argument("--refresh", type=int, default=5, help="seconds between refreshes of each panel")
    ap.add_argument("--url", default=None, help="soak a running server instead of starting one")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc = None
    base = a.url
    if not base:
        port = devserver.free_port()
        proc = serve(a.db, port)
        base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                  args=["--no-sandbox", "--disable-dev-shm-usage", "--enable-precise-memory-info"])
            page = b.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(f"{base}/wall?playlist=default&interval={a.interval}&refresh={a.refresh}",
                      wait_until="load")
            page.wait_for_selector("#wall-root")
            t0 = time.time()
            for minute in range(a.minutes + 1):
                while time.time() < t0 + minute * 60:
                    time.sleep(1)
                s = sample(page, cdp)
                rows.append([minute, round(s["heap_mb"], 2), s["nodes"], s["listeners"], s["plots"], s["advances"],
                             s["refreshes"], s["inflight"]])
                print(f"minute {minute:3d}: heap {s['heap_mb']:.2f} MB, nodes {s['nodes']}, listeners "
                      f"{s['listeners']}, plots {s['plots']}, advances {s['advances']}, refreshes {s['refreshes']}",
                      flush=True)
            b.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    print_table(f"Wall soak: {a.minutes} min, {a.interval} s per step, panel refresh every {a.refresh} s",
                ["minute", "JS heap MB", "DOM nodes", "listeners", "plotly graphs", "step changes", "refreshes",
                 "in flight"], rows)
    ref = rows[min(5, len(rows) - 1)]
    end = rows[-1]
    heap = (end[1] - ref[1]) / ref[1] * 100
    nodes = (end[2] - ref[2]) / ref[2] * 100
    print(f"\ngrowth from minute {ref[0]} to {end[0]}: JS heap {heap:+.1f} %, DOM nodes {nodes:+.1f} % "
          f"(goal under 10 %); console errors: {len(errors)}")


if __name__ == "__main__":
    main()
