"""/api/v1/typhoons: the stored storms, a track with its wind circles as GeoJSON, and the exposure of
a region's places: great-circle distances, arrival of the 30-kt circle, closest approach."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from citybrain.app_factory import create_app
from citybrain.geo import haversine_m
from citybrain.typhoon.circles import bearing
from tests.conftest import app_context

AT = "2021-07-25T14:00"


@pytest.fixture(scope="module")
def client(built_store):
    return create_app(built_store).server.test_client()


@pytest.fixture(scope="module")
def infa(built_store):
    from citybrain.queries import typhoon as tq
    from citybrain.store import get_store

    with app_context(built_store):
        return tq.storm_path(get_store(), "JMA-2106")


def test_list(client):
    r = client.get("/api/v1/typhoons")
    assert r.status_code == 200
    items = {t["id"]: t for t in r.get_json()["typhoons"]}
    assert set(items) == {"JMA-1509", "JMA-1909", "CMA-1909", "JMA-2106", "CMA-2106", "CMA-2212"}
    t = items["JMA-2106"]
    assert (t["intl_no"], t["agency"], t["name_zh"], t["wind_radii"]) == ("2106", "JMA", "烟花", True)
    assert t["first_time"].endswith("+08:00") and t["first_time"] < t["last_time"]
    assert items["CMA-2212"]["wind_radii"] is False


def test_track_geojson(client):
    r = client.get("/api/v1/typhoons/JMA-2106/track.geojson?at=2021-07-25T17:00")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    body = r.get_json()
    fixes = [f for f in body["features"] if f["properties"]["kind"] == "fix"]
    circles = [f for f in body["features"] if f["properties"]["kind"] == "wind_circle"]
    assert all(f["geometry"]["type"] == "Point" for f in fixes)
    assert {"time", "grade", "wind_ms", "pressure_hpa"} <= set(fixes[0]["properties"])
    assert all(pd.Timestamp(f["properties"]["time"]).utcoffset() == pd.Timedelta(hours=8) for f in fixes)
    assert {c["properties"]["threshold_kt"] for c in circles} == {30, 50}
    assert all(c["geometry"]["type"] == "Polygon" for c in circles)
    # the 06 UTC fix: 50-kt circle of 80 nm round the centre (122.5E 30.0N)
    c50 = next(c for c in circles if c["properties"]["time"] == "2021-07-25T14:00:00+08:00"
               and c["properties"]["threshold_kt"] == 50)
    ring = np.array(c50["geometry"]["coordinates"][0])
    assert np.allclose(haversine_m(122.5, 30.0, ring[:, 0], ring[:, 1]) / 1000, 80 * 1.852, atol=0.05)
    assert any(c["properties"]["interpolated"] and c["properties"]["time"] == "2021-07-25T17:00:00+08:00" for c in circles)


def test_cma_track_has_no_circles(client):
    body = client.get("/api/v1/typhoons/CMA-2212/track.geojson").get_json()
    assert body["wind_radii"] is False and "no wind radii" in body["note"]
    assert not [f for f in body["features"] if f["properties"]["kind"] == "wind_circle"]


def _exposure(client, region="330900", at=AT, track="JMA-2106"):
    r = client.get(f"/api/v1/typhoons/{track}/exposure?region={region}&at={at}")
    assert r.status_code == 200
    return r.get_json()


def test_exposure_distances_are_great_circle(client, infa):
    body = _exposure(client)
    rows = body["rows"]
    assert {r["kind"] for r in rows} == {"town", "port", "shelter", "reservoir"}
    clon, clat, _ = infa.centre(np.array([AT], dtype="datetime64[us]"))
    for r in rows:
        d = haversine_m(clon[0], clat[0], r["lon"], r["lat"]) / 1000
        assert abs(r["distance_km"] - d) < 1.0
        # and by an independent formula (spherical law of cosines, R = 6371.0088 km), not the code's own
        p1, p2, dl = np.radians(clat[0]), np.radians(r["lat"]), np.radians(r["lon"] - clon[0])
        loc = 6371.0088 * np.arccos(np.clip(np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl), -1, 1))
        assert abs(r["distance_km"] - loc) < 1.0, (r["name_zh"], r["distance_km"], loc)


def test_exposure_inside_flags_follow_the_circle(client, infa):
    rows = _exposure(client)["rows"]
    t = np.array([AT], dtype="datetime64[us]")
    clon, clat, _ = infa.centre(t)
    for r in rows:
        b = bearing(clon[0], clat[0], r["lon"], r["lat"])
        for kt in (30, 50):
            radius = infa.radius_km(t, kt, np.array([[b]]))[0, 0]
            assert r[f"in_{kt}kt"] == bool(r["distance_km"] <= radius + 0.2) or abs(r["distance_km"] - radius) < 0.2


def test_closest_approach_is_the_minimum_over_the_track(client, infa):
    from citybrain.typhoon.exposure import samples

    rows = _exposure(client)["rows"]
    ts = samples(infa)
    slon, slat, _ = infa.centre(ts)
    for r in rows:
        d = haversine_m(slon, slat, r["lon"], r["lat"]) / 1000
        assert r["closest_km"] == pytest.approx(d.min(), abs=0.06)
        assert r["closest_km"] <= (haversine_m(infa.lon, infa.lat, r["lon"], r["lat"]) / 1000).min() + 0.06
        assert pd.Timestamp(r["closest_time"]).tz_localize(None) == pd.Timestamp(ts[int(np.argmin(d))])


def test_arrival_grows_with_distance_along_the_path(client, infa):
    """Places laid along In-Fa's path ahead of it (its later fixes, 100 km apart) are reached in order;
    the 30-kt circle first reaches a place no later than the centre's closest approach."""
    rows = _exposure(client)["rows"]
    for r in rows:
        if r["arrival_30kt"] is not None:
            assert r["arrival_30kt"] <= r["closest_time"]
    from citybrain.typhoon.exposure import exposure

    sel = (infa.ts >= np.datetime64("2021-07-22T00:00")) & (infa.ts <= np.datetime64("2021-07-26T20:00"))
    lon, lat = infa.lon[sel], infa.lat[sel]
    keep = [0]
    for i in range(1, len(lon)):
        if haversine_m(lon[keep[-1]], lat[keep[-1]], lon[i], lat[i]) > 100_000:
            keep.append(i)
    places = pd.DataFrame({"kind": "probe", "entity_id": [f"p{i:02d}" for i in range(len(keep))], "name_zh": "",
                           "name_en": "", "lon": lon[keep], "lat": lat[keep]})
    out = exposure(infa, places, pd.Timestamp(AT)).set_index("entity_id").loc[places["entity_id"]]
    arr = out["arrival_30kt"].to_numpy("datetime64[us]")
    assert len(arr) >= 4 and not np.isnat(arr).any()
    assert (np.diff(arr) >= np.timedelta64(0, "s")).all()
    assert arr[-1] > arr[0]


