"""One real app in local auth with a user of every role and a wall token, and signed-in clients."""

from __future__ import annotations

import pytest

from citybrain.app_factory import create_app
from citybrain.auth.users import UserStore

HTTPS = "https://localhost"
PASSWORD = "correct horse battery"
WALL_TOKEN = "wall-token-0123456789"
ROLES = ("anonymous", "wall", "leader", "analyst", "admin")
USERS = {"leader": "li_leader", "analyst": "wang_analyst", "admin": "zhao_admin"}


def make_app(built_store, tmp_path_factory, **kw):
    """A real app on the built store in local auth, its users file in a temp folder."""
    users = tmp_path_factory.mktemp("users") / "users.json"
    s = built_store.model_copy(update={"auth": "local", "users_file": users, "secret_key": "k" * 32,
                                       "wall_tokens": [WALL_TOKEN], **kw})
    store = UserStore(users)
    for role, name in USERS.items():
        store.add(name, role, PASSWORD, list(s.role_clearance))
    return create_app(s), s


def login(server, name, password=PASSWORD, addr="127.0.0.1", csrf=True):
    """A client signed in as ``name``; its writes send the session's CSRF token as a page's script
    does (``assets/csrf.js``), unless ``csrf`` is False."""
    c = server.test_client()
    r = c.post("/login", base_url=HTTPS, data={"user": name, "password": password, "next": "/catalog"},
               environ_base={"REMOTE_ADDR": addr})
    assert r.status_code == 302, r.status_code
    if csrf:
        send_csrf(c)
    return c


def send_csrf(client) -> str:
    """Make ``client`` send its session's CSRF token (the cookie the sign-in set) on every request."""
    token = client.get_cookie("citybrain_csrf").value
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return token


def client_for(server, role):
    """A test client acting as ``role`` (a wall sends its token as wall.js does)."""
    if role == "anonymous":
        return server.test_client(), {}
    if role == "wall":
        return server.test_client(), {"X-Wall-Token": WALL_TOKEN}
    return login(server, USERS[role]), {}


@pytest.fixture(scope="module")
def roles_app(built_store, tmp_path_factory):
    return make_app(built_store, tmp_path_factory)
