"""The filesystem cache under a live store: what one ``set`` costs once the folder is full.

Every cache key carries the data version, so a store fed every few seconds writes new entries all the
time. Fills a folder with ``--entries`` entries of ``--kb`` KB each, through cachelib's
``FileSystemCache`` (threshold 5,000, as the app used it) and through ``citybrain.filecache.
TrimmedFileCache`` (the app's now), then times ``--sets`` more sets on each, alternately, in one run.

Usage: ``python -m bench.bench_filecache [--entries 5200] [--sets 40] [--kb 20]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time

from cachelib import FileSystemCache

from bench.common import print_table
from citybrain.filecache import TrimmedFileCache


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=5200)
    ap.add_argument("--sets", type=int, default=40)
    ap.add_argument("--kb", type=int, default=20)
    args = ap.parse_args()
    value = {"page": "x" * (args.kb * 1024)}
    dirs = {name: tempfile.mkdtemp(prefix=f"bench-cache-{name}-") for name in ("cachelib", "trimmed")}
    try:
        caches = {"cachelib": FileSystemCache(dirs["cachelib"], threshold=5000, default_timeout=3600),
                  "trimmed": TrimmedFileCache(dirs["trimmed"], max_files=5000, default_timeout=3600)}
        fill = {}
        for name, c in caches.items():
            t0 = time.perf_counter()
            for i in range(args.entries):
                c.set(f"v1:k{i}", value)
            fill[name] = (time.perf_counter() - t0) * 1000 / args.entries
        times: dict[str, list[float]] = {n: [] for n in caches}
        for i in range(args.sets):  # alternately, so machine noise hits both alike
            for name, c in caches.items():
                t0 = time.perf_counter()
                c.set(f"v2:k{i}", value)
                times[name].append((time.perf_counter() - t0) * 1000)
        base = statistics.median(times["trimmed"])
        print_table(f"one set into a full cache folder ({args.entries:,} entries of {args.kb} KB; ms)",
                    ["cache", "mean set while filling", "median set when full", "vs trimmed"],
                    [[n, round(fill[n], 2), round(statistics.median(t), 2), f"{statistics.median(t) / base:.1f}×"]
                     for n, t in times.items()])
    finally:
        for d in dirs.values():
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
