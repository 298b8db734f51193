"""Per dashboard module: server time of its layout against the raw DuckDB queries it runs, and the
cached repeat. Usage: ``CITYBRAIN_DB=... python -m bench.bench_dashboards [region]``.

The layout is timed with a null cache (every query runs); the same SQL with the same parameters is
then replayed straight on a DuckDB cursor ("raw"); the cached repeat uses an in-process cache.
"""

from __future__ import annotations

import sys
import time

from bench.common import median_ms, print_table
from citybrain import cache
from citybrain.registry import builtin_modules
from citybrain.settings import get_settings
from citybrain.store import Store, get_store

MINE = ("overview", "fisheries", "traffic", "water", "emergency", "targets", "data")


def main(region: str = "330225") -> None:
    settings = get_settings()
    store = get_store(settings.db)
    recorded: list[tuple[str, list]] = []
    orig_df, orig_scalar = Store.df, Store.scalar

    def rec_df(self, sql, params=None):
        recorded.append((sql, params))
        return orig_df(self, sql, params)

    def rec_scalar(self, sql, params=None):
        recorded.append((sql, params))
        return orig_scalar(self, sql, params)

    rows = []
    mods = {m.id: m for m in builtin_modules()}
    for mid in MINE:
        m = mods[mid]
        cache._backend = cache.make_backend(settings.model_copy(update={"cache": "null"}))
        Store.df, Store.scalar = rec_df, rec_scalar
        recorded.clear()
        m.layout(region=region, lang="zh")
        queries = list(recorded)
        Store.df, Store.scalar = orig_df, orig_scalar
        uncached = median_ms(lambda: m.layout(region=region, lang="zh"), repeat=5, warmup=1)

        def raw():
            cur = store.cursor()
            for sql, params in queries:
                cur.execute(sql, params or []).fetchall()
            cur.close()

        raw_ms = median_ms(raw, repeat=5, warmup=1)
        cache._backend = cache.make_backend(settings.model_copy(update={"cache": "simple"}))
        m.layout(region=region, lang="zh")
        cached = median_ms(lambda: m.layout(region=region, lang="zh"), repeat=15, warmup=2)
        rows.append([mid, len(queries), round(raw_ms, 1), round(uncached, 1), f"{uncached / raw_ms:.2f}×",
                     round(cached, 1)])
    print_table(f"dashboards, region {region} (store {store.version}); goals: ratio ≤ 1.5×, cached < 10 ms",
                ["module", "queries", "raw DuckDB ms", "layout ms (no cache)", "ratio", "cached repeat ms"], rows)


if __name__ == "__main__":
    t0 = time.perf_counter()
    main(*sys.argv[1:2])
    print(f"\n(total {time.perf_counter() - t0:.1f} s)")
