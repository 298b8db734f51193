"""A 2-million-row feed file is read in bounded memory: peak RSS of the ingesting process ≤ 300 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TEST_ANCHOR

ROWS = 2_000_000
LIMIT_MB = 300
STATIONS = [f"WS-330225-0{i}" for i in range(1, 6)]
INDICATORS = ["water_level", "rainfall_1h", "reservoir_storage", "reservoir_storage_rate"]


def big_feed(path: Path, rows: int = ROWS) -> Path:
    """``rows`` observations of 20 series (5 stations × 4 indicators) at 1-minute steps after the anchor."""
    series = [(i, s) for i in INDICATORS for s in STATIONS]
    per = rows // len(series)
    minutes = np.arange(1, per + 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("indicator_id,region_code,entity_id,ts,value,quality\n")
        ts = (pd.Timestamp(TEST_ANCHOR) + pd.to_timedelta(minutes, unit="min")).strftime("%Y-%m-%dT%H:%M:%S")
        for ind, st in series:
            pd.DataFrame({"i": ind, "r": "330225", "e": st, "t": ts, "v": np.round(minutes % 97 / 10, 2),
                          "q": "good"}).to_csv(fh, header=False, index=False)
    return path


CHILD = """
import json, sys, time
from pathlib import Path
from citybrain.settings import Settings
from citybrain.store.ingest import ingest_file
s = Settings(db=Path(sys.argv[1]), cache="null")
t = time.perf_counter()
res = ingest_file("water", Path(sys.argv[2]), s)
# VmHWM, not ru_maxrss: Linux carries the forking parent's peak into a child's ru_maxrss across exec
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"rows": res.rows, "seconds": time.perf_counter() - t, "peak_mb": hwm / 1024}))
"""


@pytest.mark.slow
def test_two_million_rows_within_300_mb(store, tmp_path):
    feed = big_feed(tmp_path / "big.csv")
    out = subprocess.run([sys.executable, "-c", CHILD, str(store.db), str(feed)], capture_output=True, text=True,
                         timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"2 M-row feed: {got['rows']:,} rows in {got['seconds']:.1f} s "
          f"({got['rows'] / got['seconds']:,.0f} rows/s), peak RSS {got['peak_mb']:.0f} MB")
    assert got["rows"] == ROWS
    assert got["peak_mb"] <= LIMIT_MB, got
