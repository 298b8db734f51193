"""``citybrain db upgrade`` and ``citybrain users add --role duty|handler --department``; a handler
logged in by session handles its department's orders; many threads racing on one version: exactly
one wins, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from click.testing import CliRunner

from citybrain.ops import migrate, workorders
from citybrain.ops.db import ensure, make_engine
from tests.citybrain.auth.conftest import send_csrf

PASSWORD = "correct horse battery"


def _env(tmp_path, **kw) -> dict[str, str]:
    env = {"CITYBRAIN_DB": str(tmp_path / "store.duckdb"), "CITYBRAIN_USERS_FILE": str(tmp_path / "users.json")}
    env.update(kw)
    return env


def _cli(args: list[str], env: dict[str, str], stdin: str | None = None):
    from citybrain.cli import main
    from citybrain.settings import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, args, env=env, input=stdin)
    finally:
        get_settings.cache_clear()


def test_db_upgrade_command_is_idempotent(tmp_path):
    env = _env(tmp_path)
    from citybrain.ops.migrate import head

    first = _cli(["db", "upgrade"], env)
    assert first.exit_code == 0 and f"migrated empty -> {head()}" in first.output, first.output
    again = _cli(["db", "upgrade"], env)
    assert again.exit_code == 0 and f"already at {head()}" in again.output
    assert (tmp_path / "ops.sqlite").exists()


def test_workorders_from_incidents_command_opens_each_incident_once(built_store, tmp_path):
    env = {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_OPS_DB": f"sqlite:///{tmp_path / 'ops.sqlite'}",
           "CITYBRAIN_CACHE": "simple", "CITYBRAIN_CACHE_DIR": str(tmp_path / "cache")}
    first = _cli(["workorders", "from-incidents"], env)
    assert first.exit_code == 0, first.output
    n = int(first.output.strip().splitlines()[-1].split()[1])
    assert n > 0 and "330225:" in first.output
    again = _cli(["workorders", "from-incidents", "--region", "330225"], env)
    assert again.exit_code == 0 and again.output.strip().splitlines()[-1] == "opened 0 work order(s)"
    bad = _cli(["workorders", "from-incidents", "--region", "999999"], env)
    assert bad.exit_code != 0 and "--region" in bad.output and "Traceback" not in bad.output


def test_db_upgrade_names_an_unreachable_database(tmp_path):
    res = _cli(["db", "upgrade"], _env(tmp_path, CITYBRAIN_OPS_DB="postgresql://nobody@127.0.0.1:1/x"))
    assert res.exit_code != 0 and "cannot migrate" in res.output and "Traceback" not in res.output


def test_users_add_duty_and_handler(tmp_path):
    from citybrain.auth.users import UserStore

    env = _env(tmp_path)
    assert _cli(["users", "add", "zhang", "--role", "duty", "--password-stdin"], env, PASSWORD + "\n").exit_code == 0
    res = _cli(["users", "add", "chen", "--role", "handler", "--department", "城管局", "--password-stdin"], env,
               PASSWORD + "\n")
    assert res.exit_code == 0 and "handler, 城管局" in res.output
    res = _cli(["users", "add", "wu", "--role", "handler", "--password-stdin"], env, PASSWORD + "\n")
    assert res.exit_code != 0 and "department" in res.output
    users = {u.name: u for u in UserStore(tmp_path / "users.json").list()}
    assert users["zhang"].role == "duty" and users["chen"].department == "城管局"
    assert "chen\thandler\t城管局" in _cli(["users", "list"], env).output


def test_handler_by_session_handles_its_department(built_store, tmp_path):
    from citybrain.app_factory import create_app
    from citybrain.auth.users import UserStore

    users = tmp_path / "users.json"
    s = built_store.model_copy(update={"auth": "local", "users_file": users, "secret_key": "k" * 32,
                                       "ops_db": f"sqlite:///{tmp_path / 'ops.sqlite'}"})
    store = UserStore(users)
    store.add("zhang", "duty", PASSWORD, list(s.role_clearance))
    store.add("chen", "handler", PASSWORD, list(s.role_clearance), "城管局")
    server = create_app(s).server

    def login(name):
        c = server.test_client()
        r = c.post("/login", base_url="https://localhost", data={"user": name, "password": PASSWORD})
        assert r.status_code == 302
        send_csrf(c)
        return c

    duty, handler = login("zhang"), login("chen")
    kw = {"base_url": "https://localhost"}
    oid = duty.post("/api/v1/workorders", json={"title": "x", "category": "normal", "region": "330225"},
                    **kw).get_json()["id"]
    for to, v, extra in (("registered", 1, {}), ("dispatched", 2, {"department": "城管局"})):
        assert duty.post(f"/api/v1/workorders/{oid}/transition", json={"to": to, "version": v, **extra},
                         **kw).status_code == 200
    r = handler.post(f"/api/v1/workorders/{oid}/transition", json={"to": "handled", "version": 3}, **kw)
    assert r.status_code == 200 and r.get_json()["version"] == 4


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_racing_operators_exactly_one_wins(kind, request, tmp_path_factory, built_store):
    from tests.citybrain.ops.conftest import new_database

    engine = ensure(make_engine(built_store.model_copy(update={"ops_db": new_database(kind, request,
                                                                                      tmp_path_factory)})))
    now = datetime(2026, 7, 15, 12, 0)
    oid = workorders.create(engine, user="z", role="duty", title="t", category="urgent", region="330225",
                            now=now)["id"]
    results: list[str] = []
    barrier = threading.Barrier(8)

    def go(i: int) -> None:
        barrier.wait()
        try:
            workorders.transition(engine, oid, to="registered" if i % 2 else "rejected", version=1, user=f"u{i}",
                                  role="duty", user_department=None, now=now, note="x")
            results.append("ok")
        except Exception as exc:  # noqa: BLE001
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and results.count("Conflict") == 7, results
    got = workorders.get(engine, oid, role="duty", department=None, now=now)
    assert got["version"] == 2 and len(got["history"]) == 2
    engine.dispose()
