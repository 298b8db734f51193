"""The watched inbox ingests complete files only and files each one under done/ or failed/."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from citybrain.store.inbox import Inbox
from citybrain.store import Store
from tests.citybrain.test_ingest import child_env, feed, live_store, live_template, snapshot, write  # noqa: F401
from tests.conftest import TEST_ANCHOR


def test_poll_ingests_complete_files_and_files_them(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    reader = Store(s.db)
    n0 = reader.scalar("select count(*) from observations")
    box = Inbox(tmp_path / "inbox", s)
    good = write(box.root / "water" / "good.csv", feed(rows=8))
    bad = write(box.root / "water" / "bad.csv", feed(rows=4).replace("WS-330225-02", "WS-330225-99"))
    partial = write(box.root / "water" / "coming.csv.part", feed(rows=4))
    growing = write(box.root / "water" / "growing.csv", feed(rows=4, start=TEST_ANCHOR + timedelta(days=1))[:60])
    assert box.poll() == [], "a file seen for the first time may still be growing"
    with growing.open("a", encoding="utf-8") as fh:  # the sender is still writing it
        fh.write(feed(rows=4, start=TEST_ANCHOR + timedelta(days=1))[60:])
    out = {o.source.name: o for o in box.poll()}
    assert set(out) == {"good.csv", "bad.csv"}
    assert out["good.csv"].status == "done" and out["good.csv"].result.rows == 8
    assert out["good.csv"].moved_to == box.root / "done" / "water" / "good.csv"
    assert out["bad.csv"].moved_to == box.root / "failed" / "water" / "bad.csv"
    error = (box.root / "failed" / "water" / "bad.csv.error.txt").read_text(encoding="utf-8")
    assert error.startswith("dataset water, file bad.csv, row 3, field entity_id: is not a known entity "
                            "(value 'WS-330225-99')"), error
    assert out["bad.csv"].message == error.strip()
    assert not good.exists() and not bad.exists() and partial.exists() and growing.exists()
    assert reader.scalar("select count(*) from observations") == n0 + 8
    # The grown file is complete now: stable across this poll and the last one.
    [grown] = box.poll()
    assert grown.source.name == "growing.csv" and grown.result.rows == 4
    assert reader.scalar("select count(*) from observations") == n0 + 12
    assert box.poll() == []


def test_same_file_again_and_unknown_dataset(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    box = Inbox(tmp_path / "inbox", s)
    write(box.root / "water" / "a.csv", feed())
    box.poll()
    assert [o.status for o in box.poll()] == ["done"]
    served = snapshot(s)
    write(box.root / "water" / "a.csv", feed())  # delivered twice
    write(box.root / "sewage" / "x.csv", feed())
    box.poll()
    out = {o.source.parent.name: o for o in box.poll()}
    assert out["water"].status == "done" and out["water"].result.noop
    assert "already ingested" in out["water"].message
    assert out["water"].moved_to.name == "a-1.csv", "an earlier file of that name is kept"
    assert out["sewage"].status == "failed"
    assert "dataset sewage, file x.csv: is not a dataset of the served store" in out["sewage"].message
    assert snapshot(s) == served


def test_watch_command(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    inbox = tmp_path / "db" / "inbox"  # the default: <db dir>/inbox
    write(inbox / "water" / "feed.csv", feed(rows=5))
    proc = subprocess.run([sys.executable, "-m", "citybrain.cli", "watch", "--interval", "0.2", "--max-polls", "3"],
                          env=child_env(s), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (inbox / "done" / "water" / "feed.csv").exists()
    assert "5 rows ingested as batch water-ingest-" in proc.stderr
    assert Store(s.db).scalar("select count(*) from batches where status = 'ingested'") == 1
