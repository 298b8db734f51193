"""Views: one data function, many renderers. For every dashboard × region × language, each view's JSON
rows equal its CSV rows (same order), the grid on the page shows exactly those rows, every export
button of a page points at a view URL, and entity statuses agree with the map's GeoJSON."""

from __future__ import annotations

import csv
import io

import pytest
from dash.development.base_component import Component

from citybrain.app_factory import create_app
from citybrain.registry import builtin_modules

REGIONS = ("330225", "330900", "370215", "341623", "210800", "330902", "330903", "330921", "330922")
MODULES = [m for m in builtin_modules() if m.views]


@pytest.fixture(scope="module")
def app(built_store):
    return create_app(built_store)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def _walk(component):
    if isinstance(component, Component):
        yield component
        for c in component._traverse():
            yield c


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _as_csv_cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def test_view_modules_cover_every_table_page():
    assert {m.id for m in MODULES} >= {"overview", "fisheries", "traffic", "water", "emergency", "targets", "data",
                                       "catalog"}


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.id)
def test_json_equals_csv_equals_grid(mod, app, client):
    for region in REGIONS:
        for lang in ("zh", "en"):
            lst = client.get(f"/api/v1/dashboards/{mod.id}/views?region={region}&lang={lang}")
            assert lst.status_code == 200, lst.get_data(as_text=True)
            views = lst.get_json()["views"]
            assert [v["id"] for v in views] == [v.id for v in mod.views]
            with app.server.app_context():  # the page reads the same app's store as the API
                page = mod.layout(region=region, lang=lang)
            comps = list(_walk(page))
            grids = {c.id: c for c in comps if type(c).__name__ == "AgGrid"}
            hrefs = [c.href for c in comps if type(c).__name__ == "A" and "cb-export" in (c.className or "")]
            for v in views:
                j = client.get(v["json"])
                assert j.status_code == 200
                rows = j.get_json()["rows"]
                assert len(rows) == v["rows"]
                c = client.get(v["csv"])
                assert c.status_code == 200
                assert c.headers["Content-Type"].count("charset") == 1
                got = _csv_rows(c.data)
                assert len(got) == len(rows), (mod.id, v["id"], region, lang)
                for a, b in zip(rows, got):
                    assert list(a) == list(b), (mod.id, v["id"])
                    for k in a:
                        cell = b[k].lstrip("'") if isinstance(a[k], str) and a[k][:1] in "=+-@" else b[k]
                        if isinstance(a[k], float) and cell:
                            assert float(cell) == pytest.approx(a[k]), (mod.id, v["id"], k)
                        else:
                            assert cell == _as_csv_cell(a[k]), (mod.id, v["id"], k, a[k], b[k])
                gid = f"{mod.id}-{v['id']}-grid"
                if gid in grids:  # a table: the grid shows exactly the view's rows, in order
                    assert grids[gid].rowData == rows, (gid, region, lang)
            # every export button of the page is a view's URL (exactly what its table shows)
            view_urls = {v["csv"] for v in views}
            for h in hrefs:
                assert h.startswith(f"/api/v1/dashboards/{mod.id}/views/") or h in view_urls or \
                    h.startswith("/api/v1/layers/"), (mod.id, h)


def test_entity_views_agree_with_the_map(client):
    """Views about places carry entity_id and status; the same entity has the same status on the map."""
    checked = 0
    for mod in MODULES:
        for region in ("330225", "330900", "341623"):
            for v in client.get(f"/api/v1/dashboards/{mod.id}/views?region={region}").get_json()["views"]:
                rows = client.get(v["json"]).get_json()["rows"]
                if not rows or "entity_id" not in rows[0] or "status" not in rows[0]:
                    continue
                for layer in mod.layers:
                    gj = client.get(f"/api/v1/layers/{layer}.geojson?region={region}").get_json()
                    on_map = {f["properties"]["id"]: f["properties"]["status"] for f in gj["features"]}
                    for r in rows:
                        if r["entity_id"] in on_map:
                            assert on_map[r["entity_id"]] == r["status"], (mod.id, v["id"], r["entity_id"])
                            checked += 1
    assert checked > 20


def test_download_names_name_view_region_time_and_version(client):
    body = client.get("/api/v1/dashboards/emergency/views?region=330225").get_json()
    r = client.get(body["views"][0]["csv"])
    disp = r.headers["Content-Disposition"]
    assert "emergency_" in disp and "330225" in disp and body["data_version"] in disp
    assert "unmask" not in disp and "_False" not in disp
    assert r.headers["X-Data-Version"] == body["data_version"]


def test_unknown_view_and_bad_region_are_4xx(client):
    assert client.get("/api/v1/dashboards/emergency/views/nope.json").status_code == 404
    r = client.get("/api/v1/dashboards/emergency/views?region=99999x")
    assert r.status_code == 400 and "region" in r.get_data(as_text=True)
