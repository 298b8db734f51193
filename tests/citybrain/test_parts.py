"""The parts layout: an append writes one part and a small catalog; compaction and retention never lose a
committed row, even when killed with SIGKILL; unlisted parts are invisible and swept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from citybrain.store import Store, catalog, parts
from citybrain.store.compact import compact
from citybrain.store.ingest import ingest_file
from tests.citybrain.test_ingest import child_env, feed, kill9, live_store, paused_ingest, write
from tests.citybrain.test_ingest import live_template  # noqa: F401 - the fixture
from tests.conftest import TEST_ANCHOR

ROOT = Path(__file__).resolve().parents[2]


def on_disk(s) -> set[str]:
    root = parts.parts_dir(s.db)
    return {p.relative_to(root).as_posix() for p in root.glob("*/*/*")}


def listed(store: Store) -> set[str]:
    return set(store.df("select file from parts")["file"])


def rows_digest(store: Store) -> tuple[int, str]:
    """Count and an order-free digest of every observation (what a reader can see)."""
    return tuple(store.df("""select count(*) n, coalesce(sum(hash(indicator_id, region_code, entity_id, ts, value,
        quality, dataset, batch_id)), 0)::VARCHAR d from observations""").iloc[0])


def appended(s, tmp_path: Path, n: int, first: int = 0) -> list[str]:
    """``n`` batches of 8 fresh water levels each (the ``first``-th on); their batch ids."""
    out = []
    for k in range(first, first + n):
        f = write(tmp_path / f"feed{k}.csv", feed(rows=8, start=TEST_ANCHOR + timedelta(minutes=5 + 10 * k)))
        out.append(ingest_file("water", f, s).batch_id)
    return out


def test_an_append_adds_one_part_and_only_listed_parts_are_read(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    before, files = reader.scalar("select count(*) from observations"), on_disk(s)
    assert listed(reader) == files, "every part on disk is listed by the served catalog"
    (batch,) = appended(s, tmp_path, 1)
    new = on_disk(s) - files
    assert len(new) == 1 and new <= listed(reader), "one new part per batch, listed by the new catalog"
    assert reader.scalar("select count(*) from observations where batch_id = ?", [batch]) == 8
    assert reader.scalar("select count(*) from observations") == before + 8
    catalog_mb = Path(os.path.realpath(s.db)).stat().st_size / 1e6
    parts_mb = sum((parts.parts_dir(s.db) / f).stat().st_size for f in listed(reader)) / 1e6
    assert reader.scalar("select count(*) from duckdb_tables() where table_name in ('observations', 'tracks')") == 0
    assert catalog_mb < 20 and parts_mb > 0, "the catalog a batch copies holds no fact rows"


def test_kill_9_during_append_leaves_an_invisible_part_which_is_swept(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    v0, seen0, files0 = reader.version, rows_digest(reader), on_disk(s)
    proc = paused_ingest(s, write(tmp_path / "feed.csv", feed(rows=20)))
    try:
        orphan = on_disk(s) - files0
        assert len(orphan) == 1, "the batch's part is written before its catalog is committed"
        assert (reader.version, rows_digest(reader)) == (v0, seen0), "an uncommitted part is invisible"
    finally:
        kill9(proc)
    assert (reader.version, rows_digest(reader)) == (v0, seen0)
    assert (parts.parts_dir(s.db) / next(iter(orphan))).exists()
    res = ingest_file("water", tmp_path / "feed.csv", s)  # the next writer sweeps, then appends the batch once
    assert res.rows == 20 and not res.noop
    assert not (parts.parts_dir(s.db) / next(iter(orphan))).exists(), "the killed writer's part is swept"
    assert on_disk(s) == listed(reader)
    assert reader.scalar("select count(*) from observations") == seen0[0] + 20


def test_a_pinned_reader_sees_old_or_new_never_half(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    store = Store(s.db)
    old = store.latest()
    n0 = old.scalar("select count(*) from observations")
    proc = paused_ingest(s, write(tmp_path / "feed.csv", feed(rows=12)), pause="3")
    try:
        assert store.latest().scalar("select count(*) from observations") == n0
    finally:
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert store.latest().scalar("select count(*) from observations") == n0 + 12
    assert old.scalar("select count(*) from observations") == n0, "a pinned snapshot keeps its version"


def test_compaction_merges_small_parts_without_changing_what_readers_see(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    appended(s, tmp_path, 4)
    small = reader.scalar("select count(*) from parts where tbl = 'observations' and rows = 8")
    assert small == 4
    v, seen, pinned = reader.version, rows_digest(reader), reader.latest()
    res = compact(s.db, min_parts=3)
    assert res.merged >= 4 and res.written >= 1 and res.data_version == v
    assert reader.scalar("select count(*) from parts where tbl = 'observations' and rows = 8") == 0
    assert (reader.version, rows_digest(reader)) == (v, seen), "compaction changes no row and no version"
    assert rows_digest(pinned) == seen, "a reader on the old catalog still finds its parts (grace period)"
    retired = set(reader.df("select file from retired_parts")["file"])
    assert retired and all((parts.parts_dir(s.db) / f).exists() for f in retired)
    compact(s.db, min_parts=3, grace_s=0)  # past the grace period the replaced parts are deleted
    assert not any((parts.parts_dir(s.db) / f).exists() for f in retired)
    assert on_disk(s) == listed(reader) and rows_digest(reader) == seen
    appended(s, tmp_path, 1, first=10)  # appends go on after a compaction
    assert reader.scalar("select count(*) from observations") == seen[0] + 8


CHILD = """
import sys, time
from pathlib import Path
from citybrain.store.compact import compact

