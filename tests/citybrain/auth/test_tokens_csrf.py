"""Bearer tokens (``citybrain users token``) and CSRF protection of browser writes, through the CLI and
HTTP against a real app, with the operational database on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from citybrain.app_factory import create_app
from tests.citybrain.auth.conftest import HTTPS, PASSWORD, login, send_csrf
from tests.citybrain.auth.test_issue12_defects import router_body
from tests.citybrain.ops.conftest import BACKENDS, new_database, pg_cluster  # noqa: F401 (the fixture)

ORDER = {"title": "路灯不亮 · 石浦镇", "category": "normal", "region": "330225"}


def cli(env: dict[str, str], *args: str, stdin: str | None = None):
    from citybrain.cli import main
    from citybrain.settings import get_settings

    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(main, list(args), env=env, input=stdin)
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, built_store, tmp_path_factory):
    """An app in local auth whose users (duty, two handlers) were added with the CLI."""
    tmp = tmp_path_factory.mktemp("tokens")
    url = new_database(request.param, request, tmp_path_factory)
    env = {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_USERS_FILE": str(tmp / "users.json"),
           "CITYBRAIN_OPS_DB": url}
    for name, role, dept in (("zhang", "duty", None), ("chen", "handler", "城管局"), ("zhou", "handler", "水利局")):
        cli(env, "users", "add", name, "--role", role, *(["--department", dept] if dept else []),
            "--password-stdin", stdin=PASSWORD + "\n")
    s = built_store.model_copy(update={"auth": "local", "users_file": tmp / "users.json", "secret_key": "k" * 32,
                                       "ops_db": url})
    return create_app(s).server, env


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_token(env, name: str) -> str:
    out = cli(env, "users", "token", name).strip().splitlines()
    assert out[-1].startswith("cbt_") and len(out[-1]) > 40 and out[-1] not in out[0]
    return out[-1]


def test_token_writes_then_revoked_gets_401(site):
    server, env = site
    tok = new_token(env, "zhang")
    c = server.test_client()
    r = c.post("/api/v1/workorders", json=ORDER, headers=bearer(tok), base_url=HTTPS)
    assert r.status_code == 201, r.get_json()
    oid = r.get_json()["id"]
    assert c.get(f"/api/v1/workorders/{oid}", headers=bearer(tok), base_url=HTTPS).get_json()["history"][0]["user"] \
        == "zhang"
    listed = cli(env, "users", "token", "zhang", "--list")
    assert "live" in listed and tok not in listed
    assert "1 token(s) of zhang revoked" in cli(env, "users", "token", "zhang", "--revoke")
    r = c.post("/api/v1/workorders", json=ORDER, headers=bearer(tok), base_url=HTTPS)
    assert r.status_code == 401 and r.get_json()["error"] == "authentication required"
    assert c.get("/api/v1/workorders", headers=bearer(tok), base_url=HTTPS).status_code == 401


def test_revoke_one_token_by_label_and_wrong_tokens(site):
    server, env = site
    first, second = new_token(env, "zhang"), new_token(env, "zhang")
    label = cli(env, "users", "token", "zhang", "--list").strip().splitlines()[-2].split("\t")[0]
    assert "revoked" in cli(env, "users", "revoke-token", label)
    c = server.test_client()
    assert c.get("/api/v1/workorders", headers=bearer(first), base_url=HTTPS).status_code == 401
    assert c.get("/api/v1/workorders", headers=bearer(second), base_url=HTTPS).status_code == 200
    for bad in ("cbt_" + "x" * 43, "", "x" * 5000, second + "x"):
        r = c.get("/api/v1/workorders", headers={"Authorization": f"Bearer {bad}"}, base_url=HTTPS)
        assert r.status_code == 401, bad[:20]


def test_handler_token_gets_403_for_another_departments_order(site):
    server, env = site
    duty, chen, zhou = new_token(env, "zhang"), new_token(env, "chen"), new_token(env, "zhou")
    c = server.test_client()
    oid = c.post("/api/v1/workorders", json=ORDER, headers=bearer(duty), base_url=HTTPS).get_json()["id"]
    for to, v, extra in (("registered", 1, {}), ("dispatched", 2, {"department": "城管局"})):
        r = c.post(f"/api/v1/workorders/{oid}/transition", json={"to": to, "version": v, **extra},
                   headers=bearer(duty), base_url=HTTPS)
        assert r.status_code == 200, r.get_json()
    r = c.post(f"/api/v1/workorders/{oid}/transition", json={"to": "handled", "version": 3}, headers=bearer(zhou),
               base_url=HTTPS)
    assert r.status_code == 403 and "department" in r.get_json()["error"]
    assert c.post(f"/api/v1/workorders", json=ORDER, headers=bearer(chen), base_url=HTTPS).status_code == 403
    r = c.post(f"/api/v1/workorders/{oid}/transition", json={"to": "handled", "version": 3}, headers=bearer(chen),
               base_url=HTTPS)
    assert r.status_code == 200 and r.get_json()["version"] == 4


def test_removing_a_user_or_changing_its_role_ends_its_tokens(site):
    server, env = site
    cli(env, "users", "add", "tmp_user", "--role", "duty", "--password-stdin", stdin=PASSWORD + "\n")
    c = server.test_client()
    tok = new_token(env, "tmp_user")
    assert c.get("/api/v1/workorders", headers=bearer(tok), base_url=HTTPS).status_code == 200
    out = cli(env, "users", "add", "tmp_user", "--role", "leader", "--password-stdin", stdin=PASSWORD + "\n")
    assert "1 token(s) revoked" in out
    assert c.get("/api/v1/workorders", headers=bearer(tok), base_url=HTTPS).status_code == 401
    tok = new_token(env, "tmp_user")
    assert c.get("/api/v1/workorders", headers=bearer(tok), base_url=HTTPS).status_code == 200
    assert "1 token(s) revoked" in cli(env, "users", "remove", "tmp_user")
    assert c.get("/api/v1/workorders", headers=bearer(tok), base_url=HTTPS).status_code == 401


def test_token_for_unknown_user_is_refused(site):
    from citybrain.cli import main

    _server, env = site
    r = CliRunner().invoke(main, ["users", "token", "nobody"], env=env)
    assert r.exit_code != 0 and "no user nobody" in r.output


# --- CSRF ------------------------------------------------------------------------------------------

def test_session_write_needs_the_csrf_token(site):
    server, env = site
    c = login(server, "zhang", csrf=False)
    token = c.get_cookie("citybrain_csrf").value  # the sign-in gave the page its token
    cookie = c.get_cookie("citybrain_csrf")
    assert not cookie.http_only and cookie.secure and cookie.same_site == "Strict"
    r = c.post("/api/v1/workorders", json=ORDER, base_url=HTTPS)
    assert r.status_code == 403
    body = r.get_json()
    assert "CSRF" in body["error"] and body["parameter"] == "X-CSRFToken"
    r = c.post("/api/v1/workorders", json=ORDER, headers={"X-CSRFToken": "wrong" + token}, base_url=HTTPS)
    assert r.status_code == 403
    r = c.post("/api/v1/workorders", json=ORDER, headers={"X-CSRFToken": token}, base_url=HTTPS)
    assert r.status_code == 201
    oid = r.get_json()["id"]
    r = c.post(f"/api/v1/workorders/{oid}/transition", json={"to": "registered", "version": 1}, base_url=HTTPS)
    assert r.status_code == 403
    r = c.post(f"/api/v1/workorders/{oid}/transition", json={"to": "registered", "version": 1},
               headers={"X-CSRFToken": token}, base_url=HTTPS)
    assert r.status_code == 200
    assert c.get("/api/v1/workorders", base_url=HTTPS).status_code == 200  # reads need no token


def test_another_sessions_token_is_refused(site):
    server, _env = site
    a, b = login(server, "zhang", csrf=False), login(server, "zhang", csrf=False)
    token_b = b.get_cookie("citybrain_csrf").value
    assert token_b != a.get_cookie("citybrain_csrf").value
    r = a.post("/api/v1/workorders", json=ORDER, headers={"X-CSRFToken": token_b}, base_url=HTTPS)
    assert r.status_code == 403


def test_alarm_writes_need_the_token(site):
    server, _env = site
    c = login(server, "zhang", csrf=False)
    aid = c.get("/api/v1/alarms?region=330225", base_url=HTTPS).get_json()["rows"][0]["id"]
    assert c.post(f"/api/v1/alarms/{aid}/ack", json={"note": "x"}, base_url=HTTPS).status_code == 403
    token = send_csrf(c)
    assert token
    r = c.post(f"/api/v1/alarms/{aid}/ack", json={"note": "已通知"}, base_url=HTTPS)
    assert r.status_code == 200 and r.get_json()["state"] == "acknowledged"


def test_dash_callbacks_by_session_need_the_token(site):
    server, _env = site
    c = login(server, "zhang", csrf=False)
    r = c.post("/_dash-update-component", json=router_body("/alarms"), base_url=HTTPS)
    assert r.status_code == 403 and "CSRF" in r.get_json()["error"]
    send_csrf(c)
    assert c.post("/_dash-update-component", json=router_body("/alarms"), base_url=HTTPS).status_code == 200


def test_bearer_write_needs_no_csrf_token_and_keeps_origin_check(site):
    server, env = site
    tok = new_token(env, "zhang")
    c = server.test_client()
    assert c.post("/api/v1/workorders", json=ORDER, headers=bearer(tok), base_url=HTTPS).status_code == 201
    r = c.post("/api/v1/workorders", json=ORDER, headers={**bearer(tok), "Origin": "https://evil.example"},
               base_url=HTTPS)
    assert r.status_code == 403 and "cross-site" in r.get_json()["error"]


def test_cookie_is_renewed_on_a_page_and_dropped_at_logout(site):
    server, _env = site
    c = login(server, "zhang", csrf=False)
    token = c.get_cookie("citybrain_csrf").value
    c.delete_cookie("citybrain_csrf")
    c.get("/api/v1/workorders", base_url=HTTPS)
    assert c.get_cookie("citybrain_csrf").value == token
    r = c.post("/logout", data={"csrf": token}, base_url=HTTPS)
    assert r.status_code == 302 and c.get_cookie("citybrain_csrf") is None
