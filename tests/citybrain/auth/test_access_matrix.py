"""The role × route and role × callback matrix: every registered route (``url_map``) and every
registered callback (``callback_map``) against every role, through the guard's own decision.

Each rule and each callback must be in the table below: a new route or callback fails this test
until its roles are declared and listed here. A few real requests check the guard applies the
same decisions.
"""

from __future__ import annotations

import json

import pytest
from dash import Input, Output

from citybrain.auth import dashreq
from citybrain.auth.guard import ACCESS
from citybrain.auth.policy import decide, first_output_id
from tests.citybrain.auth.conftest import HTTPS, ROLES, client_for

ALL = set(ROLES)
SIGNED_IN = ALL - {"anonymous"}
STAFF = SIGNED_IN - {"wall"}
EXPORTERS = {"analyst", "admin"}
NOBODY: set[str] = set()

PUBLIC_RULES = {"/healthz", "/readyz", "/login", "/logout", "/assets/<path:filename>", "/_favicon.ico",
                "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>", "/api/v1/openapi.json"}
#: Feed pushes: the guard admits every caller and the view demands the dataset's feed token
#: (401/403 there: tests/citybrain/feeds/test_http.py).
FEED_RULES = {"/api/v1/ingest/<dataset>"}
SIGNED_IN_RULES = {"/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/api/v1/wall/status"}
SAMPLES = {"<path:filename>": "citybrain.css", "<string:package_name>": "dash",
           "<path:fingerprinted_path>": "dash-renderer/build/dash_renderer.min.js", "<name>": "events",
           "<alarm_id>": "kpi:330225:vessels_alarm", "<int:order_id>": "1", "<int:shift_id>": "1",
           "<sha256>": "0" * 64, "<track_id>": "JMA-2106", "<dataset>": "water"}


def route_cases(rule: str) -> list[tuple[str, set[str]]]:
    """(sample URL, roles expected to pass the guard) for a URL rule."""
    url = rule
    for k, v in SAMPLES.items():
        url = url.replace(k, v)
    if rule in PUBLIC_RULES or rule in FEED_RULES:
        return [(url, ALL)]
    if rule in SIGNED_IN_RULES:
        return [(url, SIGNED_IN)]
    if rule == "/static/<path:filename>":
        return [(url, NOBODY)]
    if rule == "/":
        return [("/", STAFF)]
    if rule == "/<path:path>":
        return [("/wall", SIGNED_IN), ("/d/emergency", STAFF), ("/map", STAFF), ("/no-such-page", STAFF),
                ("/duty", STAFF), ("/duty/handover", STAFF), ("/workorders/1", STAFF)]
    if rule == "/api/v1/<name>.<fmt>":
        return [(url.replace("<fmt>", "json"), STAFF), (url.replace("<fmt>", "csv"), EXPORTERS),
                (url.replace("<fmt>", "parquet"), EXPORTERS)]
    if rule.startswith("/api/v1/") and rule.endswith((".csv", ".parquet", ".geojson")):
        return [(url, EXPORTERS)]
    if rule.startswith("/api/v1/"):
        return [(url, STAFF)]
    if rule == "/_dash-update-component":
        return []  # every callback below
    pytest.fail(f"route {rule} is not in the access matrix: declare its roles and list it here")


def callback_cases(key: str) -> list[tuple[str | None, set[str]]]:
    """(page path for the page router, roles expected) for a callback-map key."""
    out = first_output_id(key)
    name = json.loads(out)["type"] if out.startswith("{") else out
    if name == "_pages_content":
        return [("/wall", SIGNED_IN), ("/", STAFF), ("/d/emergency", STAFF), ("/map", STAFF), ("/nope", STAFF),
                ("/workorders/1", STAFF)]
    if name.startswith(("wall-", "shell-")) or name == "_pages_dummy":
        return [(None, SIGNED_IN)]
    if name in ("targets-record", "targets-record-msg"):
        # the targets page's progress form (shown by the first, saved by the second): every staff role
        # reaches the callback; it records only for analysts and admins (tests/citybrain/ops/
        # test_target_progress_api.py checks the same rule on the API)
        return [(None, STAFF)]
    modules = ("map-", "overview-", "fisheries-", "traffic-", "water-", "emergency-", "targets-", "data-",
               "catalog-", "example-", "alarms-", "workorders-", "workorder-", "typhoon-",
               "duty-", "handover-")  # duty pages: staff but handlers (not in ROLES); writes check duty roles
    if name.startswith(modules):
        return [(None, STAFF)]
    pytest.fail(f"callback {key} is not in the access matrix: declare its roles and list it here")


