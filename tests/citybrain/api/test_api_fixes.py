"""/api/v1 fixes: one charset, ordered time ranges, JSON without NaN, entity names beside ids, an
OpenAPI document that states the enforced limits and the security, hostile input answered 4xx."""

from __future__ import annotations

import ast
import csv
import io
import json
import re

import pyarrow.parquet as pq
import pytest

from citybrain.api.openapi import document
from citybrain.app_factory import create_app
from citybrain.settings import PROJECT_ROOT
from citybrain.store import get_store
from tests.conftest import make_settings

OBS = "/api/v1/observations{ext}?region=330225&from=2026-07-15T00:00&to=2026-07-15T03:00"


@pytest.fixture(scope="module")
def client(built_store):
    return create_app(built_store).server.test_client()


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def strict_json(text: str):
    """``json.loads`` that refuses NaN and Infinity (as every JSON parser but Python's does)."""
    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_one_charset_in_content_type(client, encoding):
    r = client.get(f"/api/v1/targets.csv?region=330225&encoding={encoding}")
    assert r.status_code == 200
    assert re.findall(r"charset=([^;\s]+)", r.headers["Content-Type"]) == [encoding]


@pytest.mark.parametrize("ext", ["", ".csv", ".parquet"])
@pytest.mark.parametrize("endpoint", ["observations", "events"])
def test_from_after_to_is_400_naming_both(client, endpoint, ext):
    for frm, to in (("2026-07-15T06:00", "2026-07-15T00:00"), ("2026-07-15", "2026-07-15")):
        r = client.get(f"/api/v1/{endpoint}{ext}?from={frm}&to={to}")
        assert r.status_code == 400, (frm, to, r.status_code)
        body = r.get_json()
        assert body["parameter"] == "from" and body["parameters"] == ["from", "to"]
        assert "from" in body["error"] and "to" in body["error"]


def test_csv_json_cells_are_valid_json(client):
    for endpoint in ("events", "entities"):
        r = client.get(f"/api/v1/{endpoint}.csv")
        rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"), newline="")))
        cells = [row["properties"] for row in rows if row["properties"]]
        assert cells
        for cell in cells:
            strict_json(cell)
        if endpoint == "events":  # the store holds NaN inside events' properties: served as null
            assert any('"shelter_id":null' in c for c in cells)


