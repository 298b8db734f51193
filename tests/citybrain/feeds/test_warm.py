"""Warm, then publish (``citybrain.warm``): after a batch, the workers keep serving the version before
it until the warmer has rebuilt what people watch at the new one; then the first request at the new
version builds nothing. A real store, a real filesystem cache shared by the "workers'" app and the
warmer's, a real ingest; the warmer is stepped in-process (the server runs the same loop)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from citybrain import cache
from citybrain.app_factory import create_app
from citybrain.feeds.pipeline import ingest
from citybrain.registry import all_modules
from citybrain.store import get_store
from citybrain.warm import notes, served
from citybrain.warm.warmer import Warmer
from dashboards.wall.callbacks import render_panel
from tests.citybrain.feeds.conftest import obs_csv
from tests.citybrain.feeds.test_cache_facets import builds
from tests.conftest import TEST_ANCHOR

PAGES = ("overview", "water")


@pytest.fixture
def warmed(store, tmp_path):
    """Settings of a server with a warmer: a shared filesystem cache, its pointer and its notes folder."""
    folder = tmp_path / "warm"
    folder.mkdir()
    return store.model_copy(update={
        "cache": "filesystem", "cache_dir": tmp_path / "shared-cache", "clock": TEST_ANCHOR + timedelta(minutes=7),
        "served": served.pointer_path(store.db, pid=1), "warm_dir": folder})


def _watch(app, layouts):
    """What a worker does for a page view and a wall panel: one request scope each; returns the versions."""
    seen = []
    with app.server.test_request_context("/"):
        for page in PAGES:
            with cache.request_scope():
                layouts[page](region="330225", lang="zh")
                seen.append(get_store().version)
        with cache.request_scope():
            assert render_panel("water--stations", {"region": "330225", "lang": "zh"}) is not None
            seen.append(get_store().version)
    return seen


def test_a_new_version_is_served_once_what_people_watch_is_rebuilt(warmed, tmp_path, monkeypatch):
    workers = create_app(warmed)
    layouts = {m.id: m.layout for m in all_modules() if m.id in PAGES}
    before = _watch(workers, layouts)
    assert len(set(before)) == 1
    noted = notes.recent(warmed.warm_dir)
    assert sorted(k for k, _ in noted) == ["layout:overview", "layout:water", "wall-panel"], noted

    warmer = Warmer(warmed)
    assert warmer.step() and served.read(warmed.served) is not None  # the current version, published
    assert not warmer.step()  # nothing new

    src = tmp_path / "obs.csv"
    src.write_text(obs_csv(minutes=5, value=44.4), encoding="utf-8")
    batch = ingest("water", src, warmed)
    assert batch.data_version != before[0]
    # the link moved; the workers still serve the version before it (warm), within the lag
    assert _watch(workers, layouts) == before

    rebuilt = warmer.stats["rebuilt"]
    assert warmer.step()
    assert warmer.stats["rebuilt"] - rebuilt == 3 and warmer.stats["failed"] == 0
    ran = builds(monkeypatch)
    after = _watch(workers, layouts)
    assert after == [batch.data_version] * 3
    assert ran == [], f"{len(ran)} builds on the request path after the warmer published"


def test_without_a_warmer_the_workers_follow_the_link_within_the_lag(warmed, tmp_path):
    """A warmer that never publishes (dead, or far too slow) delays a batch by ``warm_lag_s`` at most."""
    workers = create_app(warmed.model_copy(update={"warm_lag_s": 0.5}))
    layouts = {m.id: m.layout for m in all_modules() if m.id in PAGES}
    before = _watch(workers, layouts)
    served.publish(warmed.served, get_store(warmed.db).latest().file)  # as a warmer would, once
    src = tmp_path / "obs.csv"
    src.write_text(obs_csv(minutes=5, value=44.4), encoding="utf-8")
    batch = ingest("water", src, warmed)
    import time

    time.sleep(0.6)
    assert _watch(workers, layouts) == [batch.data_version] * 3 != before
