"""Append benchmark: what one pushed batch costs on a 7-day and a 60-day store, and disk against data.

Builds two stores in temp folders from the real boundaries, water and fisheries datasets (fixed anchor
2026-07-15T12:00), one with ``--days 7`` and one with ``--days 60`` of simulated history (vessel
positions grow with the days), and measures on each, in one run on this machine:

* HTTP push (test client of the real app) of 500 observations and of 2,000 vessel positions, each
  ``--repeat`` times with fresh times — median seconds; the 60-day/7-day ratio (goal ≤ 1.5×);
* disk: the store folder's catalog versions and parts against the data served (the current catalog
  and the parts it lists), after the pushes (goal ≤ 1.3×); then once more after ``citybrain compact``.

Timings are noisy on a shared machine: compare figures measured in one run, never across runs.

Usage: ``python bench/bench_append.py [--days 7 60] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from citybrain.settings import PROJECT_ROOT  # noqa: E402
from tests.conftest import TEST_ANCHOR, make_settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, nargs="+", default=[7, 60])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmps = {days: Path(tempfile.mkdtemp(prefix=f"bench-append-{days}d-")) for days in args.days}
    try:
        stores = {days: Pusher(tmp, days) for days, tmp in tmps.items()}
        for k in range(args.repeat):  # alternately, so machine noise hits each store alike
            for p in stores.values():
                p.push(k)
        got = {days: p.finish() for days, p in stores.items()}
    finally:
        for tmp in tmps.values():
            shutil.rmtree(tmp, ignore_errors=True)
    base = got[args.days[0]]
    for days, r in got.items():
        print(f"{days:>3} days: {r['rows']:,} fact rows; push 500 observations {r['obs']:.3f} s "
              f"({r['obs'] / base['obs']:.2f}×), 2,000 positions {r['tracks']:.3f} s ({r['tracks'] / base['tracks']:.2f}×); "
              f"catalog {r['catalog_mb']:.1f} MB; disk {r['disk_mb']:.0f} MB / data {r['data_mb']:.0f} MB = "
              f"{r['disk_mb'] / r['data_mb']:.2f}× (after compaction {r['disk2_mb'] / r['data2_mb']:.2f}×)")


def sizes(db: Path) -> tuple[float, float]:
    """(disk, data) in MB: every catalog version and part file of the store; the served catalog and its parts."""
    import duckdb

    from citybrain.store import parts

    root = parts.parts_dir(db)
    disk = sum(p.stat().st_size for p in db.parent.glob(f"{db.stem}-*{db.suffix}"))
    disk += sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    current = Path(os.path.realpath(db))
    con = duckdb.connect(str(current), read_only=True)
    listed = con.execute("SELECT sum(bytes) FROM parts").fetchall()[0][0] or 0
    con.close()
    return disk / 1e6, (current.stat().st_size + listed) / 1e6


class Pusher:
    """One built store and the real app in this process, pushed to through HTTP."""

    def __init__(self, tmp: Path, days: int) -> None:
        import duckdb

        from citybrain.app_factory import create_app
        from citybrain.feeds import tokens
        from citybrain.ops.db import make_engine
        from citybrain.store.build import build_store

        for name in ("boundaries", "water", "fisheries"):
            shutil.copytree(PROJECT_ROOT / "datasets" / name, tmp / "datasets" / name)
        self.s = s = make_settings(tmp / "db", datasets_dir=tmp / "datasets", cache="null").model_copy(
            update={"history_days": days})
        t = time.perf_counter()
        build_store(s, progress=False)
        con = duckdb.connect(os.path.realpath(s.db), read_only=True)
        self.rows = con.execute("SELECT (SELECT count(*) FROM observations) + (SELECT count(*) FROM tracks)"
                                ).fetchall()[0][0]
        self.vessels = [v for (v,) in con.execute("SELECT DISTINCT track_id FROM tracks WHERE kind = 'vessel' "
                                                  "ORDER BY 1 LIMIT 2000").fetchall()]
        con.close()
        print(f"built {days} days: {self.rows:,} rows in {time.perf_counter() - t:.0f} s", flush=True)
        self.c = create_app(s).server.test_client()  # the real app, in this process
        self.obs_tok = tokens.add(make_engine(s), "bench-water", "water")
        self.fish_tok = tokens.add(make_engine(s), "bench-fish", "fisheries")
        self.obs: list[float] = []
        self.trk: list[float] = []

    def push(self, k: int) -> None:
        lines = ["indicator_id,region_code,entity_id,ts,value,quality"]
        for i in range(500):
            ts = (TEST_ANCHOR + timedelta(minutes=1 + 100 * k + i // 5, seconds=30)).isoformat()
            lines.append(f"water_level,330225,WS-330225-0{1 + i % 5},{ts},{30 + i / 1000:.3f},good")
        t = time.perf_counter()
        r = self.c.post("/api/v1/ingest/water", data="\n".join(lines) + "\n",
                        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {self.obs_tok}"})
        self.obs.append(time.perf_counter() - t)
        assert r.status_code == 200 and r.get_json()["rows"] == 500, r.get_data(as_text=True)
        stamp = (TEST_ANCHOR + timedelta(minutes=5 * (k + 1), seconds=7)).isoformat()
        body = "".join(json.dumps({"id": v, "ts": stamp, "lon": 122.5, "lat": 29.9, "speed": 6.5, "heading": 90},
                                  ensure_ascii=False) + "\n" for v in self.vessels)
        t = time.perf_counter()
        r = self.c.post("/api/v1/ingest/fisheries?kind=tracks", data=body.encode(),
                        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {self.fish_tok}"})
        self.trk.append(time.perf_counter() - t)
        assert r.status_code == 200 and r.get_json()["rows"] == len(self.vessels), r.get_data(as_text=True)

    def finish(self) -> dict:
        from citybrain.store.compact import compact

        s = self.s
        disk, data = sizes(s.db)
        compact(s.db, min_parts=2, grace_s=0)
        compact(s.db, min_parts=2, grace_s=0)  # the second run deletes what the first one replaced
        disk2, data2 = sizes(s.db)
        current = Path(os.path.realpath(s.db))
        return {"rows": self.rows, "obs": statistics.median(self.obs), "tracks": statistics.median(self.trk),
                "catalog_mb": current.stat().st_size / 1e6, "disk_mb": disk, "data_mb": data, "disk2_mb": disk2,
                "data2_mb": data2}


if __name__ == "__main__":
    main()
