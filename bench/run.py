"""Foundation benchmark: build time, store size, rows per dataset, raw DuckDB KPI query latency.

Usage: ``python bench/run.py [--db PATH] [--no-build]``. Builds a fresh store (fixed anchor/seed)
in a temp folder unless ``--db`` names an existing one, then prints tables. The raw DuckDB
latencies are the baselines that later ratios (layer and cockpit callbacks, cached repeats) use.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import median_ms, print_table  # noqa: E402
from citybrain import queries  # noqa: E402
from citybrain.store.build import build_store  # noqa: E402
from citybrain.store.parts import store_bytes  # noqa: E402
from bench.appctx import app_context  # noqa: E402
from citybrain.settings import Settings  # noqa: E402
from citybrain.store import Store  # noqa: E402

ANCHOR = datetime(2026, 7, 15, 12, 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", type=Path, help="use this store instead of building one")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="citybrain-bench-"))
    settings = Settings(db=args.db or tmp / "store.duckdb", cache="simple", cache_dir=tmp / "cache",
                        sim_anchor=ANCHOR)
    if args.db is None:
        t0 = time.perf_counter()
        res = build_store(settings, progress=False)
        build_s = time.perf_counter() - t0
        print_table("Build", ["what", "value"], [
            ["build time (s)", round(build_s, 2)],
            ["store size (MB)", round(store_bytes(res.path) / 1e6, 1)],
            ["data version", res.data_version]])
        print_table("Rows per dataset", ["dataset", "table", "rows"],
                    [[d, t, n] for d, tables in res.rows.items() for t, n in tables.items() if n])
    store = Store(settings.db)
    with app_context(settings, store):  # the product's code reads its context, as a request does
        _measure(settings, store)


def _measure(settings: Settings, store: Store) -> None:
    """Raw DuckDB latencies and the same through the query layer."""
    anchor = queries.anchor(store)
    con = duckdb.connect(str(Path(settings.db).resolve()), read_only=True)
    n_obs = con.execute("select count(*) from observations").fetchone()[0]
    n_series = con.execute("select count(*) from (select distinct indicator_id, region_code, entity_id from observations)").fetchone()[0]
    region = "330225"
    box = (121.9, 29.0, 122.4, 29.5)
    raw = {
        "latest value per series (all regions)": (
            "select indicator_id, region_code, entity_id, arg_max(value, ts) from observations group by all", []),
        "latest value per indicator, one region": (
            "select indicator_id, arg_max(value, ts) from observations where region_code = ? and entity_id is null group by 1",
            [region]),
        "24-hour sum per region and indicator": (
            "select region_code, indicator_id, sum(value) from observations where ts > ? and ts <= ? and entity_id is null group by all",
            [anchor - timedelta(hours=24), anchor]),
        "vessels in a bounding box at a time": (
            "select track_id, arg_max(lon, ts), arg_max(lat, ts) from tracks where kind = 'vessel' and ts > ? and ts <= ? "
            "and lon between ? and ? and lat between ? and ? group by 1",
            [anchor - timedelta(hours=1), anchor, box[0], box[2], box[1], box[3]]),
    }
    rows = []
    for name, (sql, params) in raw.items():
        def run(sql=sql, params=params):
            cur = con.cursor()
            cur.execute(sql, params).fetchall()
            cur.close()
        rows.append([name, round(median_ms(run), 2)])
    print_table(f"Raw DuckDB query latency (median ms; {n_obs:,} observation rows, {n_series:,} series)",
                ["query", "median ms"], rows)
    # The same through the query layer: first call (uncached) and cached repeat.
    from citybrain.queries import geo
    from citybrain.queries import kpi as qk

    ids = tuple(store.df("SELECT indicator_id FROM indicators ORDER BY 1")["indicator_id"])
    layer = [
        ("kpi.snapshot (latest per indicator, one region)", lambda: qk.snapshot.uncached(store, region, ids, anchor),
         lambda: qk.snapshot(store, region, ids, anchor)),
        ("geo.vessel_positions (vessels at a time)", lambda: geo.vessel_positions.uncached(store, region, anchor),
         lambda: geo.vessel_positions(store, region, anchor)),
    ]
    lrows = []
    for name, uncached, cached in layer:
        u = median_ms(uncached, repeat=7)
        c = median_ms(cached, repeat=30)
        lrows.append([name, round(u, 2), round(c, 3)])
    print_table("Query layer (median ms)", ["function", "uncached", "cached repeat"], lrows)


if __name__ == "__main__":
    main()
