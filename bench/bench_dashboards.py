"""Per dashboard module: server time of its layout and of its drill-down callback (a KPI card
clicked) against the raw DuckDB queries each runs, and the cached repeat.
Usage: ``CITYBRAIN_DB=... python -m bench.bench_dashboards [region]``.

For each module and each of the two requests, in one run, medians of repeated timings:
- *raw DuckDB*: the exact SQL with the exact parameters the layout ran (recorded from ``Store``),
  replayed on a DuckDB cursor and materialised the way ``Store`` does (``.df()`` / ``fetchnumpy`` /
  ``fetchone``), as Arrow tables (DuckDB's own columnar result: the budget's baseline, as for the
  one-map layers) and as numpy arrays (the cheapest fetch, the stricter reference).
- *server (no cache)*: the layout or callback with a null cache (every query runs, no memo across requests; one
  request scope per call, as the server opens per HTTP request) — the budget is ≤ 1.5× raw.
- *build*: the page-building share alone (queries answered from an in-process cache, layout memo
  off) — what Python adds on top of the queries.
- *cached repeat*: the same request again with an in-process cache (the per-data-version layout
  memo hits; a drill-down's queries hit) — the budget is < 10 ms; *fs cached*: the same with the filesystem cache the server uses
  by default (shared by gunicorn workers).
The overview embeds the one-map (``layers.figure.map_figure``, owned by the layers module): its
build time is printed on its own so the cockpit's own share stays visible.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.appctx import app_context, use_cache
from bench.common import median_ms, print_table
from citybrain import cache, kpi
from citybrain.ui import drill
from citybrain.registry import builtin_modules
from citybrain.settings import get_settings
from citybrain.store import Store, get_store

MINE = ("overview", "fisheries", "traffic", "water", "emergency", "targets", "data")


_STORE: list[Store] = []


def _use(settings, spec: str, **kw) -> None:
    use_cache(settings, _STORE[0], spec, **kw)


def interleaved(*fns, repeat: int = 11) -> list[float]:
    """Median ms of each of ``fns``, run round-robin (one warm-up each) so machine noise hits all alike."""
    for f in fns:
        f()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for f, ts in zip(fns, times):
            ts.append(median_ms(f, repeat=1, warmup=0))
    return [statistics.median(ts) for ts in times]


def request(fn, *args, **kwargs):
    """``fn`` as one HTTP request runs it: inside its own request scope (``cache.request_scope``)."""
    with cache.request_scope():
        return fn(*args, **kwargs)


def main(region: str = "330225") -> None:
    settings = get_settings()
    store = get_store(settings.db)
    _STORE[:] = [store]
    with app_context(settings, store):
        _main(settings, store, region)


def _main(settings, store: Store, region: str) -> None:
    recorded: list[tuple[str, str, list]] = []
    fetches = ("df", "scalar", "columns")  # every way the product reads the store
    originals = {name: getattr(Store, name) for name in fetches}

    def recorder(name):
        def rec(self, sql, params=None):
            recorded.append((name, sql, params))
            return originals[name](self, sql, params)
        return rec

    fs_dir = Path(tempfile.mkdtemp(prefix="bench-dash-cache-"))

    def measure(label: str, call, build) -> list:
        """One table row: ``call`` (one request: a layout, or a callback) against its raw queries."""
        _use(settings, "null")
        for name in fetches:
            setattr(Store, name, recorder(name))
        recorded.clear()
        request(call)
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

        raw_ms, raw_arrow_ms, raw_np_ms, uncached = interleaved(raw, raw_arrow, raw_np, lambda: request(call),
                                                                repeat=15)
        _use(settings, "simple")
        build_ms = median_ms(lambda: request(build), repeat=7, warmup=1)
        request(call)
        cached = median_ms(lambda: request(call), repeat=15, warmup=2)
        _use(settings, "filesystem", cache_dir=fs_dir)
        request(call)
        fs_cached = median_ms(lambda: request(call), repeat=15, warmup=2)
        return [label, len(queries), round(raw_ms, 1), round(raw_arrow_ms, 1), round(raw_np_ms, 1), round(uncached, 1),
                f"{uncached / raw_arrow_ms:.2f}×", f"{uncached / raw_ms:.2f}×", f"{uncached / raw_np_ms:.2f}×",
                round(build_ms, 1), round(cached, 2), round(fs_cached, 2)]

    header = ["module", "queries", "raw ms (product's fetch)", "raw ms Arrow", "raw ms numpy", "server ms (no cache)",
              "ratio vs Arrow (budget)", "ratio vs product's fetch", "ratio vs numpy", "build ms", "cached repeat ms",
              "fs cached ms"]
    mods = {m.id: m for m in builtin_modules()}
    rows = []
    for mid in MINE:
        m = mods[mid]
        build = getattr(m.layout, "uncached", m.layout)
        rows.append(measure(mid, functools.partial(m.layout, region=region, lang="zh"),
                            functools.partial(build, region=region, lang="zh")))
    print_table(f"dashboards: page layout, region {region} (store {store.version}); goals: ratio ≤ 1.5×, "
                "cached < 10 ms", header, rows)

    # the drill-down callback of every module's first KPI (a click on a card: trend + region comparison)
    rows = []
    defs = kpi.definitions(store)
    for mid in MINE:
        ind = next((i for i in mods[mid].indicators if i in defs), None)
        if ind is None:
            continue
        click = functools.partial(drill.drill_figures, mid, ind, region, "7d", "zh")
        rows.append(measure(f"{mid} ({ind})", click, click))
    print_table("dashboards: drill-down callback (card click, 7-day range); goals: ratio ≤ 1.5×, cached < 10 ms",
                header, rows)

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
