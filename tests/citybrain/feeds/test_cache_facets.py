"""Cached results expire by what they read (``citybrain.store.facets``): a batch of one dataset leaves
the other datasets' cached results standing, and no cached result outlives the data it came from.

The second half is checked by ``Settings.cache_check``: every cache hit is rebuilt and compared, so a
query that reads a table or dataset it does not declare fails the request. The pushes are late rows
(the store's now does not move), so the screens ask again at the same time and meet their cached
results: every page, layer, view and the alarm set, after a batch of every kind.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from citybrain import cache
from citybrain.app_factory import create_app
from citybrain.queries import datasets, kpi as qk
from citybrain.queries.reads import by_dataset, indicators_of
from citybrain.registry import all_modules
from citybrain.semantics import scope
from citybrain.semantics.alarms import alarm_set
from citybrain.store import get_store
from layers.registry import all_layers
from tests.citybrain.feeds.conftest import OPEN_INCIDENT, VESSELS, at, stored, tracks_csv
from tests.citybrain.feeds.test_http import push
from tests.conftest import TEST_ANCHOR

REGIONS = ("330225", "330900")

#: Late batches of every kind (inside each dataset's lateness window, before the store's now).
LATE = {
    "observations": ("water", ("indicator_id,region_code,entity_id,ts,value,quality\n"
                               f"water_level,330225,WS-330225-01,{at(-40)[:-2]}13,35.5,good\n"
                               f"rainfall_1h,330225,,{at(-40)[:-2]}13,88.0,good\n")),
    "tracks": ("fisheries", ("id,ts,lon,lat,speed,heading,status\n"
                             f"{VESSELS[0]},{at(-2)[:-2]}17,123.10,30.30,1.5,10,alarm_lost_contact\n")),
    "events": ("emergency", '{"event_id":"LATE-EV-1","ts":"' + at(-30) + '","status":"reported","kind":"fire",'
                            '"region_code":"330225","title_zh":"迟报火情","severity":"major","lon":121.87,"lat":29.48}\n'
                            '{"event_id":"' + OPEN_INCIDENT + '","ts":"' + at(-1) + '","status":"on_scene"}\n'),
    "entities": ("emergency", ("entity_id,kind,name_zh,region_code,lon,lat,properties\n"
                               "LATE-SHELTER-1,shelter,迟报避灾点,330225,121.88,29.47,\"{\"\"capacity\"\": 300}\"\n")),
}
MEDIA = {"events": "application/x-ndjson"}


def app_with_tokens(store, check: bool):
    """An app on a private store (every cache hit rebuilt and compared if ``check``), with feed tokens."""
    from citybrain.feeds import tokens
    from tests.citybrain.feeds.test_http import make_engine

    app = create_app(store.model_copy(update={"cache_check": check}))
    c = app.server.test_client()
    engine = make_engine(store)
    c.tokens = {d: tokens.add(engine, f"feed-{d}", d) for d in ("water", "fisheries", "emergency")}
    return app, c


@pytest.fixture
def checked(store):
    return app_with_tokens(store, check=True)


@pytest.fixture
def plain(store):
    return app_with_tokens(store, check=False)


def read_every_screen(app, client) -> None:
    """What the screens read at the store's now: pages, alarm set, layers, views (cache hits checked)."""
    for region in REGIONS:
        r = client.get(f"/api/v1/alarms?region={region}")
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        for la in all_layers():
            r = client.get(f"/api/v1/layers/{la.id}.geojson?region={region}")
            assert r.status_code == 200, (la.id, r.get_data(as_text=True)[:500])
        for m in all_modules():
            for vw in getattr(m, "views", ()) or ():
                r = client.get(f"/api/v1/dashboards/{m.id}/views/{vw.id}.json?region={region}")
                assert r.status_code in (200, 404), (m.id, vw.id, r.get_data(as_text=True)[:500])
        with app.server.test_request_context("/"), cache.request_scope():
            loaded = set(datasets(get_store())["name"])
            for m in all_modules():  # the pages of the datasets this store holds
                if m.path_template is None and set(m.datasets) <= loaded:
                    m.layout(region=region, lang="zh")


def builds(monkeypatch) -> list[int]:
    """Count the cached builds that run from now on."""
    ran: list[int] = []
    real = cache._run

    def counting(build, declared):
        ran.append(1)
        return real(build, declared)

    monkeypatch.setattr(cache, "_run", counting)
    return ran


@pytest.mark.parametrize("kind", list(LATE))
def test_no_cached_result_outlives_a_late_batch(checked, store, kind):
    app, client = checked
    read_every_screen(app, client)
    anchor = stored(store, "SELECT value FROM meta WHERE key = 'anchor'")
    dataset, body = LATE[kind]
    r = push(client, dataset, body.encode(), kind, MEDIA.get(kind, "text/csv"))
    assert r.status_code == 200 and r.get_json()["rows"] > 0, r.get_json()
    assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == anchor, "a late batch keeps the now"
    read_every_screen(app, client)  # every hit is rebuilt and compared (cache_check)