def test_json_pages_have_no_nan(client):
    total = client.get("/api/v1/events?page_size=1").get_json()["total"]
    pages = -(-total // 1000)
    for page in range(1, pages + 1):
        r = client.get(f"/api/v1/events?page_size=1000&page={page}")
        body = strict_json(r.data.decode())
        for row in body["rows"]:
            if row["properties"] is not None:
                strict_json(row["properties"])


def test_jsonify_writes_null_for_nan(client):
    with client.application.test_request_context():
        from flask import jsonify

        assert strict_json(jsonify(a=float("nan"), b=[float("inf")]).get_data(as_text=True)) == {"a": None, "b": [None]}


def app_store(client):
    """The store of the app behind ``client`` (its own context, never a process default)."""
    return client.application.extensions["citybrain"].store


def entity_names(store) -> dict[str, tuple[str, str]]:
    df = store.df("SELECT entity_id, name_zh, name_en FROM entities")
    return {e: (z, n) for e, z, n in df.itertuples(index=False)}


def check_entity_names(rows: list[dict], header: list[str] | None, store) -> None:
    """Names equal the entities table's; in a table (``header``) they follow ``entity_id``."""
    if header is not None:
        i = header.index("entity_id")
        assert header[i + 1: i + 3] == ["entity_name_zh", "entity_name_en"]
    names = entity_names(store)
    with_entity = [r for r in rows if r["entity_id"]]
    assert with_entity
    for r in with_entity:
        assert (r["entity_name_zh"], r["entity_name_en"]) == names[r["entity_id"]]


def test_observations_carry_entity_names(client):
    store = app_store(client)
    r = client.get(OBS.format(ext=".csv"))
    reader = csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"), newline=""))
    check_entity_names(list(reader), reader.fieldnames, store)
    table = pq.read_table(io.BytesIO(client.get(OBS.format(ext=".parquet")).data))
    check_entity_names(table.to_pylist(), table.column_names, store)
    page = client.get(OBS.format(ext="") + "&page_size=5000").get_json()
    check_entity_names(page["rows"], None, store)  # JSON objects: no column order


def test_download_name_keeps_the_version_and_nothing_internal(client):
    ids = "&".join(f"indicator={i}" for i in
                   app_store(client).df("SELECT indicator_id FROM indicators ORDER BY 1 LIMIT 20")["indicator_id"])
    r = client.get(f"/api/v1/observations.csv?{ids}&region=330225&from=2026-07-15T00:00&to=2026-07-15T01:00")
    name = r.headers["Content-Disposition"]
    assert f"_v{r.headers['X-Data-Version']}.csv" in name and "_unmask" not in name and "_datasets" not in name


def params_of(spec, path):
    return {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}


def test_openapi_declares_the_enforced_limits(spec):
    obs = params_of(spec, "/api/v1/observations")
    assert obs["entity"]["schema"]["maxLength"] == 80 and obs["entity"]["schema"]["pattern"]
    assert obs["indicator"]["schema"]["items"]["pattern"] and obs["indicator"]["schema"]["maxItems"] == 50
    assert "330225" in obs["region"]["schema"]["enum"]
    assert obs["page_size"]["schema"]["minimum"] == 1 and obs["page_size"]["schema"]["maximum"] >= 1
    assert obs["from"]["schema"]["pattern"] and obs["from"]["x-before"] == "to"
    assert spec["paths"]["/api/v1/observations"]["get"]["x-ordered-parameters"] == [["from", "to"]]
    assert params_of(spec, "/api/v1/observations.csv")["encoding"]["schema"]["enum"] == ["utf-8", "gbk"]


@pytest.mark.parametrize("name,value", [("entity", "a b"), ("entity", "x" * 81), ("from", "2026-07-15T08"),
                                        ("from", "20260715"), ("region", "33022"), ("indicator", "a;b")])
def test_values_outside_the_documented_schema_are_400(client, spec, name, value):
    schema = params_of(spec, "/api/v1/observations")[name]["schema"]
    schema = schema.get("items", schema)
    documented_ok = (len(value) <= schema.get("maxLength", 10**6)
                     and re.search(schema.get("pattern", ""), value) is not None
                     and value in schema.get("enum", [value]))
    assert not documented_ok
    r = client.get("/api/v1/observations", query_string={name: value})
    assert r.status_code == 400 and r.get_json()["parameter"] == name


def test_openapi_declares_401_403_and_security(spec, built_store, tmp_path):
    for path, item in spec["paths"].items():
        if path != "/api/v1/openapi.json":
            for op in item.values():  # every operation, writes included
                assert {"401", "403"} <= set(op["responses"]), path
    schemes = spec["components"]["securitySchemes"]
    assert {"in": "cookie", "name": "citybrain_session"}.items() <= schemes["session"].items()
    assert {"in": "header", "name": "X-Wall-Token"}.items() <= schemes["wallTokenHeader"].items()
    assert {"in": "query", "name": "token"}.items() <= schemes["wallTokenQuery"].items()
    assert "ssoHeader" not in schemes  # auth is off in the tests: no SSO header
    sso = document(make_settings(tmp_path, auth="header", trusted_proxies=["127.0.0.1"]))
    assert sso["components"]["securitySchemes"]["ssoHeader"]["name"] == "X-Remote-User"
    assert sso["paths"]["/api/v1/observations"]["get"]["security"]
    from openapi_spec_validator import validate

    validate(sso)


def test_no_import_circle_in_the_api_package():
    folder = PROJECT_ROOT / "citybrain" / "api"
    graph: dict[str, set[str]] = {}
    for f in folder.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module} if node.module else {a.name for a in node.names}
        graph[f.stem] = deps

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(d == goal or (d not in seen and reaches(d, goal, seen | {d})) for d in graph.get(start, ()))

    assert [m for m in graph if reaches(m, m, set())] == []


HOSTILE = ["from=0001-01-01T00:00:00%2B14:00", "to=9999-12-31T23:59:59-14:00", "from=2026-07-15T00:00:00.1234567",
           "from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-07-15", "entity=%ED%A0%80", "indicator=" + "a" * 300,
           "x" * 3000 + "=1", "page=99999999999999", "region=330225%00"]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_is_4xx_json_naming_the_parameter(client, query):
    for path in ("/api/v1/observations", "/api/v1/observations.csv", "/api/v1/layers/water.geojson"):
        r = client.get(f"{path}?{query}")
        assert 400 <= r.status_code < 500, (path, query, r.status_code)
        body = r.get_json()
        assert body["parameter"] and len(body["parameter"]) <= 80
        assert body["parameter"] in query and "Traceback" not in r.get_data(as_text=True)


def test_unknown_typhoon_track_is_404_naming_it(client, built_store):
    from citybrain.queries import geo

    r = client.get("/api/v1/layers/emergency.geojson?track=NOPE-1")
    assert r.status_code == 404 and r.get_json()["parameter"] == "track"
    known = geo.typhoons(get_store(built_store.db), built_store.region)["track_id"]
    assert len(known)
    assert client.get(f"/api/v1/layers/emergency.geojson?track={known[0]}").status_code == 200