def _decision(app, settings, role, url, method="GET", body=None):
    server = app.server
    kw = {"method": method, "base_url": HTTPS}
    if body is not None:
        kw.update(data=body, content_type="application/json")
    with server.test_request_context(url, **kw):
        from flask import request

        call = dashreq.parse(request.get_data(cache=True), app.callback_map) if body is not None else None
        return decide(server.extensions[ACCESS], settings, None if role == "anonymous" else role, request, call)


def test_every_route_by_every_role(roles_app):
    app, s = roles_app
    app.server.test_client().get("/healthz", base_url=HTTPS)
    rules = sorted({r.rule for r in app.server.url_map.iter_rules()})
    assert len(rules) > 50
    wrong = []
    for rule in rules:
        for url, allowed in route_cases(rule):
            for role in ROLES:
                ok = _decision(app, s, role, url, "POST" if rule in FEED_RULES else "GET") is None
                if ok != (role in allowed):
                    wrong.append((rule, url, role, ok))
    assert not wrong, wrong


def test_every_callback_by_every_role(roles_app):
    app, s = roles_app
    app.server.test_client().get("/healthz", base_url=HTTPS)  # Dash adds its page router on the first request
    keys = sorted(app.callback_map)
    assert any("_pages_content" in k for k in keys) and any("wall-body" in k for k in keys)
    wrong = []
    for key in keys:
        for path, allowed in callback_cases(key):
            inputs = [{"id": "_pages_location", "property": "pathname", "value": path}] if path else []
            body = json.dumps({"output": key, "outputs": [], "inputs": inputs, "state": [], "changedPropIds": []})
            for role in ROLES:
                d = _decision(app, s, role, "/_dash-update-component", "POST", body)
                if (d is None) != (role in allowed):
                    wrong.append((key[:80], path, role, d))
    assert not wrong, wrong


def test_undeclared_callback_is_denied_to_everyone(built_store, tmp_path_factory):
    from tests.citybrain.auth.conftest import make_app

    app, _ = make_app(built_store, tmp_path_factory)
    app.callback(Output("stray-out", "children"), Input("stray-in", "value"))(lambda v: v)  # outside any declaration
    body = {"output": "stray-out.children", "outputs": {"id": "stray-out", "property": "children"},
            "inputs": [{"id": "stray-in", "property": "value", "value": "x"}], "state": [],
            "changedPropIds": ["stray-in.value"]}
    for role in ("wall", "leader", "analyst", "admin"):
        c, hdr = client_for(app.server, role)
        r = c.post("/_dash-update-component", json=body, headers=hdr, base_url=HTTPS)
        assert r.status_code == 403, (role, r.status_code)
    with pytest.raises(pytest.fail.Exception, match="not in the access matrix"):
        callback_cases("stray-out.children")


@pytest.mark.parametrize("role", ROLES)
def test_guard_applies_the_matrix(roles_app, role):
    """Real requests: the same answers as the decisions above."""
    app, _ = roles_app
    c, hdr = client_for(app.server, role)
    cases = {"/api/v1/wall/status": SIGNED_IN, "/api/v1/openapi.json": ALL, "/_dash-layout": SIGNED_IN,
             "/api/v1/targets?region=330225": STAFF, "/api/v1/targets.csv?region=330225": EXPORTERS,
             "/api/v1/layers/water.geojson?region=330225": EXPORTERS, "/wall": SIGNED_IN, "/d/emergency": STAFF}
    for url, allowed in cases.items():
        r = c.get(url, headers=hdr, base_url=HTTPS)
        passed = r.status_code not in (401, 403) and not r.headers.get("Location", "").startswith("/login")
        assert passed == (role in allowed), (url, role, r.status_code)