def test_a_batch_expires_only_what_reads_its_dataset(plain, store, monkeypatch):
    app, client = plain
    ids = ("rainfall_1h", "water_level")
    vessels_at = datetime.fromisoformat(at(-2)[:-2] + "20")  # just after the late position
    with app.server.app_context():
        st = get_store()
        water = qk.sparks(st, "330225", ids, TEST_ANCHOR)
        fleet = qk.vessel_status(st, "330900", vessels_at)
        alarm_set(st, "330225", TEST_ANCHOR)
        ran = builds(monkeypatch)
        dataset, body = LATE["observations"]
        assert push(client, dataset, body.encode()).status_code == 200
        assert qk.vessel_status(st, "330900", vessels_at).equals(fleet) and not ran, "fisheries: still cached"
        water2 = qk.sparks(st, "330225", ids, TEST_ANCHOR)
        assert len(ran) == 1 and not water2.equals(water), "water: built again, with the late rows"
        alarm_set(st, "330225", TEST_ANCHOR)
        assert len(ran) > 1, "the alarm set reads water: built again"
        before = len(ran)
        dataset, body = LATE["tracks"]
        assert push(client, dataset, body.encode(), "tracks").status_code == 200
        assert qk.sparks(st, "330225", ids, TEST_ANCHOR).equals(water2) and len(ran) == before, \
            "water: still cached after a fisheries batch"
        moved = qk.vessel_status(st, "330900", vessels_at)
        assert len(ran) == before + 1, "fisheries: built again"
        assert moved.set_index("entity_id").loc[VESSELS[0], "status"] == "alarm_lost_contact"
        # a fresh fisheries batch moves the store's now; the water cards at the new now are the same rows
        cards = qk.snapshot(st, "330225", ids, TEST_ANCHOR)
        before = len(ran)
        assert push(client, "fisheries", tracks_csv(3).encode(), "tracks").status_code == 200
        now = datetime.fromisoformat(stored(store, "SELECT value FROM meta WHERE key = 'anchor'")[0][0])
        assert now > TEST_ANCHOR, "the store's now followed the fleet"
        assert qk.snapshot(st, "330225", ids, now).equals(cards) and len(ran) == before, \
            "water cards at the new now: asked at the water data's newest time, still cached"
        assert qk.snapshot.uncached(st, "330225", ids, now).equals(cards)
        assert qk.vessel_status(st, "330900", now) is not None and len(ran) == before + 1


def test_cards_are_asked_per_dataset_and_equal_one_query_of_all(plain, store, monkeypatch):
    """The cockpit's snapshot, sparklines and freshness are asked per owning dataset: a water batch
    re-reads the water part only, and the parts together are exactly what one query of all indicators
    (or all datasets) gives."""
    app, client = plain
    ids = tuple(r[0] for r in stored(store, "SELECT indicator_id FROM indicators ORDER BY dataset DESC, indicator_id"))
    with app.server.app_context():
        st = get_store()
        assert len(by_dataset(st, ids)) > 2
        one_query = qk._snapshot.uncached(st, "330225", ids, TEST_ANCHOR)  # every dataset at once
        assert qk.snapshot(st, "330225", ids, TEST_ANCHOR).equals(one_query)
        assert qk.sparks(st, "330225", ids, TEST_ANCHOR).equals(qk._sparks.uncached(st, "330225", ids, TEST_ANCHOR))
        every_dataset = st.df(f"""SELECT d.name AS dataset, d.cadence_s,
               (SELECT max(ts) FROM observations o WHERE o.dataset = d.name AND {scope.sql('o.region_code')}) AS last_ts
               FROM datasets d ORDER BY d.name""", ["330225", "330225"])
        assert qk.dataset_last(st, "330225").equals(every_dataset)
        ran = builds(monkeypatch)
        dataset, body = LATE["observations"]
        assert push(client, dataset, body.encode()).status_code == 200
        after = qk.snapshot(st, "330225", ids, TEST_ANCHOR)
        assert len(ran) == 1, "only the water part of the snapshot is asked again"
        assert after.equals(qk._snapshot.uncached(st, "330225", ids, TEST_ANCHOR))
        qk.dataset_last(st, "330225")
        assert len(ran) == 2, "only water's newest time is asked again"


def test_one_scan_of_a_dataset_serves_every_set_of_its_indicators(plain, store, monkeypatch):
    """The cards, the alarm set, the targets and the wall ask for different indicators of one dataset:
    the snapshot and the sparklines read each dataset once per region and time (all its indicators)
    and keep the rows asked for, which are exactly what a query of those indicators alone gives."""
    app, _client = plain
    with app.server.app_context():
        st = get_store()
        water = indicators_of(st, "water")
        assert len(water) > 2
        ran = builds(monkeypatch)
        for ids in (water[:2], water[1:], (water[-1], water[0]), water):
            for cached, query in ((qk.snapshot, qk._snapshot), (qk.sparks, qk._sparks)):
                got = cached(st, "330225", ids, TEST_ANCHOR)
                assert got.equals(query.uncached(st, "330225", ids, TEST_ANCHOR)), (ids, query)
                assert set(got["indicator_id"]) <= set(ids)
        assert len(ran) == 2, "one snapshot and one sparkline query of water, whatever the indicators asked"
