"""Per dashboard module: server time of its layout against the raw DuckDB queries it runs, and the
cached repeat. Usage: ``CITYBRAIN_DB=... python -m bench.bench_dashboards [region]``.

For each module, in one run, medians of repeated timings:
- *raw DuckDB*: the exact SQL with the exact parameters the layout ran (recorded from ``Store``),
  replayed on a DuckDB cursor and materialised the way ``Store`` does (``.df()`` / ``fetchnumpy`` /
  ``fetchone``), as Arrow tables (DuckDB's own columnar result: the budget's baseline, as for the
  one-map layers) and as numpy arrays (the cheapest fetch, the stricter reference).
- *layout (no cache)*: the layout with a null cache (every query runs, no memo across requests; one
  request scope per call, as the server opens per HTTP request) — the budget is ≤ 1.5× raw.
- *build*: the page-building share alone (queries answered from an in-process cache, layout memo
  off) — what Python adds on top of the queries.
- *cached repeat*: the layout again with an in-process cache (the per-data-version layout memo
  hits) — the budget is < 10 ms; *fs cached*: the same with the filesystem cache the server uses
  by default (shared by gunicorn workers).
The overview embeds the one-map (``layers.figure.map_figure``, owned by the layers module): its
build time is printed on its own so the cockpit's own share stays visible.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import median_ms, print_table
from citybrain import cache, kpi
from citybrain.registry import builtin_modules
from citybrain.settings import get_settings
from citybrain.store import Store, get_store

MINE = ("overview", "fisheries", "traffic", "water", "emergency", "targets", "data")


def _use(settings, spec: str, **kw) -> None:
    cache._backend = cache.make_backend(settings.model_copy(update={"cache": spec, **kw}))


def paired(a, b, repeat: int = 9) -> tuple[float, float]:
    """Median ms of ``a`` and of ``b``, run alternately (one warm-up each)."""
    a(), b()
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(median_ms(a, repeat=1, warmup=0))
        tb.append(median_ms(b, repeat=1, warmup=0))
    return statistics.median(ta), statistics.median(tb)


def request(fn, *args, **kwargs):
    """``fn`` as one HTTP request runs it: inside its own request scope (``cache.request_scope``)."""
    with cache.request_scope():
        return fn(*args, **kwargs)


def main(region: str = "330225") -> None:
    settings = get_settings()
    store = get_store(settings.db)
    recorded: list[tuple[str, str, list]] = []
    fetches = ("df", "scalar", "columns")  # every way the product reads the store
    originals = {name: getattr(Store, name) for name in fetches}

    def recorder(name):
        def rec(self, sql, params=None):
            recorded.append((name, sql, params))
            return originals[name](self, sql, params)
        return rec

    rows = []
    mods = {m.id: m for m in builtin_modules()}
    fs_dir = Path(tempfile.mkdtemp(prefix="bench-dash-cache-"))
    for mid in MINE:
        m = mods[mid]
        build = getattr(m.layout, "uncached", m.layout)
        _use(settings, "null")
        for name in fetches:
            setattr(Store, name, recorder(name))
        recorded.clear()
        request(m.layout, region=region, lang="zh")
        queries = list(recorded)
        for name in fetches:
            setattr(Store, name, originals[name])

        def raw():  # each query fetched the way the product fetches it
            for how, sql, params in queries:
                cur = store.cursor()
                res = cur.execute(sql, params or [])
                res.df() if how == "df" else res.fetchnumpy() if how == "columns" else res.fetchone()
                cur.close()

        def raw_arrow():  # each query fetched as DuckDB's native columnar result (an Arrow table)
            for how, sql, params in queries:
                cur = store.cursor()
                if how == "scalar":
                    cur.execute(sql, params or []).fetchone()
                else:
                    cur.sql(sql, params=params or None).to_arrow_table()
                cur.close()

        def raw_np():  # each query fetched the cheapest way (numpy arrays)
            for how, sql, params in queries:
                cur = store.cursor()
                res = cur.execute(sql, params or [])
                res.fetchone() if how == "scalar" else res.fetchnumpy()
                cur.close()

        # interleave the measurements so machine noise hits all alike; medians of each
        raw_np()
        raw_ms, uncached = paired(raw, lambda: request(m.layout, region=region, lang="zh"), repeat=9)
        raw_np_ms = median_ms(raw_np, repeat=9, warmup=0)
        raw_arrow_ms = median_ms(raw_arrow, repeat=9, warmup=1)
        _use(settings, "simple")
        build_ms = median_ms(lambda: request(build, region=region, lang="zh"), repeat=7, warmup=1)
        request(m.layout, region=region, lang="zh")
        cached = median_ms(lambda: request(m.layout, region=region, lang="zh"), repeat=15, warmup=2)
        _use(settings, "filesystem", cache_dir=fs_dir)
        request(m.layout, region=region, lang="zh")
        fs_cached = median_ms(lambda: request(m.layout, region=region, lang="zh"), repeat=15, warmup=2)
        rows.append([mid, len(queries), round(raw_ms, 1), round(raw_arrow_ms, 1), round(raw_np_ms, 1), round(uncached, 1),
                     f"{uncached / raw_arrow_ms:.2f}×", f"{uncached / raw_ms:.2f}×", f"{uncached / raw_np_ms:.2f}×",
                     round(build_ms, 1), round(cached, 2), round(fs_cached, 2)])
    print_table(f"dashboards, region {region} (store {store.version}); goals: ratio ≤ 1.5×, cached < 10 ms",
                ["module", "queries", "raw ms (product's fetch)", "raw ms Arrow", "raw ms numpy", "layout ms (no cache)",
                 "ratio vs Arrow (budget)", "ratio vs product's fetch", "ratio vs numpy", "build ms", "cached repeat ms", "fs cached ms"], rows)

    # the overview's embedded one-map, on its own (layers.figure.map_figure, not the cockpit's code)
    from dashboards.overview import MAP_LAYERS, small_map

    _, reg, lang, at = kpi.resolve(region, "zh")
    _use(settings, "null")
    map_cold = median_ms(lambda: request(small_map, reg, lang, at), repeat=5, warmup=1)
    _use(settings, "simple")
    map_build = median_ms(lambda: request(small_map, reg, lang, at), repeat=5, warmup=1)
    print(f"\noverview one-map ({', '.join(MAP_LAYERS)}): map_figure {map_cold:.0f} ms with its queries, "
          f"{map_build:.0f} ms figure building alone; memoised per data version in the cockpit.")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main(*sys.argv[1:2])
    print(f"\n(total {time.perf_counter() - t0:.1f} s)")
