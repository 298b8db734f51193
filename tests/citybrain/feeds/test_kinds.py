"""Every feed kind through files and the CLI: checked as strictly as a build, within time windows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from citybrain.errors import DataError
from citybrain.store.ingest import ingest_file
from citybrain.store.inbox import Inbox
from tests.citybrain.feeds.conftest import (DEPOT, EXPECTED, GOOD, VESSELS, at, effect, events_ndjson, obs_csv,
                                            stored, tracks_csv)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("kind", list(GOOD))
def test_every_kind_through_the_cli(store, tmp_path, kind):
    dataset, body, fmt = GOOD[kind]
    f = write(tmp_path / f"feed.{fmt}", body)
    env = dict(os.environ, CITYBRAIN_DB=str(store.db), CITYBRAIN_CACHE="null", PYTHONPATH=os.getcwd())
    assert effect(store, kind) == [] if kind != "entities" else effect(store, kind) == []
    out = subprocess.run([sys.executable, "-m", "citybrain.cli", "--log-level", "WARNING", "ingest", dataset, str(f),
                          "--kind", kind], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"{kind} rows of {dataset}" in out.stdout
    assert effect(store, kind) == EXPECTED[kind]


def test_events_keep_the_reporter_restricted_and_follow_the_steps(store, tmp_path):
    ingest_file("emergency", write(tmp_path / "e.ndjson", events_ndjson()), store, kind="events")
    row = stored(store, "SELECT status, reported_at, dispatched_at, reporter_name, classification FROM events "
                        "WHERE event_id = 'FEED-EV-1'")[0]
    assert row[0] == "dispatched" and row[3] == "***" and row[4] == "internal"
    assert (row[1].isoformat(), row[2].isoformat()) == (at(3), at(5))
    assert stored(store, "SELECT value FROM restricted_values WHERE row_key = 'FEED-EV-1'") == [("张三",)]


def test_entity_update_merges_properties_and_new_entity_has_a_point(store, tmp_path):
    before = stored(store, "SELECT properties->>'town_zh', name_zh FROM entities WHERE entity_id = ?", [DEPOT])[0]
    ingest_file("emergency", write(tmp_path / "e.csv", GOOD["entities"][1]), store, kind="entities")
    after = stored(store, "SELECT properties->>'town_zh', name_zh, properties->>'level' FROM entities "
                          "WHERE entity_id = ?", [DEPOT])[0]
    assert after == (*before, "市级"), "only the given property changes"
    new = stored(store, "SELECT kind, region_code, lon, lat, octet_length(geometry), dataset FROM entities "
                        "WHERE entity_id = 'FEED-SHELTER-1'")[0]
    assert new == ("shelter", "330225", 121.88, 29.47, 21, "emergency")


BAD = [
    ("observations", "water", obs_csv().replace(at(5), "1800-01-01T00:00:00", 1), "csv",
     "row 2, field ts: lies before 2000-01-01"),
    ("observations", "water", obs_csv().replace(at(5), "2026-07-10T00:00:00", 1), "csv",
     "row 2, field ts: arrives too late: more than 2d before the store's now"),
    ("observations", "water", obs_csv().replace(at(5), "2099-01-01T00:00:00", 1), "csv",
     "row 2, field ts: lies in the future"),
    ("tracks", "fisheries", tracks_csv().replace("123.03,30.21", "30.21,123.03"), "csv",
     "row 2, field lat: is above the maximum 90"),
    ("tracks", "fisheries", tracks_csv().replace(VESSELS[1], "NOBOAT"), "csv",
     "row 3, field id: is not a known entity of the dataset"),
    ("tracks", "fisheries", tracks_csv().replace("7.4,278", "-1,278"), "csv", "row 3, field speed: is below the minimum 0"),
    ("tracks", "fisheries", tracks_csv().replace(",status", ",colour"), "csv", "row 1, field colour: unexpected column"),
    ("tracks", "fisheries", tracks_csv() + f"{VESSELS[0]},{at(5)},123.03,30.21,9.5,100,at_sea\n", "csv",
     "row 4, field id: duplicate key"),
    ("events", "emergency", '{"event_id":"X-1","ts":"' + at(1) + '","status":"dispatched"}\n', "ndjson",
     "row 1, field event_id: changes an incident the store does not hold"),
    ("events", "emergency", '{"event_id":"X-1","ts":"' + at(1) + '","status":"reported","kind":"fire"}\n', "ndjson",
     "row 1, field region_code: is empty but required for a new incident"),
    ("events", "emergency", '{"event_id":"X-1","ts":"' + at(1) + '","status":"opened"}\n', "ndjson",
     "row 1, field status: is not one of reported, dispatched"),
    ("events", "emergency", '{"event_id":"X-1","ts":"' + at(1) + '","status":"reported","colour":1}\n', "ndjson",
     "row 1, field colour: unexpected field"),
    ("events", "emergency", '{"event_id":"X-1","ts":"' + at(1) + '"\n', "ndjson", "row 1: is not valid JSON"),
    ("entities", "emergency", "entity_id,kind\nNEW-1,shelter\n", "csv",
     "row 2, field name_zh: is empty but required for a new entity"),
    ("entities", "emergency", 'entity_id,properties\nEM-JM-DP01,[1]\n', "csv", "row 2, field properties: is not a JSON object"),
    ("entities", "emergency", f"entity_id,lon,lat\n{VESSELS[0]},122,30\n", "csv",
     "row 2, field entity_id: is an entity of dataset fisheries, not emergency"),
]


@pytest.mark.parametrize("kind,dataset,body,fmt,message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_feeds_change_nothing(store, tmp_path, kind, dataset, body, fmt, message):
    before = stored(store, "SELECT value FROM meta WHERE key = 'data_version'")
    with pytest.raises(DataError) as err:
        ingest_file(dataset, write(tmp_path / f"bad.{fmt}", body), store, kind=kind)
    assert str(err.value).startswith(f"dataset {dataset}, file bad.{fmt}, row "), str(err.value)
    assert message in str(err.value), str(err.value)
    assert stored(store, "SELECT value FROM meta WHERE key = 'data_version'") == before
    assert not list((store.db.parent / "ingested").rglob("*.*"))


def test_late_and_out_of_order_rows_within_the_window_are_accepted(store, tmp_path):
    ingest_file("water", write(tmp_path / "now.csv", obs_csv(minutes=60)), store)
    late = obs_csv(minutes=-598)  # 10 h behind the store's now: inside water's 2-day lateness window
    res = ingest_file("water", write(tmp_path / "late.csv", late), store)
    assert res.rows == 2
    assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == [(at(60),)], "now does not go back"
    ts = [r[0].isoformat() for r in stored(store, "SELECT ts FROM observations WHERE batch_id = ?", [res.batch_id])]
    assert ts == [at(-598)] * 2


def test_a_link_to_dev_zero_and_a_fifo_are_refused(store, tmp_path):
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    with pytest.raises(DataError, match=r"dataset water, file zero.csv: is not a regular file \(it is a device"):
        ingest_file("water", link, store)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="is not a regular file"):
        ingest_file("water", fifo, store)


def test_inbox_takes_every_kind_from_its_folder(store, tmp_path):
    box = Inbox(tmp_path / "inbox", store)
    for kind, (dataset, body, fmt) in GOOD.items():
        write(tmp_path / "inbox" / dataset / kind / f"{kind}.{fmt}", body)
    box.poll()
    outcomes = box.poll()
    assert sorted(o.status for o in outcomes) == ["done"] * 4, [o.message for o in outcomes]
    for kind, (dataset, _, fmt) in GOOD.items():
        assert (tmp_path / "inbox" / "done" / dataset / kind / f"{kind}.{fmt}").exists()
        assert effect(store, kind) == EXPECTED[kind]


def test_rebuild_replays_every_kind(store, tmp_path):
    from citybrain.store.build import build_store

    for kind, (dataset, body, fmt) in GOOD.items():
        ingest_file(dataset, write(tmp_path / f"{kind}.{fmt}", body), store, kind=kind)
    build_store(store, progress=False)
    for kind in GOOD:
        assert effect(store, kind) == EXPECTED[kind], kind
    assert stored(store, "SELECT value FROM restricted_values WHERE row_key = 'FEED-EV-1'") == [("张三",)]
