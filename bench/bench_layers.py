"""Per one-map layer: server time of the layer callback (features + traces + JSON for the browser)
against the raw DuckDB queries it runs, the cached repeat, bytes per point sent, and the browser's
time to first render of 50,000 vessel points.

Usage: ``CITYBRAIN_DB=... python -m bench.bench_layers [region] [--no-browser]``.

The callback is timed with a null cache (every query runs); the same SQL with the same parameters
(recorded from that very callback) is replayed straight on a DuckDB cursor ("raw"), fetched three
ways (Arrow table, numpy arrays, DataFrame), all timed alternately in the same run so machine noise
hits each alike. The budget (≤ 1.5×) is against the Arrow fetch, DuckDB's own columnar result; the
ratio against the fastest of the three fetches (for small results, numpy arrays) is printed too,
as the stricter reference; the cached repeat uses an in-process cache
(the memoised trace dicts, keyed by data version, region, time, sub-layers and language).
The browser figure starts the app with gunicorn, opens /map in headless Chromium and plots 50,000
positions (float32 typed arrays) into a fresh map, timed with performance marks.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta

import numpy as np
from plotly.io.json import to_json_plotly

from bench.appctx import SERVER, use_cache
from bench.common import median_ms, print_table
from citybrain import cache, queries
from citybrain.settings import get_settings
from citybrain.store import Store, get_store
from dashboards.map.callbacks import trace_json
from layers.base import LayerContext
from layers.registry import all_layers, cached_traces


def _callback(layer, ctx: LayerContext) -> list[dict]:
    """What the /map callback does for one layer: features, trace dicts and their digests (the JSON
    serialisation of every trace), through the same memoised path (``layers.figure.draw``)."""
    subs = tuple(s.id for s in layer.sublayers)
    with cache.request_scope():  # one callback is one HTTP request
        traces, _digests = cached_traces(ctx.store, layer.id, ctx.region, ctx.at, ctx.window_h, ctx.track_id, "zh",
                                         subs, False)
    return traces


def server(region: str) -> None:
    """Layer callbacks against their raw queries (run inside the benchmark's app context)."""
    settings = get_settings()
    store = get_store(settings.db)
    at = queries.anchor(store)
    ctx = LayerContext(store=store, region=region, at=at)
    recorded: list[tuple[str, list]] = []
    fetches = ("df", "scalar", "columns")  # every way the product reads the store
    originals = {name: getattr(Store, name) for name in fetches}

    def recorder(name):
        def rec(self, sql, params=None):
            recorded.append((sql, params))
            return originals[name](self, sql, params)
        return rec

    rows = []
    for layer in all_layers():
        use_cache(settings, store, "null")
        queries.anchor(store)
        for name in fetches:
            setattr(Store, name, recorder(name))
        recorded.clear()
        traces = _callback(layer, ctx)
        qs = [q for q in recorded if "FROM meta" not in q[0]]
        for name in fetches:
            setattr(Store, name, originals[name])

        def raw():
            cur = store.cursor()
            for sql, params in qs:
                cur.sql(sql, params=params or None).to_arrow_table()  # the cheapest full fetch (columnar)
            cur.close()

        def raw_np():
            cur = store.cursor()
            for sql, params in qs:
                cur.execute(sql, params or []).fetchnumpy()  # numpy arrays (what Store.columns starts from)
            cur.close()

        def raw_df():
            cur = store.cursor()
            for sql, params in qs:
                cur.execute(sql, params or []).df()  # a DataFrame
            cur.close()

        uncached_t, raw_t, raw_np_t, raw_df_t = [], [], [], []
        raw()
        raw_np()
        raw_df()
        _callback(layer, ctx)
        for _ in range(11):  # interleaved, so noise from other processes hits all alike
            raw_t.append(median_ms(raw, repeat=1, warmup=0))
            raw_np_t.append(median_ms(raw_np, repeat=1, warmup=0))
            raw_df_t.append(median_ms(raw_df, repeat=1, warmup=0))
            uncached_t.append(median_ms(lambda: _callback(layer, ctx), repeat=1, warmup=0))
        uncached, raw_ms = statistics.median(uncached_t), statistics.median(raw_t)
        raw_np_ms, raw_df_ms = statistics.median(raw_np_t), statistics.median(raw_df_t)
        fastest = min(raw_ms, raw_np_ms, raw_df_ms)
        use_cache(settings, store, "simple")
        _callback(layer, ctx)
        cached = median_ms(lambda: _callback(layer, ctx), repeat=15, warmup=2)
        points = sum(len(t["lon"]) if isinstance(t.get("lon"), list) else
                     (len(np.frombuffer(__import__("base64").b64decode(t["lon"]["bdata"]), "f4")) if isinstance(t.get("lon"), dict) else 0)
                     for t in traces)
        size = sum(len(to_json_plotly(t)) for t in traces)
        rows.append([layer.id, len(qs), round(raw_ms, 1), round(raw_np_ms, 1), round(raw_df_ms, 1), round(uncached, 1),
                     f"{uncached / max(raw_ms, 1e-6):.2f}×", f"{uncached / max(fastest, 1e-6):.2f}×",
                     round(cached, 2), points, round(size / max(points, 1), 1)])
    print_table(f"one-map layers, region {region} at {at:%Y-%m-%d %H:%M} (store {store.version}); "
                "goals: ratio ≤ 1.5×, cached < 10 ms, ≤ 20 bytes/point for vessels",
                ["layer", "queries", "raw ms Arrow", "raw ms numpy", "raw ms DataFrame", "callback ms (no cache)",
                 "ratio vs Arrow (budget)", "ratio vs fastest raw", "cached repeat ms", "points",
                 "bytes/point (all traces)"], rows)

    # the fleet alone: 50,000 positions as the page sends them
    use_cache(settings, store, "simple")
    lon, lat = _fleet(store, at, 50_000)
    from layers.fisheries import LAYER as FISH  # noqa: N811

    import plotly.graph_objects as go

    tr = go.Scattermap(uid="fisheries-trails", lon=lon, lat=lat, mode="markers",
                       marker={"size": 2.5, "color": np.zeros(len(lon), "uint8"), "cmin": 0, "cmax": 1}, hoverinfo="skip")
    tj = trace_json(tr)
    f64 = trace_json(go.Scattermap(lon=lon.astype("float64"), lat=lat.astype("float64"), mode="markers"))
    lists = go.Scattermap(lon=lon.astype("float64").tolist(), lat=lat.astype("float64").tolist(), mode="markers")
    print_table(f"{len(lon):,} vessel positions in one trace (as sent to the browser)",
                ["encoding", "bytes", "bytes/point"],
                [["float32 typed arrays + uint8 colour (the map's)", len(to_json_plotly(tj)), round(len(to_json_plotly(tj)) / len(lon), 1)],
                 ["float64 typed arrays", len(to_json_plotly(f64)), round(len(to_json_plotly(f64)) / len(lon), 1)],
                 ["Python lists", len(to_json_plotly(lists.to_plotly_json())), round(len(to_json_plotly(lists.to_plotly_json())) / len(lon), 1)]])
    del FISH


def _fleet(store: Store, at, n: int) -> tuple[np.ndarray, np.ndarray]:
    from citybrain.queries import geo

    parts = [geo.vessel_trail(store, r, at - timedelta(hours=3), at) for r in ("330225", "330900")]
    parts = [p for p in parts if len(p["lon"])]
    if not parts:
        raise SystemExit(f"no vessel positions in the 3 hours before the store's now ({at:%Y-%m-%d %H:%M}): "
                         "the fleet table needs a store whose now is the fleet's (e.g. a fresh `citybrain build`)")
    lon = np.concatenate([np.concatenate(p["lon"]).astype("float32") for p in parts])[:n]
    lat = np.concatenate([np.concatenate(p["lat"]).astype("float32") for p in parts])[:n]
    return lon, lat


def browser(n: int = 50_000) -> None:
    """Time to first render of ``n`` points in headless Chromium (median of 5)."""
    import socket
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, start_server

    settings = get_settings()
    store = get_store(settings.db)
    lon, lat = _fleet(store, queries.anchor(store), n)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_server(settings.model_copy(update={"cache_dir": Path(settings.cache_dir)}), port)
    try:
        from dashboards.map.callbacks import trace_json as tj
        import plotly.graph_objects as go

        trace = tj(go.Scattermap(lon=lon, lat=lat, mode="markers", marker={"size": 3, "color": "#35c2ff"},
                                 hoverinfo="skip"))
        from layers.figure import OFFLINE_STYLE

        layout = {"map": {"style": OFFLINE_STYLE, "center": {"lon": 122.2, "lat": 29.8}, "zoom": 7},
                  "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--use-gl=swiftshader"])
            page = b.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"http://127.0.0.1:{port}/map", wait_until="networkidle")
            page.wait_for_function("window.Plotly !== undefined", timeout=30000)
            times, fps = [], []
            for _ in range(5):
                ms = page.evaluate("""async ([trace, layout]) => {
                    const div = document.createElement('div');
                    div.style.cssText = 'position:fixed;left:0;top:0;width:1200px;height:800px;z-index:9999';
                    document.body.appendChild(div);
                    performance.mark('plot-start');
                    await Plotly.newPlot(div, [trace], layout);
                    const m = div._fullLayout.map._subplot.map;
                    await new Promise(r => m.loaded() ? r() : m.once('idle', r));
                    performance.mark('plot-end');
                    const d = performance.measure('plot', 'plot-start', 'plot-end').duration;
                    Plotly.purge(div); div.remove();
                    return d;
                }""", [trace, layout])
                times.append(ms)
            # interactivity: frames per second while panning the 50k-point map
            fps_v = page.evaluate("""async ([trace, layout]) => {
                const div = document.createElement('div');
                div.style.cssText = 'position:fixed;left:0;top:0;width:1200px;height:800px;z-index:9999';
                document.body.appendChild(div);
                await Plotly.newPlot(div, [trace], layout);
                const m = div._fullLayout.map._subplot.map;
                let frames = 0; const t0 = performance.now();
                m.on('render', () => frames++);
                for (let i = 0; i < 30; i++) { m.panBy([10, 0], {duration: 0}); await new Promise(r => requestAnimationFrame(r)); }
                return frames / ((performance.now() - t0) / 1000);
            }""", [trace, layout])
            fps.append(fps_v)
            b.close()
        print_table(f"browser: first render of {len(lon):,} points (headless Chromium, software GL)",
                    ["measure", "value"],
                    [["time to first render, median of 5 (ms)", round(float(np.median(times)), 0)],
                     ["render frames/s while panning", round(fps[0], 1)]])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    t0 = time.perf_counter()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with SERVER.app_context():  # the product's code reads its context (citybrain.context), as a request does
        server(*(args[:1] or ["330225"]))
    if "--no-browser" not in sys.argv:
        browser()
    print(f"\n(total {time.perf_counter() - t0:.1f} s)")
