"""The build is atomic: a killed build leaves the old store served; readers switch on a new file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


from citybrain.store.build import build_store, default_anchor
from citybrain.store import Store
from tests.conftest import make_settings


def _child_env(settings, **extra):
    env = dict(os.environ)
    env.update({"CITYBRAIN_DB": str(settings.db), "CITYBRAIN_DATASETS_DIR": str(settings.datasets_dir),
                "CITYBRAIN_SIM_ANCHOR": settings.sim_anchor.isoformat(), "CITYBRAIN_CACHE": "null"})
    env.update(extra)
    return env


def test_kill_9_during_build_leaves_old_store(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    first = build_store(s, progress=False)
    before = s.db.read_bytes()
    reader = Store(s.db)
    assert reader.version == first.data_version
    # Change the data so a finished build would produce another version, then kill it mid-way.
    pts = probe_datasets / "probe" / "data" / "points.csv"
    pts.write_text(pts.read_text() + "p3,330225,121.80,29.55,2026-07-15T12:00:00,7\n")
    proc = subprocess.Popen([sys.executable, "-m", "citybrain.cli", "build", "--no-progress"],
                            env=_child_env(s, PROBE_SLEEP="30"), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "PROBE_LOADING" in line, line
    assert list(tmp_path.glob(".building-*.duckdb")), "the build writes a temporary file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert s.db.read_bytes() == before
    assert reader.version == first.data_version
    assert reader.scalar("select count(*) from observations") == 2
    # The next build cleans up the leftover and switches readers to the new data.
    second = build_store(s, progress=False)
    assert not list(tmp_path.glob(".building-*"))
    assert second.data_version != first.data_version
    assert reader.version == second.data_version
    assert reader.scalar("select count(*) from observations") == 3


def test_same_inputs_same_version(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    a = build_store(s, progress=False)
    b = build_store(s, target=tmp_path / "other.duckdb", progress=False)
    assert a.data_version == b.data_version
    c = build_store(make_settings(tmp_path, datasets_dir=probe_datasets, seed=7),
                    target=tmp_path / "third.duckdb", progress=False)
    assert c.data_version != a.data_version


def test_reader_survives_switch_mid_query(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    build_store(s, progress=False)
    reader = Store(s.db)
    cur = reader.cursor()
    rel = cur.execute("select * from observations")
    build_store(s, progress=False)  # replaces the file while a result is pending
    assert len(rel.fetchall()) == 2
    assert reader.scalar("select count(*) from observations") == 2


def test_default_anchor_floors_to_five_minutes():
    from datetime import datetime, timezone

    a = default_anchor(datetime(2026, 11, 23, 5, 37, 41, tzinfo=timezone.utc))
    assert a == datetime(2026, 11, 23, 13, 35)


def test_cli_build_reports_bad_input(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    (probe_datasets / "probe" / "data" / "points.csv").write_text("id,region_code,lon,lat,ts,value\np1,330225,x,29.4,2026-07-15T10:00:00,1\n")
    proc = subprocess.run([sys.executable, "-m", "citybrain.cli", "build", "--no-progress"],
                          env=_child_env(s), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "build failed, the previous store is unchanged: dataset probe, file data/points.csv, row 2, field lon" in proc.stderr
    assert not s.db.exists()
