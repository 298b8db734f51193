"""Live loading: a batch is all or nothing, readers switch without restart, a kill loses nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from citybrain.store.build import build_store
from citybrain.errors import DataError
from citybrain.store.ingest import chain_version, ingest_file
from citybrain.settings import PROJECT_ROOT, Settings
from citybrain.store import Store
from tests.conftest import GOOD_POINTS, GOOD_SHAPES, PROBE_LOADER, PROBE_MANIFEST, TEST_ANCHOR, make_settings

HEADER = "indicator_id,region_code,entity_id,ts,value,quality\n"
#: Water stations of the real dataset (region, station) used by the feeds below.
STATIONS = [("330225", "WS-330225-01"), ("330225", "WS-330225-02"), ("330225", "WS-330225-03"),
            ("210800", "WS-210800-05")]


# ---- helpers shared by test_inbox and test_cache_redis -------------------------------------------

@pytest.fixture(scope="session")
def live_template(tmp_path_factory) -> Path:
    """A small real store (boundaries + water + probe), built once; tests copy it."""
    root = tmp_path_factory.mktemp("live_template")
    ds = root / "datasets"
    for name in ("boundaries", "water"):
        shutil.copytree(PROJECT_ROOT / "datasets" / name, ds / name)
    probe = ds / "probe"
    (probe / "data").mkdir(parents=True)
    (probe / "manifest.yaml").write_text(PROBE_MANIFEST, encoding="utf-8")
    (probe / "loader.py").write_text(PROBE_LOADER, encoding="utf-8")
    (probe / "data" / "points.csv").write_text(GOOD_POINTS, encoding="utf-8")
    (probe / "data" / "shapes.geojson").write_text(GOOD_SHAPES, encoding="utf-8")
    build_store(make_settings(root / "db", datasets_dir=ds), progress=False)
    return root


def live_store(template: Path, tmp: Path) -> Settings:
    """Settings of a private copy of the template store (link and versioned file) under ``tmp``."""
    shutil.copytree(template / "db", tmp / "db", symlinks=True)
    return make_settings(tmp / "db", datasets_dir=template / "datasets")


def feed(rows: int = 8, start: datetime = TEST_ANCHOR + timedelta(minutes=5), step_min: int = 5) -> str:
    """A good water feed: water_level of the stations above at fresh times after the anchor."""
    lines = [HEADER]
    for i in range(rows):
        region, station = STATIONS[i % len(STATIONS)]
        ts = start + timedelta(minutes=step_min * (i // len(STATIONS)))
        lines.append(f"water_level,{region},{station},{ts:%Y-%m-%dT%H:%M:%S},{30 + i * 0.01:.2f},good\n")
    return "".join(lines)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def child_env(s: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"CITYBRAIN_DB": str(s.db), "CITYBRAIN_DATASETS_DIR": str(s.datasets_dir),
                "CITYBRAIN_SIM_ANCHOR": s.sim_anchor.isoformat(), "CITYBRAIN_CACHE": "null",
                "CITYBRAIN_CACHE_DIR": str(s.cache_dir)})
    env.update(extra)
    return env


def paused_ingest(s: Settings, f: Path, pause: str = "30") -> subprocess.Popen:
    """``citybrain ingest water F`` in a child process, returned once it paused before its commit."""
    proc = subprocess.Popen([sys.executable, "-m", "citybrain.cli", "ingest", "water", str(f)], cwd=PROJECT_ROOT,
                            env=child_env(s, CITYBRAIN_TEST_INGEST_PAUSE=pause), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "INGEST_PAUSED" in line, line
    return proc


def kill9(proc: subprocess.Popen) -> None:
    """Kill a child with SIGKILL (as a crash or ``kill -9`` would) and check it died of it."""
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


def snapshot(s: Settings) -> tuple[str, bytes]:
    """What readers are served: the link's target and that file's bytes."""
    return os.readlink(s.db), s.db.read_bytes()


# ---- tests -----------------------------------------------------------------------------------------

def test_ingest_adds_a_batch_readers_see_without_restart(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    before = reader.scalar("select count(*) from observations")
    v0 = reader.version
    data = feed(rows=12)
    f = write(tmp_path / "feed 1.csv", data)
    res = ingest_file("water", f, s, simulated=True)
    sha = hashlib.sha256(data.encode()).hexdigest()
    assert (res.rows, res.noop, res.sha256) == (12, False, sha)
    assert res.data_version == reader.version == chain_version(v0, sha)
    assert reader.scalar("select count(*) from observations") == before + 12
    got = reader.df("select ts, entity_id, value, quality, simulated, dataset from observations "
                    "where batch_id = ?", [res.batch_id])
    part = reader.scalar("select file from parts where tbl = 'observations' order by created_at desc limit 1")
    newest = reader.df("select ts, batch_id from read_parquet(?)", [f"{reader.meta()['parts_root']}/{part}"])
    assert len(got) == 12 and (newest["batch_id"] == res.batch_id).all(), "a batch is one new part"
    assert newest["ts"].is_monotonic_increasing, "a batch is appended in time order"
    assert set(got["dataset"]) == {"water"} and got["simulated"].all()
    batch = reader.df("select * from batches where batch_id = ?", [res.batch_id]).iloc[0]
    assert (batch["status"], batch["rows"], batch["sha256"], batch["files"]) == ("ingested", 12, sha, '["feed 1.csv"]')
    assert (s.db.parent / "ingested" / "water" / f"{sha}.csv").read_bytes() == data.encode()
    # The store's 'now' follows the newest live observation (floored to 5 minutes).
    assert reader.meta()["anchor"] == "2026-07-15T12:15:00"
    assert not list(s.db.parent.glob(".building-*"))


def test_same_file_twice_is_a_noop(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    f = write(tmp_path / "a.csv", feed())
    first = ingest_file("water", f, s)
    served = snapshot(s)
    again = ingest_file("water", write(tmp_path / "renamed.csv", feed()), s)
    assert again.noop and again.batch_id == first.batch_id and again.rows == 0
    assert again.data_version == first.data_version
    assert snapshot(s) == served


def _bad(text: str) -> str:
    return HEADER + text


ROW = "water_level,330225,WS-330225-01,2026-07-15T12:05:00,31.2,good\n"
BAD_FEEDS = [
    ("missing column", "indicator_id,region_code,entity_id,ts,value\nwater_level,330225,WS-330225-01,2026-07-15T12:05:00,31.2\n",
     "row 1, field quality: missing column(s) quality"),
    ("bad number", _bad(ROW + "water_level,330225,WS-330225-02,2026-07-15T12:05:00,3l.5,good\n"),
     "row 3, field value: is not a number (float) (value '3l.5')"),
    ("infinite number", _bad("water_level,330225,WS-330225-02,2026-07-15T12:05:00,inf,good\n"),
     "row 2, field value: is not finite"),
    ("bad time", _bad("water_level,330225,WS-330225-01,2026-07-15 25:00,31.2,good\n"),
     "row 2, field ts: is not an ISO 8601 datetime"),
    ("bad quality", _bad("water_level,330225,WS-330225-01,2026-07-15T12:05:00,31.2,ok\n"),
     "row 2, field quality: is not one of good, partial, estimated, suspect"),
    ("unknown indicator", _bad(ROW + "water_levle,330225,WS-330225-01,2026-07-15T12:10:00,31.2,good\n"),
     "row 3, field indicator_id: is not an indicator of any dataset (value 'water_levle')"),
    ("indicator of another dataset", _bad("probe_flow,330225,,2026-07-15T12:05:00,10,good\n"),
     "row 2, field indicator_id: indicator 'probe_flow' belongs to dataset probe, not water"),
    ("unknown region", _bad("water_level,330226,WS-330225-01,2026-07-15T12:05:00,31.2,good\n"),
     "row 2, field region_code: is not a known region code (value '330226')"),
    ("unknown entity", _bad(ROW + ROW.replace("WS-330225-01", "WS-330225-99")),
     "row 3, field entity_id: is not a known entity (value 'WS-330225-99')"),
    ("duplicate rows", _bad(ROW + ROW),
     "row 3, field indicator_id: duplicate key"),
    ("row already stored", _bad("water_level,330225,WS-330225-01,2026-07-15T12:00:00,31.2,good\n"),
     "row 2, field ts: repeats an observation already in the store (batch water-"),
    ("negative rainfall", _bad("rainfall_1h,330225,WS-330225-01,2026-07-15T12:05:00,-1,good\n"),
     "row 2, field value: is negative"),
    ("future time", _bad("water_level,330225,WS-330225-01,2099-01-01T00:00:00,31.2,good\n"),
     "row 2, field ts: lies in the future"),
    ("truncated", _bad(ROW + ROW.replace("12:05", "12:10")[:30]),
     "row 3: file is truncated: the last line has no line end"),
    ("cut mid-record", _bad(ROW + "water_level,330225,WS-330225-01\n"),
     "row 3: has 3 fields, the header has 6"),
    ("wrong encoding", (HEADER + ROW.replace("WS-330225-01", "象山站")).encode("gbk"),
     "row 2: not valid UTF-8"),
    ("empty", "", "file is empty"),
]


@pytest.mark.parametrize("kind,data,message", BAD_FEEDS, ids=[b[0] for b in BAD_FEEDS])
def test_bad_file_changes_nothing(live_template, tmp_path, kind, data, message):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    v0 = reader.version
    served = snapshot(s)
    f = write(tmp_path / "bad.csv", data)
    with pytest.raises(DataError) as err:
        ingest_file("water", f, s)
    assert str(err.value).startswith("dataset water, file bad.csv"), str(err.value)
    assert message in str(err.value), str(err.value)
    assert snapshot(s) == served and reader.version == v0
    assert not list((s.db.parent / "ingested").rglob("*.*")), "a rejected file is not archived"
    assert not list(s.db.parent.glob(".building-*"))


def test_region_outside_the_dataset_and_unknown_dataset(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    served = snapshot(s)
    f = write(tmp_path / "p.csv", HEADER + "probe_flow,370215,,2026-07-15T12:05:00,10,good\n")
    with pytest.raises(DataError, match=r"row 2, field region_code: dataset probe does not apply to region 370215"):
        ingest_file("probe", f, s)
    with pytest.raises(DataError, match="dataset nosuch, file p.csv: is not a dataset of the served store"):
        ingest_file("nosuch", f, s)
    assert snapshot(s) == served
    ok = ingest_file("probe", write(tmp_path / "q.csv", HEADER + "probe_flow,330225,,2026-07-15T12:05:00,10,good\n"), s)
    assert ok.rows == 1


def test_kill_9_during_ingest_loses_nothing(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    v0, n0 = reader.version, reader.scalar("select count(*) from observations")
    served = snapshot(s)
    f = write(tmp_path / "feed.csv", feed(rows=20))
    proc = paused_ingest(s, f)
    try:
        assert list(s.db.parent.glob(".building-*.duckdb")), "the batch is written to a temporary copy"
    finally:
        kill9(proc)
    assert snapshot(s) == served
    assert (reader.version, reader.scalar("select count(*) from observations")) == (v0, n0)
    # The next ingest cleans up the leftovers and loads the whole batch once.
    res = ingest_file("water", f, s)
    assert not res.noop and res.rows == 20
    assert reader.scalar("select count(*) from observations") == n0 + 20
    assert not list(s.db.parent.glob(".building-*"))
    assert not list((s.db.parent / "ingested").rglob(".*.part"))


def test_concurrent_reader_sees_old_or_new_total_only(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    n0 = reader.scalar("select count(*) from observations")
    sizes = [30, 40, 50]
    totals = {n0 + sum(sizes[:k]) for k in range(len(sizes) + 1)}
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set() and len(seen) < 200_000:
            try:
                seen.append(reader.scalar("select count(*) from observations"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    t = threading.Thread(target=poll)
    t.start()
    try:
        for k, n in enumerate(sizes):
            f = write(tmp_path / f"f{k}.csv", feed(rows=n, start=TEST_ANCHOR + timedelta(hours=k + 1)))
            subprocess.run([sys.executable, "-m", "citybrain.cli", "ingest", "water", str(f)], env=child_env(s),
                           check=True, capture_output=True, timeout=60)
    finally:
        stop.set()
        t.join(timeout=30)
    assert not errors, errors
    assert set(seen) <= totals, set(seen) - totals
    assert seen == sorted(seen), "a reader never goes back to older data"
    assert seen[-1] == n0 + sum(sizes)
    assert len(set(seen)) >= 2, "the reader saw the switch without restart"


def test_rebuild_replays_archived_batches(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    n0 = reader.scalar("select count(*) from observations")
    a = ingest_file("water", write(tmp_path / "a.csv", feed(rows=10)), s)
    b = ingest_file("water", write(tmp_path / "b.csv", feed(rows=6, start=TEST_ANCHOR + timedelta(days=1))), s)
    # An archive the served store never got (an ingest killed just before its switch) is dropped.
    orphan = write(s.db.parent / "ingested" / "water" / ("0" * 64 + ".csv"), feed(rows=3))
    write(orphan.with_suffix(".json"), '{"batch_id": "x", "dataset": "water", "file": "x.csv", "sha256": "'
          + "0" * 64 + '", "rows": 3, "loaded_at": "2026-01-01T00:00:00", "simulated": false}')
    built = build_store(s, progress=False)
    assert not orphan.exists()
    assert reader.scalar("select count(*) from observations") == n0 + 16
    got = reader.df("select batch_id, rows, status from batches where status = 'ingested' order by loaded_at")
    assert list(got.itertuples(index=False, name=None)) == [(a.batch_id, 10, "ingested"), (b.batch_id, 6, "ingested")]
    assert built.data_version == b.data_version == reader.version, "same inputs and batches, same version"
    assert build_store(s, progress=False).data_version == b.data_version
    assert ingest_file("water", tmp_path / "a.csv", s).noop


def test_ingest_waits_for_the_writer_lock(live_template, tmp_path):
    from citybrain.store.ingest import writer_lock

    s = live_store(live_template, tmp_path)
    f = write(tmp_path / "a.csv", feed())
    done = threading.Event()
    with writer_lock(s.db):
        t = threading.Thread(target=lambda: (ingest_file("water", f, s), done.set()))
        t.start()
        time.sleep(0.5)
        assert not done.is_set(), "a second writer waits for the lock"
    t.join(timeout=30)
    assert done.is_set()
    con = duckdb.connect(os.path.realpath(s.db), read_only=True)
    assert con.execute("select count(*) from batches where status = 'ingested'").fetchone()[0] == 1
    con.close()
