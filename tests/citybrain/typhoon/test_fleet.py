"""The simulated fleet and shelters of a typhoon replay: boats obey the latitude-band deadlines and
are in port before the 30-kt circle reaches their band, a few stragglers stay out, shelters fill as
the circle approaches, everything deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citybrain.typhoon import fleet as fl
from citybrain.typhoon import replay as rp
from tests.conftest import app_context

TRACK, REGION = "JMA-2106", "330225"


@pytest.fixture(scope="module")
def store(built_store):
    with app_context(built_store) as ctx:
        yield ctx.store


@pytest.fixture(scope="module")
def plan(store):
    return rp.fleet_plan(store, TRACK, REGION, fl.Bands().edges, fl.Bands().lead_h)


def test_only_allowed_boats_fish_in_the_moratorium(store, plan):
    v = rp.tq.vessels(store, REGION).set_index("entity_id")
    sea = plan[plan["at_sea_start"]]
    assert 0 < len(sea) < len(plan) * 0.2  # July: only moratorium-exempt boats
    assert v.loc[sea["entity_id"], "exempt"].all()


def test_obedient_boats_are_home_before_the_circle(store, plan):
    dl = rp.deadlines(store, TRACK, fl.Bands())
    sea = plan[plan["at_sea_start"]]
    ok = sea[~sea["straggler"]]
    reach = dl["reach"].to_numpy("datetime64[us]")[ok["band"].to_numpy(int)]
    deadline = dl["deadline"].to_numpy("datetime64[us]")[ok["band"].to_numpy(int)]
    arrive = ok["arrive"].to_numpy("datetime64[us]")
    assert (arrive <= deadline).all() and (arrive < reach).all()


def test_a_few_stragglers_stay_out_past_the_deadline(store, plan):
    sea = plan[plan["at_sea_start"]]
    st = sea[sea["straggler"]]
    assert 1 <= len(st) <= max(3, 0.15 * len(sea))
    dl = rp.deadlines(store, TRACK, fl.Bands())
    late = st["depart"].to_numpy("datetime64[us]") > dl["deadline"].to_numpy("datetime64[us]")[st["band"].to_numpy(int)]
    assert late.all()


def test_boat_positions_and_alarm(store):
    path = rp.tq.storm_path(store, TRACK)
    seen_alarm = False
    for t in pd.date_range("2021-07-21", "2021-07-24", freq="1h"):
        f = rp.fleet_frame(store, TRACK, REGION, t, fl.Bands())
        sea = f[f["state"] != "in_port"]
        d = fl.distance_to_circle_km(path, t, sea["lon"].to_numpy("float64"), sea["lat"].to_numpy("float64"))
        assert np.array_equal(np.isnan(d), np.isnan(sea["to_circle_km"].to_numpy("float64")))
        inside = path.inside(np.array([np.datetime64(t, "us")]), 30, sea["lon"].to_numpy(), sea["lat"].to_numpy())[0]
        assert ((sea["status"] == "alarm").to_numpy() == inside).all()  # the alarm is "inside the circle"
        seen_alarm |= bool(inside.any())
    assert seen_alarm  # the stragglers give the board something to show
    assert (rp.fleet_series(store, TRACK, REGION, fl.Bands())["at_sea"].iloc[-1]) == 0


def test_deadline_follows_the_lead_hours(store):
    a = rp.deadlines(store, TRACK, fl.Bands())
    b = rp.deadlines(store, TRACK, fl.Bands(lead_h=(24.0,) * 5))
    assert ((a["deadline"] - b["deadline"]).dropna() == pd.Timedelta(hours=12)).all()


def test_shelters_fill_as_the_circle_comes(store):
    before = rp.towns_moved(store, TRACK, REGION, pd.Timestamp("2021-07-21 12:00"))
    after = rp.towns_moved(store, TRACK, REGION, pd.Timestamp("2021-07-24 12:00"))
    assert before["moved"].sum() < 0.1 * before["planned"].sum()
    assert after["moved"].sum() > 0.9 * after["planned"].sum()
    assert (after.set_index("entity_id")["moved"] >= before.set_index("entity_id")["moved"]).all()
    sh = rp.shelters(store, TRACK, REGION, pd.Timestamp("2021-07-24 12:00"))
    assert (sh["occupants"] <= sh["capacity"]).all() and sh["simulated"].all()


def test_deterministic(store, plan):
    again = rp.fleet_plan.uncached(store, TRACK, REGION, fl.Bands().edges, fl.Bands().lead_h)
    pd.testing.assert_frame_equal(plan.reset_index(drop=True), again.reset_index(drop=True))


def test_response_levels_rise_in_order(store):
    lv = rp.response_levels(store, TRACK, REGION)
    assert list(lv["level"]) == ["IV", "III", "II", "I"]
    assert (lv["start"].diff().dropna() >= pd.Timedelta(0)).all()
    assert rp.level_at(lv, lv["start"].iloc[0] - pd.Timedelta(hours=1)) is None
    assert rp.response_levels(store, "CMA-2212", REGION).empty  # no radii: not derived