def paused(stage):
    if stage == sys.argv[2]:
        print("COMPACT_PAUSED", flush=True)
        time.sleep(60)

compact(Path(sys.argv[1]), min_parts=3, paused=paused)
print("COMPACT_DONE", flush=True)
"""


@pytest.mark.parametrize("stage", ["written", "commit"])
def test_kill_9_during_compaction_loses_nothing(live_template, tmp_path, stage):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    appended(s, tmp_path, 3)
    v, seen, files = reader.version, rows_digest(reader), on_disk(s)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(s.db), stage], cwd=ROOT, env=child_env(s),
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "COMPACT_PAUSED" in line, line
        assert len(on_disk(s) - files) == 1, "the merged part is written before the catalog lists it"
        assert (reader.version, rows_digest(reader)) == (v, seen)
        if stage == "written":  # the store goes on being fed while the compactor merges (no lock held)
            appended(s, tmp_path, 1, first=10)
    finally:
        kill9(proc)
    if stage == "written":
        v, seen = reader.version, rows_digest(reader)
    assert (reader.version, rows_digest(reader)) == (v, seen), "the killed compaction changed nothing"
    assert compact(s.db, min_parts=3).written == 1, "the next compaction merges the small parts"
    assert (reader.version, rows_digest(reader)) == (v, seen)
    assert on_disk(s) - set(reader.df("select file from retired_parts")["file"]) == listed(reader), \
        "the killed compactor's part was swept"


def test_retention_drops_rows_past_the_datasets_keep_span(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    appended(s, tmp_path, 1)
    total, v = reader.scalar("select count(*) from observations"), reader.version

    def keep_30_days(con, pw) -> str:  # as if the manifest said live: {keep: 30d}
        m = json.loads(con.execute("select manifest from datasets where name = 'water'").fetchall()[0][0])
        m["live"] = dict(m.get("live") or {}, keep="30d")
        con.execute("update datasets set manifest = ? where name = 'water'", [json.dumps(m)])
        return v

    catalog.rewrite(s.db, keep_30_days)
    cut = TEST_ANCHOR - timedelta(days=30)
    old = reader.scalar("select count(*) from observations where dataset = 'water' and ts < ?", [cut])
    others = reader.scalar("select count(*) from observations where dataset <> 'water'")
    assert old > 0
    res = compact(s.db, now=TEST_ANCHOR)
    assert res.dropped >= 1 and res.data_version != v, "retention changes the data: caches expire"
    assert reader.version == res.data_version
    assert reader.scalar("select count(*) from observations where dataset = 'water' and ts < ?", [cut]) == 0
    assert reader.scalar("select count(*) from observations") == total - old
    assert reader.scalar("select count(*) from observations where dataset <> 'water'") == others


def test_enough_small_parts_start_a_background_compaction(live_template, tmp_path, monkeypatch):
    from citybrain.store import compact as compactor

    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    built = reader.scalar("select count(*) from parts where tbl = 'observations' and dataset = 'water' and rows < ?",
                          [compactor.SMALL_ROWS])
    monkeypatch.setattr(compactor, "AUTO_PARTS", built + 3)
    monkeypatch.setattr(compactor, "MIN_PARTS", 3)
    appended(s, tmp_path, 2)
    assert compactor._threads.get(s.db.absolute()) is None, "two small parts start nothing"
    appended(s, tmp_path, 1, first=2)  # the third small part of water's observations
    seen = rows_digest(reader)
    compactor.wait_background(s.db)
    assert reader.scalar("select count(*) from parts where tbl = 'observations' and rows = 8") == 0
    assert rows_digest(reader) == seen
