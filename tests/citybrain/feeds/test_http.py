"""HTTP push: every kind as CSV and NDJSON, feed tokens (401/403), 413, 400, 415, duplicates, and live visibility."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import pytest

from citybrain import devserver
from citybrain.app_factory import create_app
from citybrain.feeds import tokens
from citybrain.ops.db import make_engine
from tests.citybrain.feeds.conftest import EXPECTED, GOOD, at, effect, obs_csv, stored

CSV, NDJSON = "text/csv", "application/x-ndjson"


def to_ndjson(csv_text: str) -> str:
    import csv

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    return "".join(json.dumps({k: (v if v != "" else None) for k, v in r.items()}, ensure_ascii=False) + "\n"
                   for r in rows)


def to_csv(ndjson_text: str, fields: list[str]) -> str:
    import csv

    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for line in ndjson_text.splitlines():
        w.writerow(json.loads(line))
    return out.getvalue()


def body_as(kind: str, media: str) -> tuple[str, bytes]:
    dataset, body, fmt = GOOD[kind]
    if media == NDJSON and fmt == "csv":
        body = to_ndjson(body)
    elif media == CSV and fmt == "ndjson":
        body = to_csv(body, ["event_id", "ts", "status", "kind", "region_code", "title_zh", "severity", "lon", "lat",
                             "reporter_name"])
    return dataset, body.encode("utf-8")


@pytest.fixture
def client(store):
    app = create_app(store.model_copy(update={"feed_max_bytes": 4096}))
    c = app.server.test_client()
    engine = make_engine(store)
    c.tokens = {d: tokens.add(engine, f"feed-{d}", d) for d in ("water", "fisheries", "emergency")}
    return c


def push(client, dataset: str, body: bytes, kind: str = "observations", media: str = CSV, token: str | None = "",
         **headers):
    h = {"Content-Type": media, **headers}
    tok = client.tokens.get(dataset) if token == "" else token
    if tok is not None:
        h["Authorization"] = f"Bearer {tok}"
    return client.post(f"/api/v1/ingest/{dataset}?kind={kind}", data=body, headers=h)


@pytest.mark.parametrize("media", [CSV, NDJSON])
@pytest.mark.parametrize("kind", list(GOOD))
def test_every_kind_pushed_as_csv_and_ndjson(client, store, kind, media):
    dataset, body = body_as(kind, media)
    r = push(client, dataset, body, kind, media)
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert set(got) >= {"batch_id", "rows", "data_version"}
    assert got["rows"] == (3 if kind == "events" else 2)
    assert got["data_version"] == stored(store, "SELECT value FROM meta WHERE key = 'data_version'")[0][0]
    assert effect(store, kind) == EXPECTED[kind]


def test_the_same_body_or_idempotency_key_adds_nothing(client, store):
    first = push(client, "water", obs_csv().encode()).get_json()
    again = push(client, "water", obs_csv().encode())
    assert again.status_code == 200 and again.get_json()["duplicate"] is True and again.get_json()["rows"] == 0
    assert again.get_json()["data_version"] == first["data_version"]
    k1 = push(client, "water", obs_csv(10).encode(), **{"Idempotency-Key": "batch-0042"}).get_json()
    k2 = push(client, "water", obs_csv(15).encode(), **{"Idempotency-Key": "batch-0042"}).get_json()
    assert (k1["rows"], k2["rows"], k2["duplicate"], k2["batch_id"]) == (2, 0, True, k1["batch_id"])
    assert stored(store, "SELECT count(*) FROM observations WHERE ts = ?", [at(15)]) == [(0,)]


def test_tokens_401_and_403(client, store):
    body = obs_csv().encode()
    assert push(client, "water", body, token=None).status_code == 401
    r = push(client, "water", body, token="cbf_not-a-token")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = push(client, "water", body, token=client.tokens["fisheries"])
    assert r.status_code == 403 and "may push dataset fisheries only" in r.get_json()["error"]
    tokens.remove(make_engine(store), "feed-water")
    assert push(client, "water", body).status_code == 401, "a removed token no longer works"
    assert stored(store, "SELECT count(*) FROM observations WHERE ts = ?", [at(5)]) == [(0,)]


def test_413_past_the_limit_with_or_without_a_length(client, store):
    big = (obs_csv() + "".join(f"water_level,330225,WS-330225-01,{at(100 + i)},1,good\n" for i in range(200))).encode()
    r = push(client, "water", big)
    assert r.status_code == 413 and "limit of 4,096 bytes" in r.get_json()["error"]
    r = client.post("/api/v1/ingest/water?kind=observations", input_stream=io.BytesIO(big),
                    headers={"Content-Type": CSV, "Authorization": f"Bearer {client.tokens['water']}"},
                    environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413, r.get_json()
    assert not list((store.db.parent / "ingested").rglob("*.*"))


def test_400_names_row_and_field_and_other_refusals(client, store):
    bad = obs_csv().replace("31.5", "3l.5").encode()
    r = push(client, "water", bad)
    assert r.status_code == 400
    got = r.get_json()
    assert (got["row"], got["field"]) == (2, "value") and "is not a number" in got["error"]
    r = push(client, "water", to_ndjson(obs_csv().replace(at(5), "1800-01-01T00:00:00")).encode(), media=NDJSON)
    assert r.status_code == 400 and r.get_json()["row"] == 1 and "before 2000" in r.get_json()["error"]
    assert push(client, "water", obs_csv().encode(), kind="rows").status_code == 400
    assert push(client, "water", obs_csv().encode(), media="application/json").status_code == 415
    assert push(client, "water", b"\xff\xfe\x00garbage\n").status_code == 400


def test_a_pushed_batch_is_on_the_api_of_a_running_server_within_10_s(store):
    port = devserver.free_port()
    proc = devserver.start(port, {"CITYBRAIN_DB": str(store.db), "CITYBRAIN_CACHE": "filesystem",
                                  "CITYBRAIN_CACHE_DIR": str(store.cache_dir)}, workers=2)
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/observations?indicator=water_level&entity=WS-330225-01&from={at(1)}"
        with urllib.request.urlopen(url, timeout=30) as r:
            assert json.load(r)["rows"] == [], "warm the cache with the answer before the push"
        token = tokens.add(make_engine(store), "buoys", "water")
        req = urllib.request.Request(f"{base}/api/v1/ingest/water?kind=observations", data=obs_csv().encode(),
                                     method="POST", headers={"Content-Type": CSV, "Authorization": f"Bearer {token}"})
        t0 = time.monotonic()
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
        rows = []
        while time.monotonic() - t0 < 10 and not rows:
            with urllib.request.urlopen(url, timeout=30) as r:
                rows = json.load(r)["rows"]
            time.sleep(0.2)
        assert [(x["ts"], x["value"]) for x in rows] == [(at(5).replace("T", " "), 31.5)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