def test_exposure_sorted_by_arrival(client):
    rows = _exposure(client, region="330225")["rows"]
    arr = [r["arrival_30kt"] for r in rows if r["arrival_30kt"]]
    assert arr == sorted(arr) and len(arr) > 10


def test_cma_exposure_says_no_radii(client):
    body = _exposure(client, region="330225", at="2022-09-14T20:00", track="CMA-2212")
    assert body["wind_radii"] is False and body["note"]
    assert all(r["in_30kt"] is None and r["arrival_30kt"] is None for r in body["rows"])
    assert all(r["distance_km"] is not None for r in body["rows"])


@pytest.mark.parametrize("query, param", [
    ("region=999999", "region"), ("at=yesterday", "at"), ("at=2021-13-01", "at"), ("color=red", "color"),
    ("region=330225&region=330900", "region"),
])
def test_bad_parameters_are_400_naming_them(client, query, param):
    r = client.get(f"/api/v1/typhoons/JMA-2106/exposure?{query}")
    assert r.status_code == 400 and r.get_json()["parameter"] == param


def test_unknown_storm_is_404(client):
    r = client.get("/api/v1/typhoons/JMA-9999/track.geojson")
    assert r.status_code == 404 and r.get_json()["parameter"] == "id"
    assert client.get("/api/v1/typhoons/%3Cscript%3E/exposure").status_code == 404


def test_exposure_csv_is_the_same_rows(client):
    j = _exposure(client, region="330225")
    r = client.get(f"/api/v1/typhoons/JMA-2106/exposure.csv?region=330225&at={AT}")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [x["entity_id"] for x in rows] == [x["entity_id"] for x in j["rows"]]
    assert [x["arrival_30kt"] or None for x in rows] == [x["arrival_30kt"] for x in j["rows"]]


def test_openapi_documents_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/typhoons", "/api/v1/typhoons/{track_id}/track.geojson",
            "/api/v1/typhoons/{track_id}/exposure"} <= set(spec["paths"])
