"""Fixtures of the operational database tests: a real PostgreSQL server (Debian's ``postgresql``,
started in a temp folder for the session) and SQLite; ``backend`` parametrises a module over both."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from citybrain.settings import Settings
from tests.conftest import GATEWAY

BACKENDS = ("sqlite", "postgresql")
_N = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL server; the tests FAIL (never skip) when PostgreSQL is missing."""
    from citybrain.ops.pgcluster import Cluster, PostgresMissing

    try:
        cluster = Cluster().start()
    except PostgresMissing as exc:
        pytest.fail(f"{exc} (the ops tests need a real PostgreSQL server; .ci/run installs it)")
    yield cluster
    cluster.stop()


def new_database(kind: str, request: pytest.FixtureRequest, tmp_factory: pytest.TempPathFactory) -> str:
    """The URL of a new, empty operational database of ``kind``."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_factory.mktemp('ops') / 'ops.sqlite'}"
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"ops_{next(_N)}")


@pytest.fixture(scope="module", params=BACKENDS)
def ops_settings(request, built_store, tmp_path_factory) -> Settings:
    """The built store's settings with header auth and a new operational database of each backend."""
    url = new_database(request.param, request, tmp_path_factory)
    return built_store.model_copy(update={"ops_db": url, "auth": "header", **GATEWAY})


@pytest.fixture(scope="module")
def ops_app(ops_settings):
    from citybrain.app_factory import create_app

    return create_app(ops_settings)


class Caller:
    """A test client that calls as one user of one role (the gateway's SSO headers)."""

    def __init__(self, app: Any, user: str, role: str, department: str | None = None) -> None:
        self.client = app.server.test_client()
        self.headers = {"X-Remote-User": user, "X-Remote-Role": role}
        if department:
            self.headers["X-Remote-Department"] = department

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, body: Any = None, **kw: Any) -> Any:
        if body is not None and "data" not in kw:
            kw["json"] = body
        return self.client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)


@pytest.fixture(scope="module")
def callers(ops_app) -> dict[str, Caller]:
    return {"duty": Caller(ops_app, "值班员张", "duty"), "admin": Caller(ops_app, "admin1", "admin"),
            "leader": Caller(ops_app, "li_leader", "leader"), "analyst": Caller(ops_app, "wang", "analyst"),
            "handler": Caller(ops_app, "chen", "handler", "城管局"),
            "other_handler": Caller(ops_app, "zhou", "handler", "水利局")}
