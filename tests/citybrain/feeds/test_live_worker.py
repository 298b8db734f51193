"""What the sustained-load bench found in a server that takes pushes while it serves readers: a push
must not break the worker's reads, vessels report at their own times and may omit their status, a
worker's first concurrent requests must not race Dash's setup, and the store's now follows a
30-second feed to the minute."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from citybrain.app_factory import create_app
from citybrain.feeds.pipeline import open_read
from citybrain.store import Store
from tests.citybrain.feeds.conftest import VESSELS, at, stored
from tests.citybrain.feeds.test_http import client, push  # noqa: F401  (fixture)



def vessel_ids(client, region: str, when: str) -> set[str]:  # noqa: F811
    r = client.get(f"/api/v1/layers/fisheries.geojson?region={region}&at={when}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return {f["properties"]["id"] for f in r.get_json()["features"] if f["properties"].get("sublayer") == "vessels"}


def test_a_push_opens_the_store_as_the_workers_reads_do(client, store):  # noqa: F811
    with client.application.app_context():  # a push runs inside a request of the worker
        con = open_read(Path(os.path.realpath(store.db)))
        try:
            # the worker's next request opened the same file: "different configuration" (a 500)
            assert Store(store.db).scalar("SELECT count(*) FROM entities") > 0
        finally:
            con.close()


def test_vessels_reporting_at_their_own_seconds_all_stay_on_the_map(client, store):  # noqa: F811
    region = stored(store, "SELECT region_code FROM entities WHERE entity_id = ?", [VESSELS[1]])[0][0]
    before = vessel_ids(client, region, at(0))
    assert VESSELS[1] in before and len(before) > 10
    # one vessel reports 7 seconds past the minute and states no status; a new one states none ever
    home = stored(store, "SELECT region_code FROM entities WHERE entity_id = ?", [VESSELS[0]])[0][0]
    body = (f"id,ts,lon,lat,speed,heading,kind,region_code\n{VESSELS[0]},{at(2)[:-2]}07,123.03,30.21,9.5,100,,\n"
            f"TEST-NEW-1,{at(2)[:-2]}41,123.05,30.25,3.0,90,vessel,{home}\n").encode()
    r = push(client, "fisheries", body, "tracks")
    assert r.status_code == 200, r.get_json()
    after = vessel_ids(client, region, at(3))
    assert before <= after, f"{len(before - after)} vessels vanished when one reported off-step"
    r = client.get(f"/api/v1/layers/fisheries.geojson?region={home}&at={at(3)}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    got = {f["properties"]["id"]: f for f in r.get_json()["features"] if f["properties"].get("sublayer") == "vessels"}
    assert got[VESSELS[0]]["geometry"]["coordinates"] == [123.03, 30.21], "its newest position"
    assert got[VESSELS[0]]["properties"]["kind"] == "vessel_at_sea", "the status it stated last"
    assert got["TEST-NEW-1"]["properties"]["kind"] == "vessel_unknown", "a vessel that never stated one"
    assert stored(store, "SELECT value FROM meta WHERE key = 'anchor'") == [(at(2),)], \
        "the store's now follows the feed to the minute"


def test_a_workers_first_requests_at_once_all_succeed(store):
    app = create_app(store)
    c = app.server.test_client()
    answers: list[int] = []
    gate = threading.Barrier(16)

    def first() -> None:
        gate.wait()
        answers.append(c.get("/_dash-dependencies").status_code)
        answers.append(c.get("/_dash-layout").status_code)

    threads = [threading.Thread(target=first) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [200] * 32
    assert len(c.get("/_dash-dependencies").get_json()) == len(app.callback_map) > 30, "every callback is set up"
