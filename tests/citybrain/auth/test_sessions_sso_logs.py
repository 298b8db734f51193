"""Server-side sessions (timeouts, role change, CLI, Redis), header SSO role mapping, and logs without the
wall token (werkzeug's request log; gunicorn's is in ``test_issue12_defects``)."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import time

from citybrain.auth.sessions import sessions_path
from citybrain.auth.sso import sso_role
from citybrain.auth.users import UserStore
from tests.citybrain.auth.conftest import HTTPS, PASSWORD, USERS, WALL_TOKEN, login, make_app
from tests.citybrain.test_cache_redis import redis_url  # noqa: F401  (a real redis-server)


def _age(settings, column: str, seconds: float) -> None:
    with sqlite3.connect(sessions_path(settings)) as db:
        db.execute(f"UPDATE sessions SET {column} = {column} - ?", (seconds,))


def test_idle_and_absolute_timeouts(built_store, tmp_path_factory):
    app, s = make_app(built_store, tmp_path_factory, session_idle_minutes=30, session_max_hours=12)
    c = login(app.server, USERS["analyst"])
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 200
    _age(s, "last_seen", 31 * 60)  # idle for 31 minutes
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    c = login(app.server, USERS["analyst"])
    _age(s, "created", 13 * 3600)  # used a minute ago, but signed in 13 hours ago
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401


def test_role_change_ends_sessions(built_store, tmp_path_factory):
    app, s = make_app(built_store, tmp_path_factory)
    c = login(app.server, USERS["analyst"])
    assert c.get("/api/v1/targets.csv", base_url=HTTPS).status_code == 200
    UserStore(s.users_file).add(USERS["analyst"], "leader", PASSWORD, list(s.role_clearance))
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401  # signs in again, as a leader


def test_cli_lists_and_revokes_sessions(built_store, tmp_path_factory):
    app, s = make_app(built_store, tmp_path_factory)
    c = login(app.server, USERS["admin"])
    env = {"CITYBRAIN_USERS_FILE": str(s.users_file), "CITYBRAIN_DB": str(s.db), "PATH": ""}
    run = lambda *a: subprocess.run([sys.executable, "-m", "citybrain.cli", "users", *a], env=env,  # noqa: E731
                                    capture_output=True, text=True)
    listed = run("sessions", USERS["admin"])
    assert listed.returncode == 0 and "admin\tlocal\t127.0.0.1" in listed.stdout, listed.stderr
    assert "1 session(s)" in run("sessions", USERS["admin"], "--revoke").stdout
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    c = login(app.server, USERS["admin"])
    assert "1 session(s) ended" in run("remove", USERS["admin"]).stdout
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401


def test_sso_role_comes_from_the_map(built_store):
    s = built_store.model_copy(update={"auth": "header", "trusted_proxies": ["10.0.0.0/8"], "sso_role_map": {
        "user:zhang": "admin", "group:cockpit": "leader", "group:data-office": "analyst"}})
    assert sso_role(s, "zhang", [], "leader") == "admin"
    assert sso_role(s, "li", ["cockpit", "data-office"], None) == "analyst"  # the strongest group
    assert sso_role(s, "li", ["other"], "admin") is None  # the caller's role header is ignored
    opt_in = s.model_copy(update={"sso_trust_role_header": True})
    assert sso_role(opt_in, "li", ["other"], "admin") == "admin"
    assert sso_role(s.model_copy(update={"sso_default_role": "leader"}), "li", [], "admin") == "leader"
    from citybrain.app_factory import create_app

    c = create_app(s).server.test_client()
    hdr = {"X-Remote-User": "li", "X-Remote-Groups": "cockpit", "X-Remote-Role": "admin"}
    assert c.get("/api/v1/targets", headers=hdr, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert c.get("/api/v1/targets.csv", headers=hdr, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert c.get("/api/v1/targets", headers=hdr, environ_base={"REMOTE_ADDR": "192.168.1.5"}).status_code == 401


def test_werkzeug_request_log_has_no_token(built_store, tmp_path_factory, caplog):
    make_app(built_store, tmp_path_factory)  # create_app installs the filter
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('%s - - "%s" %s -', "127.0.0.1", f"GET /wall?token={WALL_TOKEN}&x=1 HTTP/1.1",
                                           200)
    assert WALL_TOKEN not in caplog.text and "token=***&x=1" in caplog.text


def test_sessions_in_redis(built_store, tmp_path_factory, redis_url):  # noqa: F811
    """With a redis:// cache the sessions live in Redis, with the same rules."""
    import redis

    from citybrain.auth.sessions import open_store
    from citybrain.auth.sessions_redis import PREFIX

    app, s = make_app(built_store, tmp_path_factory, cache=redis_url)
    store = open_store(s)
    assert type(store).__name__ == "RedisSessionStore"
    c = login(app.server, USERS["analyst"])
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 200
    assert [x.via for x in store.list_user(USERS["analyst"])] == ["local"]
    assert store.revoke_user(USERS["analyst"]) == 1
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    c = login(app.server, USERS["analyst"])
    r = redis.Redis.from_url(redis_url)
    for key in r.keys(PREFIX + "*"):
        r.hset(key, "last_seen", time.time() - 2 * 3600)  # idle for two hours
    assert c.get("/api/v1/targets", base_url=HTTPS).status_code == 401
    r.close()
