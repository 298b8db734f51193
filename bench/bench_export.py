"""Export benchmark: CSV through the HTTP endpoint vs DuckDB's own ``COPY … TO`` on the same rows.

Builds a bench store (the real schema, plus 5 M synthetic long-format observation rows in time
order: ``bench_a`` has 0.6 M rows, ``bench_b`` 0.4 M, ``bench_c`` 4 M), serves it with gunicorn (1 worker,
a fresh process per size so the peak memory is that size's), downloads
``/api/v1/observations.csv`` for 0.6 M, 1 M and 5 M rows, and prints throughput as a ratio to
``COPY (same query) TO`` measured in the same run, and the server's peak RSS (VmHWM).

Usage: ``python bench/bench_export.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import print_table
from citybrain import devserver  # noqa: E402
from citybrain.api.endpoints import ENDPOINTS  # noqa: E402
from citybrain.store import catalog, parts  # noqa: E402
from citybrain.store.build import build_store  # noqa: E402
from citybrain.settings import Settings  # noqa: E402

SIZES = {"0.6M": ["bench_a"], "1M": ["bench_a", "bench_b"], "5M": ["bench_a", "bench_b", "bench_c"]}


def make_store(tmp: Path) -> Path:
    ds = tmp / "datasets"
    ds.mkdir()
    shutil.copytree(ROOT / "datasets" / "boundaries", ds / "boundaries")
    s = Settings(db=tmp / "bench.duckdb", datasets_dir=ds, cache="null", sim_anchor="2026-07-15T12:00")
    build_store(s, progress=False)

    def add_bench_rows(con, pw) -> str:
        con.execute("""INSERT INTO indicators VALUES
            ('bench_a', '基准流量A', 'bench flow A', 'traffic', '辆/时', '5min', 300, 'none', NULL, NULL, '测试', 'public', NULL, true, 'bench', 'bench'),
            ('bench_b', '基准流量B', 'bench flow B', 'traffic', '辆/时', '5min', 300, 'none', NULL, NULL, '测试', 'public', NULL, true, 'bench', 'bench'),
            ('bench_c', '基准流量C', 'bench flow C', 'traffic', '辆/时', '5min', 300, 'none', NULL, NULL, '测试', 'public', NULL, true, 'bench', 'bench')""")
        # 600 series (entities) x 8,334 five-minute steps = 5,000,400 rows: 72 series of bench_a
        # (600,048 rows, the size), 48 of bench_b (a + b: 1,000,080), the rest bench_c.
        rows = """(SELECT CASE WHEN e < 72 THEN 'bench_a' WHEN e < 120 THEN 'bench_b' ELSE 'bench_c' END AS indicator_id, '330225' AS region_code,
                   'E' || lpad(e::VARCHAR, 4, '0') AS entity_id, TIMESTAMP '2026-06-16 00:00' + INTERVAL 5 MINUTE * t AS ts,
                   round(random() * 2000, 1) AS value, 'good' AS quality, true AS simulated, 'bench' AS dataset,
                   'bench' AS batch_id FROM range(8334) a(t), range(600) b(e))"""
        parts.add(con, [pw.write(con, "observations", "bench", parts.select("observations", rows))])
        parts.define_views(con, s.db)
        return con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0]

    catalog.rewrite(s.db, add_bench_rows)  # the bench's rows as one more part, as an ingest adds them
    return s.db


def serve(db: Path, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = devserver.free_port()
    env = dict(os.environ, CITYBRAIN_DB=str(db), CITYBRAIN_CACHE="null", CITYBRAIN_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}",
                             "--chdir", str(ROOT), "app:server"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of the worker processes (gunicorn forks; take the largest child)."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    peak = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return peak


def http_export(port: int, ids: list[str]) -> tuple[float, int]:
    q = "&".join(f"indicator={i}" for i in ids)
    t0 = time.perf_counter()
    n = 0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/observations.csv?{q}", timeout=600) as r:
        while chunk := r.read(1 << 20):
            n += len(chunk)
    return time.perf_counter() - t0, n


def copy_export(db: Path, ids: list[str], out: Path) -> tuple[float, int]:
    sql, params = ENDPOINTS["observations"].query({"indicator": ids, "region": None, "entity": None,
                                                   "from": None, "to": None})
    con = duckdb.connect(os.path.realpath(db), read_only=True)
    # COPY takes no bound parameters: inline them for the baseline only (values are our own constants).
    for p in params:
        lit = "NULL" if p is None else ("[" + ",".join(f"'{i}'" for i in p) + "]" if isinstance(p, list) else f"'{p}'")
        sql = sql.replace("?", lit, 1)
    t0 = time.perf_counter()
    con.execute(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')")
    dt = time.perf_counter() - t0
    con.close()
    return dt, out.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="citybrain-export-"))
    t0 = time.perf_counter()
    db = make_store(tmp)
    print(f"bench store with 5,000,400 observation rows built in {time.perf_counter() - t0:.1f} s")
    rows = []
    for label, ids in SIZES.items():
        copies = [copy_export(db, ids, tmp / f"copy-{label}.csv") for _ in range(args.repeat)]
        proc, port = serve(db, tmp)
        try:
            base_rss = peak_rss_mb(proc.pid)
            https = [http_export(port, ids) for _ in range(args.repeat)]
            peak = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        c_t = statistics.median(t for t, _ in copies)
        h_t = statistics.median(t for t, _ in https)
        c_b, h_b = copies[0][1], https[0][1]
        rows.append([label, round(c_t, 2), round(c_b / c_t / 1e6, 1), round(h_t, 2), round(h_b / h_t / 1e6, 1),
                     f"{(c_t / h_t):.2f}×", round(base_rss), round(peak)])
    print_table("CSV export: HTTP endpoint vs COPY … TO (medians of %d runs)" % args.repeat,
                ["rows", "COPY s", "COPY MB/s", "HTTP s", "HTTP MB/s", "HTTP/COPY speed", "RSS idle MB",
                 "RSS peak MB"], rows)
    print(f"\npeak RSS difference 5M - 0.6M: {rows[-1][7] - rows[0][7]:.0f} MB (goal: within 100 MB)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
