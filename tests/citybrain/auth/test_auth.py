"""Auth modes, roles, masking in every API format, denied exports, SSO header trust, wall tokens."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from citybrain.app_factory import create_app
from citybrain.auth.users import UserStore, verify_password
from citybrain.store.tables import MASK

HTTPS = "https://localhost"
PASSWORD = "correct horse battery"


def _app(settings, **kw):
    s = settings.model_copy(update=kw)
    return create_app(s), s


@pytest.fixture(scope="module")
def secret_names(built_store):
    from citybrain.store import Store

    df = Store(built_store.db).df("SELECT table_name, row_key, field, value FROM restricted_values")
    return df


@pytest.fixture(scope="module")
def local(built_store, tmp_path_factory):
    users = tmp_path_factory.mktemp("users") / "users.json"
    app, s = _app(built_store, auth="local", users_file=users, secret_key="k" * 32)
    store = UserStore(users)
    for name, role in (("li_leader", "leader"), ("wang_analyst", "analyst"), ("zhao_admin", "admin")):
        store.add(name, role, PASSWORD, list(s.role_clearance))
    return app.server


def _login(server, name):
    c = server.test_client()
    r = c.post("/login", base_url=HTTPS, data={"user": name, "password": PASSWORD, "next": "/catalog"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/catalog"), r.status_code
    return c


def test_local_refuses_anonymous(local):
    c = local.test_client()
    r = c.get("/api/v1/targets", base_url=HTTPS)
    assert r.status_code == 401 and r.get_json()["error"] == "authentication required"
    r = c.get("/catalog?region=330225", base_url=HTTPS)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=/catalog")
    assert c.get("/_dash-layout", base_url=HTTPS).status_code == 401
    assert c.get("/healthz", base_url=HTTPS).status_code == 200
    assert c.get("/login", base_url=HTTPS).status_code == 200


def test_wrong_password_and_open_redirect(local):
    c = local.test_client()
    r = c.post("/login", base_url=HTTPS, data={"user": "li_leader", "password": "nope"})
    assert r.status_code == 401 and "citybrain_session" not in r.headers.get("Set-Cookie", "")
    r = c.post("/login", base_url=HTTPS, data={"user": "li_leader", "password": PASSWORD, "next": "//evil.example/x"})
    assert r.headers["Location"] == "/"


def test_session_cookie_is_secure_httponly_samesite(local):
    c = local.test_client()
    r = c.post("/login", base_url=HTTPS, data={"user": "li_leader", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "citybrain_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_leader_reads_but_may_not_export(local, built_store):
    c = _login(local, "li_leader")
    assert c.get("/api/v1/targets?region=330225", base_url=HTTPS).status_code == 200
    assert c.get("/catalog", base_url=HTTPS).status_code == 200
    r = c.get("/api/v1/targets.csv?region=330225", base_url=HTTPS)
    assert r.status_code == 403 and "may not export" in r.get_json()["error"]
    lines = (built_store.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()
    denial = json.loads(lines[-1])
    assert denial["event"] == "denied" and denial["user"] == "li_leader" and "/targets.csv" in denial["path"]


def _csv(resp):
    return list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"), newline="")))


def test_analyst_exports_with_restricted_fields_masked(local, secret_names):
    c = _login(local, "wang_analyst")
    ev = _csv(c.get("/api/v1/events.csv?region=330225", base_url=HTTPS))
    assert ev and {r["reporter_name"] for r in ev} <= {MASK, ""}
    ent = c.get("/api/v1/entities?region=330225&kind=vessel&page_size=50", base_url=HTTPS).get_json()["rows"]
    assert ent and all(json.loads(r["properties"])["owner_name"] == MASK for r in ent)
    pq_bytes = c.get("/api/v1/entities.parquet?region=330225&kind=vessel", base_url=HTTPS).data
    props = pq.read_table(io.BytesIO(pq_bytes)).column("properties").to_pylist()
    assert all(json.loads(p)["owner_name"] == MASK for p in props)
    owners = set(secret_names.loc[secret_names.field == "owner_name", "value"])
    assert not any(o in pq_bytes.decode("latin-1") for o in list(owners)[:50])


def test_admin_sees_restricted_fields(local, secret_names):
    c = _login(local, "zhao_admin")
    ev = _csv(c.get("/api/v1/events.csv?region=330225", base_url=HTTPS))
    real = dict(zip(secret_names.row_key, secret_names.value))
    shown = [r for r in ev if r["event_id"] in real]
    assert shown and all(r["reporter_name"] == real[r["event_id"]] for r in shown)
    ent = c.get("/api/v1/entities?region=330225&kind=vessel&page_size=20", base_url=HTTPS).get_json()["rows"]
    assert all(json.loads(r["properties"])["owner_name"] == real[r["entity_id"]] for r in ent)


def test_header_mode_trusts_only_configured_proxies(built_store):
    app, _ = _app(built_store, auth="header", trusted_proxies=["127.0.0.1"], secret_key="k" * 32,
                  sso_role_map={"group:data-team": "analyst"})
    c = app.server.test_client()
    hdr = {"X-Remote-User": "gateway-user", "X-Remote-Groups": "staff, data-team"}
    ok = c.get("/api/v1/targets.csv?region=330225", headers=hdr, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ok.status_code == 200
    spoof = c.get("/api/v1/targets.csv?region=330225", headers=hdr, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert spoof.status_code == 401
    page = c.get("/catalog", headers=hdr, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert page.status_code == 302


def test_wall_token_shows_the_wall_only(built_store):
    app, _ = _app(built_store, auth="local", wall_tokens=["wall-token-0123456789"], secret_key="k" * 32)
    c = app.server.test_client()
    assert c.get("/wall?token=wrong", base_url=HTTPS).status_code == 302
    assert c.get("/wall?token=wall-token-0123456789", base_url=HTTPS).status_code == 200
    assert c.get("/catalog", base_url=HTTPS).status_code == 403  # the wall session may not browse
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 403
    r = c.get("/api/v1/observations.csv", headers={"X-Wall-Token": "wall-token-0123456789"}, base_url=HTTPS)
    assert r.status_code == 403  # no export from a wall


def test_off_mode_is_open_with_masking(built_store):
    app, _ = _app(built_store)
    c = app.server.test_client()
    r = c.get("/api/v1/events.csv?region=330225")
    assert r.status_code == 200 and {row["reporter_name"] for row in _csv(r)} <= {MASK, ""}


def test_security_headers(built_store):
    app, _ = _app(built_store)
    r = app.server.test_client().get("/catalog")
    h = r.headers
    assert h["X-Frame-Options"] == "SAMEORIGIN" and h["X-Content-Type-Options"] == "nosniff"
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_users_cli(tmp_path):
    import subprocess
    import sys

    env = {"CITYBRAIN_USERS_FILE": str(tmp_path / "u.json"), "CITYBRAIN_DB": str(tmp_path / "s.duckdb"), "PATH": ""}
    run = lambda *a, **kw: subprocess.run([sys.executable, "-m", "citybrain.cli", "users", *a], env=env,  # noqa: E731
                                          capture_output=True, text=True, **kw)
    assert run("add", "chen", "--role", "analyst", "--password-stdin", input=PASSWORD + "\n").returncode == 0
    assert run("add", "x", "--role", "pope", "--password-stdin", input=PASSWORD + "\n").returncode != 0
    assert "chen\tanalyst" in run("list").stdout
    stored = json.loads((tmp_path / "u.json").read_text())["chen"]["password"]
    assert stored.startswith("scrypt$") and PASSWORD not in stored and verify_password(PASSWORD, stored)
    assert run("remove", "chen").returncode == 0 and run("list").stdout == ""


def test_restricted_values_never_reach_pages_or_geojson(built_store, secret_names):
    """Pages (every module's layout) and every layer's GeoJSON show the mask, never the values."""
    import plotly

    from citybrain.registry import all_modules

    app, _ = _app(built_store)
    c = app.server.test_client()
    from citybrain.store import Store

    # Fake names can coincide with public words (a reporter "沈海" vs the 沈海高速 highway):
    # check only values that occur nowhere in the public text of the store.
    st = Store(built_store.db)
    public = " ".join(st.df("SELECT manifest FROM datasets")["manifest"]) + " ".join(
        st.df("SELECT name_zh FROM entities UNION ALL SELECT title_zh FROM events")["name_zh"].dropna())
    values = [v for v in set(secret_names["value"]) if len(v) >= 2 and v not in public]
    assert len(values) > 1000
    layers = c.get("/api/v1/layers").get_json()
    layer_ids = [item["id"] for item in layers["layers"]]
    assert layer_ids, layers
    for lid in layer_ids:
        r = c.get(f"/api/v1/layers/{lid}.geojson?region=330225")
        assert r.status_code == 200, lid
        text = r.get_data(as_text=True)
        assert not any(v in text for v in values), f"restricted value in layer {lid}"
    with app.server.test_request_context("/"):
        for m in all_modules():
            if m.id in ("wall",):
                continue
            tree = json.dumps(m.layout(region="330225", lang="zh"), cls=plotly.utils.PlotlyJSONEncoder,
                              ensure_ascii=False)
            assert not any(v in tree for v in values), f"restricted value on page {m.id}"
