"""Rain along the track on /d/typhoon: each station's rain in the last hour, the last 24 h and since
the storm's first fix equals the sum of the store's ``rainfall_1h`` rows computed here in SQL; the
distance to the centre is the great-circle distance; the page's view, the API's CSV and the page's
table are the same rows; nothing after the replay time is shown."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from citybrain.app_factory import create_app
from citybrain.geo import haversine_m
from tests.conftest import app_context

AT = pd.Timestamp("2021-07-25 14:00")  # In-Fa near its landfall at 普陀
TID, REGION = "JMA-2106", "330225"


@pytest.fixture(scope="module")
def ctx(built_store):
    with app_context(built_store) as c:
        yield c


def _sum(store, sid: str, lo: pd.Timestamp, hi: pd.Timestamp, fn: str = "sum") -> float:
    return float(store.scalar(f"""SELECT coalesce({fn}(value), 0) FROM observations WHERE indicator_id = 'rainfall_1h'
                                  AND entity_id = ? AND ts > ? AND ts <= ?""",
                              [sid, lo.to_pydatetime(), hi.to_pydatetime()]))


def test_station_rain_is_the_sum_of_the_hourly_rows(ctx):
    from citybrain.queries import typhoon as tq
    from citybrain.typhoon import rain

    store = ctx.store
    rows = rain.stations(store, TID, REGION, AT)
    assert len(rows) >= 3 and rows["simulated"].all()
    assert rows["storm_mm"].is_monotonic_decreasing  # wettest first
    first = pd.Timestamp(tq.storm_path(store, TID).ts[0])
    assert rows["storm_mm"].max() > 50  # In-Fa rained on Xiangshan
    path = tq.storm_path(store, TID)
    clon, clat, _ = path.centre(np.array([np.datetime64(AT, "us")]))
    for r in rows.itertuples():
        assert r.rain_1h_mm == pytest.approx(_sum(store, r.entity_id, AT - pd.Timedelta(hours=1), AT), abs=0.05)
        assert r.rain_24h_mm == pytest.approx(_sum(store, r.entity_id, AT - pd.Timedelta(hours=24), AT), abs=0.05)
        assert r.storm_mm == pytest.approx(_sum(store, r.entity_id, first - pd.Timedelta(seconds=1), AT), abs=0.05)
        assert r.max_1h_mm == pytest.approx(_sum(store, r.entity_id, first - pd.Timedelta(seconds=1), AT, "max"), abs=0.05)
        assert r.distance_km == pytest.approx(haversine_m(clon[0], clat[0], r.lon, r.lat) / 1000, abs=0.1)
        assert r.closest_km <= r.distance_km
        assert r.status == ("alarm" if r.rain_24h_mm >= 100 else "warning" if r.rain_24h_mm >= 50 else "normal")


def test_no_rain_after_the_replay_time(ctx):
    from citybrain.typhoon import rain

    early = rain.hourly(ctx.store, TID, REGION, AT)
    assert early.index.max() <= AT and "area" in early
    later = rain.stations(ctx.store, TID, REGION, AT + pd.Timedelta(hours=12))
    now = rain.stations(ctx.store, TID, REGION, AT).set_index("entity_id")
    assert (later.set_index("entity_id")["storm_mm"].reindex(now.index) >= now["storm_mm"] - 1e-9).all()  # totals grow


def test_view_api_csv_and_figure_agree(built_store, ctx):
    from dashboards.typhoon import boards, default_at

    client = create_app(built_store).server.test_client()
    at = default_at(ctx.store, TID, REGION)
    view = client.get(f"/api/v1/dashboards/typhoon/views/rainfall.json?region={REGION}&lang=en")
    assert view.status_code == 200
    vrows = view.get_json()["rows"]
    page = boards.rain_rows(ctx.store, TID, REGION, at, "en")
    assert [r["entity_id"] for r in vrows] == page["entity_id"].tolist()
    assert [r["storm_mm"] for r in vrows] == page["storm_mm"].tolist()
    assert {"station", "rain_24h_mm", "storm_mm", "closest_km"} <= set(vrows[0])
    r = client.get(f"/api/v1/typhoons/{TID}/rainfall.csv?region={REGION}&at={AT.isoformat()}")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    shown = boards.rain_rows(ctx.store, TID, REGION, AT, "zh")
    assert [x["entity_id"] for x in rows] == shown["entity_id"].tolist()
    assert [float(x["rain_24h_mm"]) for x in rows] == shown["rain_24h_mm"].tolist()
    assert client.get(f"/api/v1/typhoons/{TID}/rainfall.csv?at=yesterday").status_code == 400
    assert client.get("/api/v1/typhoons/NOPE-1/rainfall.csv").status_code == 404
    fig = boards.rain_figure(ctx.store, TID, REGION, AT, "zh")
    totals = [d for d in fig["data"] if d["type"] == "scatter"]
    top = shown.iloc[0]
    line = next(d for d in totals if d["name"].startswith(top["station"]))
    assert line["y"][-1] == pytest.approx(top["storm_mm"], abs=0.2)  # the chart's total is the table's
