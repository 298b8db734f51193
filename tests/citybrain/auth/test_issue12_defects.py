"""Issue 12, each defect as a caller meets it over HTTP (these tests failed on ea4fcae).

Only the public surface is used (create_app, settings, HTTP), so the same file runs against the
old code: the settings it passes that the old code does not know are ignored there.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request

import pytest

from tests.citybrain.auth.conftest import HTTPS, PASSWORD, USERS, WALL_TOKEN, client_for, login, make_app

PAGES_KEY = ".._pages_content.children..._pages_store.data.."


def router_body(path: str) -> dict:
    """The body the Dash renderer sends to render ``path`` (Dash Pages' router callback)."""
    return {"output": PAGES_KEY,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "state": [], "changedPropIds": ["_pages_location.pathname"]}


def _audit(settings) -> list[dict]:
    return [json.loads(x) for x in (settings.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()]


# 1. a wall token runs only the wall's callbacks
def test_wall_token_renders_only_the_wall(roles_app):
    app, _ = roles_app
    c, hdr = client_for(app.server, "wall")
    c.get("/healthz", base_url=HTTPS)  # Dash sets up its page router on the first request
    r = c.post("/_dash-update-component", json=router_body("/d/emergency"), headers=hdr, base_url=HTTPS)
    assert r.status_code == 403, r.status_code
    assert c.post("/_dash-update-component", json=router_body("/wall"), headers=hdr, base_url=HTTPS).status_code == 200
    key = next(k for k in app.callback_map if k.startswith("..map-graph.figure"))
    r = c.post("/_dash-update-component", headers=hdr, base_url=HTTPS, json={
        "output": key, "outputs": [], "changedPropIds": ["map-layers.value"], "state": [],
        "inputs": [{"id": "map-layers", "property": "value", "value": ["traffic"]}]})
    assert r.status_code == 403
    leader, _ = client_for(app.server, "leader")
    assert leader.post("/_dash-update-component", json=router_body("/d/emergency"),
                       base_url=HTTPS).status_code == 200


# 2. header SSO: no proxy trusted by default, the role never from the caller's header
def test_header_sso_safe_by_default(built_store):
    from citybrain.app_factory import create_app
    from citybrain.settings import Settings

    assert Settings(db=built_store.db).trusted_proxies == []
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        create_app(built_store.model_copy(update={"auth": "header", "trusted_proxies": []}))
    app = create_app(built_store.model_copy(update={"auth": "header", "trusted_proxies": ["127.0.0.1"]}))
    c = app.server.test_client()
    hdr = {"X-Remote-User": "m", "X-Remote-Role": "admin"}
    r = c.get("/api/v1/entities.csv?region=330225&kind=vessel", headers=hdr, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert r.status_code == 403  # a user the role map does not name has no role at all


# 3. sessions end at logout, on removal and on wall-token removal
def test_sessions_are_revocable(built_store, tmp_path_factory):
    from citybrain.app_factory import create_app
    from citybrain.auth.users import UserStore

    app, s = make_app(built_store, tmp_path_factory)
    c = login(app.server, USERS["leader"])
    cookie = c.get_cookie("citybrain_session", domain="localhost").value
    assert USERS["leader"] not in cookie and "." not in cookie  # an id, not a signed payload
    UserStore(s.users_file).remove(USERS["leader"])
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    # logout ends the session server-side: the old cookie, replayed, no longer works
    c2 = login(app.server, USERS["analyst"])
    old = c2.get_cookie("citybrain_session", domain="localhost").value
    page = c2.get("/logout", base_url=HTTPS).get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0] if 'name="csrf"' in page else ""
    c2.post("/logout", data={"csrf": csrf}, base_url=HTTPS)
    c3 = app.server.test_client()
    c3.set_cookie("citybrain_session", old, domain="localhost")
    assert c3.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    # a wall session ends when its token is no longer configured
    w = app.server.test_client()
    assert w.get(f"/wall?token={WALL_TOKEN}", base_url=HTTPS).status_code == 200
    wall_cookie = w.get_cookie("citybrain_session", domain="localhost").value
    app2 = create_app(s.model_copy(update={"wall_tokens": []}))
    w2 = app2.server.test_client()
    w2.set_cookie("citybrain_session", wall_cookie, domain="localhost")
    assert w2.get("/_dash-layout", base_url=HTTPS).status_code == 401


# 4. throttled logins: 429 with Retry-After, the right password too while locked
def test_login_throttled(built_store, tmp_path_factory):
    app, _ = make_app(built_store, tmp_path_factory, login_user_attempts=3, login_user_refill_seconds=600)
    c = app.server.test_client()
    codes = [c.post("/login", base_url=HTTPS, data={"user": USERS["leader"], "password": "wrong"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    r = c.post("/login", base_url=HTTPS, data={"user": USERS["leader"], "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert USERS["leader"] not in r.get_data(as_text=True)
    # an unknown name is throttled the same way: the answer says nothing about who exists
    codes = [c.post("/login", base_url=HTTPS, data={"user": "nobody_here", "password": "x"}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


# 5. an export cut off is audited, with its start
def test_export_cut_off_is_audited(roles_app):
    app, s = roles_app
    c, _ = client_for(app.server, "analyst")
    r = c.get("/api/v1/observations.csv?region=330225", base_url=HTTPS, buffered=False)
    it = iter(r.response)
    first = next(it) + next(it)  # the server wrote the first chunk and asked for the next: cut off now
    r.close()
    lines = _audit(s)
    start = [x for x in lines if x["event"] == "export_start" and x["what"] == "observations"]
    assert start, "no export_start line"
    end = [x for x in lines if x["event"] == "export" and x.get("export_id") == start[-1]["export_id"]]
    assert end and end[-1]["outcome"] == "aborted" and 0 < end[-1]["bytes"] <= len(first)


# 6. one bulk-read rule: a leader cannot page out a whole listing as JSON
def test_leader_cannot_bulk_read_json(roles_app):
    app, _ = roles_app
    c, _ = client_for(app.server, "leader")
    r = c.get("/api/v1/events?region=330225&page_size=10000", base_url=HTTPS)
    assert r.status_code in (400, 403), (r.status_code, len(r.get_json().get("rows", [])))
    ok = c.get("/api/v1/events?region=330225&page_size=100", base_url=HTTPS)
    assert ok.status_code == 200 and len(ok.get_json()["rows"]) == 100
    assert c.get("/api/v1/events?region=330225&page_size=100&page=6", base_url=HTTPS).status_code == 403
    a, _ = client_for(app.server, "analyst")
    body = a.get("/api/v1/events?page_size=10000", base_url=HTTPS).get_json()
    assert len(body["rows"]) == body["total"] > 1000  # analysts page freely (and export)


# 7. the smaller ones
@pytest.mark.parametrize("nxt", ["/catalog\r\nSet-Cookie: x=1", "/\nx", "/%0d%0aX: y", "/\x7f"])
def test_crlf_in_next_is_never_500(roles_app, nxt):
    app, _ = roles_app
    c = app.server.test_client()
    r = c.post("/login", base_url=HTTPS, data={"user": USERS["leader"], "password": PASSWORD, "next": nxt})
    assert r.status_code in (302, 303, 400) and "\n" not in r.headers.get("Location", "")
    assert c.get("/login", query_string={"next": nxt}, base_url=HTTPS).status_code in (200, 400)


CRAFTED = [b"", b"null", b"[]", b"42", b'{"output": 5}', b'{"output": "nope.children"}', b"[" * 50000,
           b'{"output": "%s", "inputs": "x"}' % PAGES_KEY.encode(),
           b'{"output": "%s", "inputs": [1, 2]}' % PAGES_KEY.encode(),
           b'{"output": "%s", "inputs": [{"id": "_pages_location"}]}' % PAGES_KEY.encode(),
           b'{"output": "%s", "inputs": [], "changedPropIds": {"a": 1}}' % PAGES_KEY.encode()]


@pytest.mark.parametrize("body", CRAFTED, ids=range(len(CRAFTED)))
def test_crafted_callback_bodies_are_4xx_without_traceback(roles_app, body, caplog):
    app, _ = roles_app
    c, _ = client_for(app.server, "analyst")
    c.get("/healthz", base_url=HTTPS)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        r = c.post("/_dash-update-component", data=body, content_type="application/json", base_url=HTTPS)
    assert 400 <= r.status_code < 500, r.status_code
    assert "Traceback" not in r.get_data(as_text=True)
    assert not any(rec.exc_info for rec in caplog.records) and "Traceback" not in caplog.text


def test_callback_failing_on_crafted_state_is_4xx(roles_app, caplog):
    """Well-formed, but the state the page would send is missing: the callback raises on it."""
    app, _ = roles_app
    c, _ = client_for(app.server, "analyst")
    key = next(k for k in app.callback_map if k.startswith("..targets-table-grid.rowData"))
    body = {"output": key, "outputs": [{"id": "targets-table-grid", "property": "rowData"},
                                       {"id": "targets-export-wrap", "property": "children"}],
            "inputs": [{"id": "targets-domain", "property": "value", "value": "water"}],
            "state": [{"id": "targets-ctx", "property": "data", "value": None}],
            "changedPropIds": ["targets-domain.value"]}
    caplog.clear()
    with caplog.at_level(logging.INFO):
        r = c.post("/_dash-update-component", json=body, base_url=HTTPS)
    assert r.status_code == 400
    assert not any(rec.exc_info for rec in caplog.records) and "Traceback" not in caplog.text


def test_get_logout_is_not_usable_cross_site(roles_app):
    app, _ = roles_app
    c, _ = client_for(app.server, "leader")
    c.get("/logout", base_url=HTTPS, headers={"Sec-Fetch-Site": "cross-site", "Referer": "https://evil.example/"})
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 200  # still signed in
    c.post("/logout", base_url=HTTPS, headers={"Origin": "https://evil.example"})
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 200


def test_openapi_is_public(roles_app):
    app, _ = roles_app
    r = app.server.test_client().get("/api/v1/openapi.json", base_url=HTTPS)
    assert r.status_code == 200 and r.get_json()["openapi"].startswith("3.")


def test_gunicorn_access_log_has_no_token(built_store, tmp_path):
    """A real gunicorn server on loopback; its access log holds neither the token nor the referer's."""
    from citybrain import devserver

    log = tmp_path / "access.log"
    port = devserver.free_port()
    proc = devserver.start(port, {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_CACHE": "simple",
                                  "CITYBRAIN_AUTH": "local", "CITYBRAIN_WALL_TOKENS": f'["{WALL_TOKEN}"]',
                                  "CITYBRAIN_ACCESS_LOG": str(log), "CITYBRAIN_COOKIE_SECURE": "false"})
    try:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/wall?token={WALL_TOKEN}&playlist=water", timeout=30) as r:
            assert r.status == 200
        req = urllib.request.Request(f"{base}/api/v1/wall/status", headers={
            "X-Wall-Token": WALL_TOKEN, "Referer": f"{base}/wall?token={WALL_TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    deadline = time.time() + 5
    while time.time() < deadline and log.read_text().count("\n") < 2:
        time.sleep(0.1)
    text = log.read_text()
    assert "/wall?token=***&playlist=water" in text and "/api/v1/wall/status" in text
    assert WALL_TOKEN not in text
