"""One store version per request scope: the file is pinned, not only its label.

Two small store files stand for two data versions; the store link is switched between them the
way ``citybrain build`` does it (``store.files.switch``, which also prunes the older file)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from citybrain import cache
from citybrain.store.files import switch
from citybrain.store import Store, pin_scope
from tests.conftest import make_settings


def make_version(folder: Path, n: int, version: str) -> Path:
    """A store file ``store-<n>-<version>.duckdb`` whose every row says ``version``."""
    path = folder / f"store-{n}-{version}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('data_version', ?)", [version])
    con.execute("CREATE TABLE t AS SELECT range AS i, ? AS v FROM range(200000)", [version])
    con.close()
    return path


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Store, Path, Path]:
    a, b = make_version(tmp_path, 1, "A"), make_version(tmp_path, 2, "B")
    link = tmp_path / "store.duckdb"
    os.symlink(a.name, link)
    return Store(link), a, b


def switch_to(link: Path, final: Path) -> None:
    """Point the link at ``final`` and prune every older version, as a build does."""
    switch(link, final, keep=1)


def test_scope_reads_one_file_even_after_switch_and_prune(two_versions):
    store, a, b = two_versions
    with pin_scope():
        assert store.version == "A"
        cur = store.cursor()
        reader = cur.sql("SELECT v FROM t ORDER BY i").to_arrow_reader(1000)
        first = reader.read_next_batch()
        switch_to(store.path, b)
        assert not a.exists()  # pruned while pinned and half read
        assert store.version == "A"
        assert store.scalar("SELECT DISTINCT v FROM t") == "A"
        assert set(first.column(0).to_pylist()) == {"A"}
        assert {r for batch in reader for r in batch.column(0).to_pylist()} == {"A"}
        cur.close()
    assert store.version == "B" and store.scalar("SELECT DISTINCT v FROM t") == "B"  # the next scope


def test_snapshot_survives_its_scope(two_versions):
    """A streamed response keeps its snapshot after the request scope closed."""
    store, _, b = two_versions
    with pin_scope():
        snap = store.snapshot()
    switch_to(store.path, b)
    assert snap.version == "A" and snap.scalar("SELECT count(*) FROM t WHERE v = 'A'") == 200000
    assert store.version == "B"


def test_request_scope_pins_the_store_and_cached_queries(two_versions):
    store, _, b = two_versions

    @cache.cached_query
    def label_and_rows(st) -> tuple[str, str]:
        return cache.data_version(st), st.scalar("SELECT DISTINCT v FROM t")

    from tests.conftest import app_context

    with app_context(make_settings(store.path.parent)), cache.request_scope():
        assert label_and_rows(store) == ("A", "A")
        switch_to(store.path, b)
        assert label_and_rows.uncached(store) == ("A", "A")
        assert cache.data_version(store) == store.version == "A"
    assert label_and_rows(store) == ("B", "B")


def test_outside_a_scope_each_query_reads_the_current_file(two_versions):
    store, _, b = two_versions
    assert store.version == "A"
    switch_to(store.path, b)
    assert store.version == "B" and store.scalar("SELECT DISTINCT v FROM t") == "B"



def test_a_follower_opens_a_new_version_before_any_request(two_versions):
    """``Store.follow`` (what each gunicorn worker starts) opens the new file in the background, so the
    first request after a batch does not pay for opening it."""
    import time

    store, _a, b = two_versions
    assert store.version == "A"
    store.follow(every_s=0.02)
    try:
        switch_to(store.path, b)
        deadline = time.monotonic() + 10
        while store.opened != "B" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.opened == "B"  # opened although nobody asked for the store since the switch
        assert store.version == "B"
    finally:
        store.unfollow()


def test_with_a_follower_a_request_never_opens_a_version_itself(two_versions):
    """While a follower runs, a request reads the version open until the follower has opened the new
    one (it never pays the opening, nor makes the worker's other requests wait on it), for ``grace_s``
    at most: a follower that is stuck or slow delays a batch by that much, never for good."""
    import time

    store, _a, b = two_versions
    assert store.version == "A"
    store.follow(every_s=60, grace_s=0.5)  # a follower that does not look again for a minute
    try:
        switch_to(store.path, b)
        t0 = time.monotonic()
        assert store.version == "A" and store.opened == "A"
        while store.version == "A":
            time.sleep(0.02)
        assert 0.45 < time.monotonic() - t0 < 5 and store.opened == "B"
    finally:
        store.unfollow()


def test_gunicorn_workers_start_the_follower(built_store):
    """``post_worker_init`` of the product's gunicorn options starts the worker's store follower."""
    import time
    from types import SimpleNamespace

    from citybrain.app_factory import create_app
    from citybrain.server import gunicorn_options

    app = create_app(built_store.model_copy(update={"cache": "null"}))
    store = app.server.extensions["citybrain"].store
    assert store.opened is None
    gunicorn_options("127.0.0.1", 0, 1)["post_worker_init"](SimpleNamespace(wsgi=app.server))
    try:
        deadline = time.monotonic() + 10
        while store.opened is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.opened is not None
    finally:
        store.unfollow()
