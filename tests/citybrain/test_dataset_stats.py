"""The catalog's dataset statistics: one row per dataset however many live batches it has, with its
newest batch (before, every ingested batch repeated its dataset's row on /catalog)."""

from __future__ import annotations

from datetime import timedelta

from citybrain.queries import core
from citybrain.store import Store
from citybrain.store.ingest import ingest_file
from tests.citybrain.test_ingest import TEST_ANCHOR, feed, live_store, live_template, write  # noqa: F401


def test_one_row_per_dataset_after_live_batches(live_template, tmp_path):
    s = live_store(live_template, tmp_path)
    ids = []
    for i in range(2):
        f = write(tmp_path / f"feed {i}.csv", feed(rows=4, start=TEST_ANCHOR + timedelta(minutes=5 + 30 * i)))
        ids.append(ingest_file("water", f, s, simulated=True).batch_id)
    stats = core.dataset_stats.uncached(Store(s.db))
    assert stats["dataset"].is_unique, stats[["dataset", "batch_id"]]
    assert stats.set_index("dataset").loc["water", "batch_id"] == ids[-1]
