"""/api/v1 against a real store: OpenAPI matches the routes, CSV is stable, hostile input is 4xx."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openapi_spec_validator import validate

from citybrain.app_factory import create_app


@pytest.fixture(scope="module")
def client(built_store):
    app = create_app(built_store)
    return app.server.test_client()


@pytest.fixture(scope="module")
def spec(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def test_openapi_document_is_valid(spec):
    validate(spec)


def test_every_documented_route_answers_as_documented(client, spec):
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or "{" in path:  # writes and per-item routes have their own tests (tests/citybrain/ops)
            continue
        required = [p for p in op.get("parameters", []) if p.get("required")]
        url = path
        if required:
            url += "?" + "&".join(f"{p['name']}={p['schema'].get('default') or p['schema'].get('enum', ['x'])[0]}"
                                  for p in required)
        r = client.get(url)
        assert r.status_code == 200, (path, r.status_code, r.data[:200])
        media = list(op["responses"]["200"]["content"])[0]
        assert r.mimetype == media, (path, r.mimetype, media)


def test_every_api_route_is_documented(client, spec):
    app = client.application
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        r = rule.rule
        if not r.startswith("/api/v1") or "<" in r:
            continue
        assert r in documented, f"route {r} missing from openapi.json"


def test_json_pages(client):
    a = client.get("/api/v1/targets?region=330225&page_size=3").get_json()
    b = client.get("/api/v1/targets?region=330225&page_size=3&page=2").get_json()
    assert a["total"] == b["total"] >= 5 and a["next_page"] == 2
    assert len(a["rows"]) == 3 and a["rows"] != b["rows"]
    assert all(r["region_code"] == "330225" for r in a["rows"])


def test_csv_bytes_are_stable_and_excel_friendly(client):
    url = "/api/v1/observations.csv?region=330225&from=2026-07-15T00:00&to=2026-07-15T06:00"
    a, b = client.get(url), client.get(url)
    assert a.status_code == 200 and a.data == b.data
    assert a.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in a.headers["Content-Disposition"] and "region-330225" in a.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(a.data.decode("utf-8-sig"), newline="")))
    header = rows[0]
    assert {"indicator_id", "indicator_name", "ts", "value", "unit", "simulated"} <= set(header)
    assert len(rows) > 10
    ts = [r[header.index("ts")] for r in rows[1:]]
    assert ts == sorted(ts) and all("2026-07-15 00:00:00" <= t < "2026-07-15 06:00:00" for t in ts)
    assert any("\u4e00" <= ch <= "\u9fff" for r in rows[1:6] for ch in r[header.index("indicator_name")])


def test_gbk_option(client):
    r = client.get("/api/v1/targets.csv?region=330225&encoding=gbk")
    assert r.status_code == 200 and "charset=gbk" in r.content_type
    assert not r.data.startswith(b"\xef\xbb\xbf")
    r.data.decode("gbk")


HOSTILE = [
    "region=330225'%20OR%201=1--",
    "region=330225&region=330900",
    "indicator=x';DROP%20TABLE%20observations;--",
    "page=99999999999999999999999",
    "page_size=0",
    "page_size=100000000",
    "from=2026-02-30",
    "from=yesterday",
    "to=9999-01-01",
    "kind=%F0%9F%92%A3",
    "entity=" + "A" * 500,
    "region=%00",
    "unknown=1",
    "encoding=latin-1",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_parameters_are_4xx_json(client, query):
    path = "/api/v1/observations.csv" if "encoding" in query else "/api/v1/observations"
    if query.startswith("kind"):
        path = "/api/v1/events"
    r = client.get(f"{path}?{query}")
    assert 400 <= r.status_code < 500, (query, r.status_code)
    body = r.get_json()
    assert body["error"] and "Traceback" not in r.get_data(as_text=True)
    if r.status_code == 400:
        assert body["parameter"] and body["expected"]


def test_unknown_things_are_404_json(client):
    assert client.get("/api/v1/observations?indicator=no_such_indicator").status_code == 404
    assert client.get("/api/v1/nothing").get_json()["error"] == "unknown endpoint"
    assert client.get("/api/v1/targets.xlsx").status_code == 404
    assert client.get("/api/v1/some/deep/path").get_json()["error"] == "not found"


def test_exports_are_audited(client, built_store):
    client.get("/api/v1/targets.csv?region=341623").get_data()
    lines = (built_store.db.parent / "audit.log").read_text(encoding="utf-8").strip().splitlines()
    last = json.loads(lines[-1])
    assert last["event"] == "export" and last["what"] == "targets" and last["filters"]["region"] == "341623"
    assert last["rows"] > 0 and last["bytes"] > 0 and last["outcome"] == "complete"


def test_windowed_export_equals_one_sorted_query(client, built_store):
    from citybrain.api.endpoints import ENDPOINTS
    from citybrain.export import stream_csv, stream_csv_parts
    from citybrain.store import Store

    store = Store(built_store.db)
    ep = ENDPOINTS["observations"]
    values = {"indicator": [], "region": "330225", "entity": None, "from": None, "to": None}
    parts = list(ep.parts(store, values, target_rows=20_000))
    assert len(parts) > 5  # really split into windows
    whole = b"".join(stream_csv(store, *ep.query(values)))
    windowed = b"".join(stream_csv_parts(store, parts))
    assert windowed == whole
