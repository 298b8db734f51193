"""A store folder shared by several hosts: what a writer removes as leftovers must not depend on
process ids, which mean nothing on another host.

"Another host" is a process in its own pid namespace (``unshare --pid``): it shares the folder and
its file locks (one kernel here, as NFSv4 or CephFS clients share them) but none of this host's pids.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from citybrain.feeds import archive
from citybrain.store import Store, parts
from citybrain.store.compact import compact
from tests.citybrain.test_ingest import child_env, feed, live_store, write
from tests.citybrain.test_ingest import live_template  # noqa: F401 - the fixture
from tests.citybrain.test_parts import appended, listed, on_disk, rows_digest
from tests.conftest import TEST_ANCHOR

ROOT = Path(__file__).resolve().parents[2]

#: A compactor that stops once its merged part is written, until the file ``argv[2]`` exists.
COMPACTOR = """
import sys, time
from pathlib import Path
from citybrain.store.compact import compact

def paused(stage):
    if stage == "written":
        print("COMPACT_PAUSED", flush=True)
        while not Path(sys.argv[2]).exists():
            time.sleep(0.1)

r = compact(Path(sys.argv[1]), min_parts=3, paused=paused)
print("COMPACT_DONE", r.written, flush=True)
"""

#: An ingest run as "another host" (in its own pid namespace).
INGEST = """
import sys
from pathlib import Path
from citybrain.settings import Settings
from citybrain.store.ingest import ingest_file
print("INGESTED", ingest_file("water", Path(sys.argv[2]), Settings(db=Path(sys.argv[1]))).rows, flush=True)
"""


def stop(proc: subprocess.Popen) -> None:
    """End a child that may have finished already."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


def other_host(args: list[str]) -> list[str]:
    """The command of a process on "another host": a pid namespace of its own."""
    assert shutil.which("unshare"), "unshare (util-linux) is needed"
    return ["unshare", "--pid", "--fork", sys.executable, *args]


def test_a_writer_on_another_host_leaves_a_running_compactors_part_alone(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    appended(s, tmp_path, 3)
    go = tmp_path / "go"
    comp = subprocess.Popen([sys.executable, "-c", COMPACTOR, str(s.db), str(go)], cwd=ROOT, env=child_env(s),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "COMPACT_PAUSED" in comp.stdout.readline()
        merged = on_disk(s) - listed(reader)
        assert len(merged) == 1, "the compactor's merged part is written, not yet listed"
        # a writer on another host: the compactor's pid is nobody there
        f = write(tmp_path / "b.csv", feed(rows=8, start=TEST_ANCHOR + timedelta(minutes=95)))
        b = subprocess.run(other_host(["-c", INGEST, str(s.db), str(f)]), cwd=ROOT, env=child_env(s),
                           capture_output=True, text=True, timeout=300)
        assert b.returncode == 0 and "INGESTED 8" in b.stdout, b.stderr[-2000:]
        assert merged <= on_disk(s), "the other host's writer removed the running compactor's part"
        go.touch()
        out, _ = comp.communicate(timeout=300)
        assert "COMPACT_DONE 1" in out, out
    finally:
        stop(comp)
    missing = [f for f in listed(reader) if not (parts.parts_dir(s.db) / f).exists()]
    assert not missing, f"the served catalog lists parts that are gone: {missing}"
    assert reader.scalar("select count(*) from observations where ts > ?", [TEST_ANCHOR]) == 4 * 8


def test_a_dead_writers_part_is_swept_whatever_its_pid_means_here(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    seen = rows_digest(reader)
    some = parts.parts_dir(s.db) / sorted(listed(reader))[0]
    # a part a writer on another host wrote and never committed: its pid (1) runs here, as init
    orphan = some.with_name(f"{some.name[:8]}-1-{'ab' * 6}.parquet")
    shutil.copyfile(some, orphan)
    assert parts.PART_NAME.match(orphan.name)
    appended(s, tmp_path, 1)  # the next writer sweeps
    assert not orphan.exists(), "an uncommitted part of a dead writer stays forever"
    assert rows_digest(reader)[0] == seen[0] + 8


def test_while_a_compactor_runs_nothing_unlisted_is_swept_and_afterwards_it_is(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    appended(s, tmp_path, 3)
    some = parts.parts_dir(s.db) / sorted(listed(reader))[0]
    orphan = some.with_name(f"{some.name[:8]}-1-{'cd' * 6}.parquet")
    shutil.copyfile(some, orphan)
    go = tmp_path / "go"
    comp = subprocess.Popen([sys.executable, "-c", COMPACTOR, str(s.db), str(go)], cwd=ROOT, env=child_env(s),
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "COMPACT_PAUSED" in comp.stdout.readline()
        appended(s, tmp_path, 1, first=5)
        assert orphan.exists(), "a compactor runs: an unlisted part may be its own"
        go.touch()
        assert "COMPACT_DONE 1" in comp.communicate(timeout=300)[0]
    finally:
        stop(comp)
    assert not orphan.exists(), "the compactor's own sweep removes what is nobody's"
    assert compact(s.db, min_parts=99).written == 0


def test_another_hosts_staging_file_survives_an_ingest_here_until_it_is_stale(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    folder = s.db.parent / archive.ARCHIVE_DIR / "water"
    folder.mkdir(parents=True, exist_ok=True)
    theirs = folder / f".{'e' * 32}.4242@{archive.HOST}-b.part"  # an HTTP body host B is staging now
    theirs.write_bytes(b"indicator_id,region_code,entity_id,ts,value,quality\n")
    gone = subprocess.Popen(["true"])  # a pid that ran and is gone
    gone.wait()
    ours = folder / f".{'f' * 32}.{gone.pid}@{archive.HOST}.part"  # this host's, its process died
    ours.write_bytes(b"x")
    appended(s, tmp_path, 1)
    assert theirs.exists(), "an ingest here removed a body another host is staging"
    assert not ours.exists(), "a staging file of a dead process of this host is a leftover"
    old = time.time() - archive.FOREIGN_STALE_S - 60
    os.utime(theirs, (old, old))
    appended(s, tmp_path, 1, first=3)
    assert not theirs.exists(), "another host's staging file is removed once it is stale"


def test_staging_names_say_whose_they_are(tmp_path):
    p = archive.staging(tmp_path, "abc", "rows.parquet")
    assert p.name == f".abc.{os.getpid()}@{archive.HOST}.rows.parquet"
    p.write_bytes(b"")
    assert archive._alive_part(p), "this process's own staging file is in use"
