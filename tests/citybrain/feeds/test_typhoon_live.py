"""``citybrain simulate --typhoon``: a stored typhoon replayed as live feeds through the real pipeline
(HTTP push into a running server). The pushed storm centre is the best track's interpolated position
at storm time, /map's emergency layer draws it at the store's now, the pushed vessels are the replay
fleet's positions, and the wall's typhoon step and the typhoon page's default moment follow it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from citybrain import devserver
from citybrain.app_factory import create_app
from citybrain.settings import PROJECT_ROOT
from citybrain.store.build import build_store
from tests.citybrain.feeds.conftest import stored
from tests.citybrain.feeds.test_simulate import env_of
from tests.conftest import TEST_ANCHOR, app_context, make_settings

TID, LIVE, REGION = "JMA-2106", "JMA-2106-LIVE", "330225"
START = pd.Timestamp("2021-07-25 06:00")


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """A store of the real boundaries, typhoon, fisheries and emergency datasets into which the
    simulator pushed 14 steps (the last two after the wall clock) of a live replay of In-Fa."""
    root = tmp_path_factory.mktemp("typhoon_live")
    for name in ("boundaries", "typhoon", "fisheries", "emergency"):
        shutil.copytree(PROJECT_ROOT / "datasets" / name, root / "datasets" / name)
    settings = make_settings(root / "db", datasets_dir=root / "datasets", cache="null")
    build_store(settings, progress=False)
    port = devserver.free_port()
    server = devserver.start(port, {"CITYBRAIN_DB": str(settings.db), "CITYBRAIN_CACHE": "null"})
    wall = TEST_ANCHOR + timedelta(hours=1)
    try:
        out = subprocess.run([sys.executable, "-m", "citybrain.cli", "simulate", "--url", f"http://127.0.0.1:{port}",
                              "--steps", "14", "--speed", "600", "--typhoon", TID, "--start", START.isoformat(),
                              "--region", REGION], env=env_of(settings, CITYBRAIN_CLOCK=wall.isoformat()),
                             capture_output=True, text=True, timeout=600)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused" not in out.stderr, out.stderr[-2000:]
    return settings, wall


def test_the_storm_centre_is_the_best_track_at_storm_time(replayed):
    from citybrain.queries import typhoon as tq
    from citybrain.store import get_store

    settings, wall = replayed
    rows = stored(settings, "SELECT ts, lon, lat, simulated, region_code FROM tracks WHERE track_id = ? ORDER BY ts", [LIVE])
    assert len(rows) == 14 and all(r[3] for r in rows)
    assert rows[-1][0] == wall + timedelta(minutes=10)  # caught up to the wall clock, then two more steps
    with app_context(settings):
        path = tq.storm_path(get_store(), TID)
        for ts, lon, lat, _, _ in rows:
            storm = pd.Timestamp(START) + (pd.Timestamp(ts) - pd.Timestamp(wall))  # the replay's clock
            clon, clat, ok = path.centre(np.array([np.datetime64(storm, "us")]))
            assert ok[0] and (lon, lat) == pytest.approx((clon[0], clat[0]), abs=1e-5)
        assert TID in tq.storms(get_store())["track_id"].tolist()
        assert LIVE not in tq.storms(get_store())["track_id"].tolist()  # a live replay is no best track


def test_map_layer_draws_the_live_storm_now(replayed):
    settings, wall = replayed
    client = create_app(settings).server.test_client()
    body = client.get(f"/api/v1/layers/emergency.geojson?region={REGION}").get_json()
    assert body["at"] == (wall + timedelta(minutes=10)).isoformat()  # the store's now moved with the feed
    centre = [f for f in body["features"] if f["properties"]["sublayer"] == "typhoon"]
    assert [f["properties"]["id"] for f in centre] == [LIVE]
    last = stored(settings, "SELECT lon, lat FROM tracks WHERE track_id = ? ORDER BY ts DESC LIMIT 1", [LIVE])[0]
    assert centre[0]["geometry"]["coordinates"] == pytest.approx(list(last), abs=1e-5)
    assert client.get("/api/v1/typhoons").get_json()["typhoons"]  # the list still answers, without the live track
    assert LIVE not in [t["id"] for t in client.get("/api/v1/typhoons").get_json()["typhoons"]]


def test_vessels_follow_the_replay_fleet(replayed):
    from citybrain.store import get_store
    from citybrain.typhoon import fleet as fl
    from citybrain.typhoon import replay as rp

    settings, wall = replayed
    now = wall + timedelta(minutes=10)
    with app_context(settings):
        store = get_store()
        plan = rp.fleet_plan(store, TID, REGION, fl.Bands().edges, fl.Bands().lead_h)
        want = fl.fleet_at(plan, START + pd.Timedelta(minutes=10)).set_index("entity_id")
    got = pd.DataFrame(stored(settings, "SELECT track_id, lon, lat, status FROM tracks WHERE kind = 'vessel' AND ts = ?",
                              [now]), columns=["entity_id", "lon", "lat", "status"]).set_index("entity_id")
    assert set(want.index) <= set(got.index) and len(want) > 50
    g = got.loc[want.index]
    assert np.allclose(g["lon"], want["lon"], atol=1e-6) and np.allclose(g["lat"], want["lat"], atol=1e-6)
    assert (g["status"] == want["state"].map({"fishing": "fishing", "returning": "at_sea", "in_port": "in_port"})).all()


def test_wall_and_page_follow_the_live_replay(replayed):
    from citybrain.store import get_store
    from citybrain.typhoon import replay as rp
    from dashboards.typhoon import default_at, wall as twall

    settings, wall = replayed
    storm_now = START + pd.Timedelta(minutes=10)
    with app_context(settings):
        store = get_store()
        assert rp.live_replay(store, REGION) == (TID, storm_now)
        assert twall._pick(store, REGION) == (TID, storm_now)  # the wall shows the storm where /map has it
        assert rp.default_track(store, REGION) == TID and default_at(store, TID, REGION) == storm_now.floor("10min")
        props = json.loads(store.scalar("SELECT properties FROM entities WHERE entity_id = 'typhoon-2106'"))
        assert LIVE in props["track_ids"] and TID in props["track_ids"]
        assert props["live_replay"][LIVE] == {"track_id": TID, "offset_s": int((pd.Timestamp(wall) - START).total_seconds())}


def test_unknown_storm_or_start_is_a_clear_error(replayed):
    settings, wall = replayed
    for args, said in ((["--typhoon", "JMA-9999"], "unknown typhoon track 'JMA-9999'"),
                       (["--typhoon", TID, "--start", "2030-01-01T00:00"], "lies after the track's last fix"),
                       (["--typhoon", TID, "--region", "999999"], "unknown region 999999")):
        out = subprocess.run([sys.executable, "-m", "citybrain.cli", "simulate", "--url", "http://127.0.0.1:9", "--steps", "1",
                              *args], env=env_of(settings, CITYBRAIN_CLOCK=wall.isoformat()),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 2 and said in out.stderr and "Traceback" not in out.stderr, out.stderr[-1500:]
