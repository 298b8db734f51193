"""The closed loop's KPIs on a seeded operational database (SQLite and PostgreSQL), against values
worked out by hand; the cockpits' cards and department table equal their views' JSON and CSV.

The clock is fixed at 2026-03-31 12:00, so the period is [03-02 00:00, 04-01 00:00). Region 330225:

  A urgent 城管局  created 03-10 08:00, every step in time, dispatch→handled 1.5 h, closed
  B urgent 城管局  created 03-11 08:00, registered 30 min after reception (limit 10): late; handled
                   exactly at its 120-min limit (in time); dispatch→handled 2 h, closed
  C normal 水利局  created 03-12 08:00, handled 4 h, sent back (返工), handled again 2 h: 6 h, closed, in time
  D normal 水利局  created 03-20, registered and dispatched, still open
  E normal         rejected at reception (不予立案): not a case
  F urgent         still waiting to be registered: not a case
  G normal 城管局  region 330900: not in 330225
  H urgent 城管局  created 02-20, before the period (closed in it): not in the cohort

  结案率 = 3 closed / 4 registered = 75 %; 按期结案率 = 2 (A, C) / 3 = 66.7 %;
  平均处置时长 = (1.5 + 2 + 6) / 3 = 3.17 h; 返工率 = 1 (C) / 3 = 33.3 %.
  城管局: 2 / 2 = 100 %, 1 / 2 = 50 %, 1.75 h, 0 %; 水利局: 1 / 2 = 50 %, 100 %, 6 h, 100 %.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from citybrain.ops import loopkpi, workorders
from citybrain.ops.db import ensure
from tests.citybrain.ops.conftest import BACKENDS, Caller, new_database
from tests.conftest import GATEWAY

NOW = datetime(2026, 3, 31, 12, 0)
VIEWS = "/api/v1/dashboards/{m}/views/{v}.{fmt}?region=330225&lang={lang}"


def _seed(engine) -> dict[str, int]:
    ids: dict[str, int] = {}

    def order(key, category, start, steps, region="330225"):
        oid = workorders.create(engine, user="duty-u", role="duty", title=f"order {key}", category=category,
                                region=region, now=start)["id"]
        for v, (to, minutes, dept) in enumerate(steps, start=1):
            role = "handler" if to == "handled" else "duty"
            workorders.transition(engine, oid, to=to, version=v, user=f"{role}-u", role=role, user_department=dept,
                                  now=start + timedelta(minutes=minutes), department=dept,
                                  note="返工" if to == "dispatched" and v > 3 else ("不予立案" if to == "rejected" else None))
        ids[key] = oid

    cg, sl = "城管局", "水利局"
    order("A", "urgent", datetime(2026, 3, 10, 8), [("registered", 5, None), ("dispatched", 20, cg),
          ("handled", 110, cg), ("verified", 140, None), ("closed", 160, None)])
    order("B", "urgent", datetime(2026, 3, 11, 8), [("registered", 30, None), ("dispatched", 40, cg),
          ("handled", 160, cg), ("verified", 180, None), ("closed", 190, None)])
    order("C", "normal", datetime(2026, 3, 12, 8), [("registered", 30, None), ("dispatched", 60, sl),
          ("handled", 300, sl), ("dispatched", 360, sl), ("handled", 480, sl), ("verified", 540, None),
          ("closed", 600, None)])
    order("D", "normal", datetime(2026, 3, 20, 8), [("registered", 10, None), ("dispatched", 30, sl)])
    order("E", "normal", datetime(2026, 3, 21, 8), [("rejected", 20, None)])
    order("F", "urgent", datetime(2026, 3, 22, 8), [])
    order("G", "normal", datetime(2026, 3, 15, 8), [("registered", 10, None), ("dispatched", 20, cg),
          ("handled", 60, cg), ("verified", 70, None), ("closed", 80, None)], region="330900")
    order("H", "urgent", datetime(2026, 2, 20, 8), [("registered", 5, None), ("dispatched", 10, cg),
          ("handled", 20, cg), ("verified", 25, None), ("closed", 60 * 24 * 13, None)])
    return ids


@pytest.fixture(scope="module", params=BACKENDS)
def loop_app(request, built_store, tmp_path_factory):
    from citybrain.app_factory import create_app

    url = new_database(request.param, request, tmp_path_factory)
    settings = built_store.model_copy(update={"ops_db": url, "auth": "header", "clock": NOW, **GATEWAY})
    app = create_app(settings)
    engine = ensure(app.server.extensions["citybrain"].ops)
    return app, engine, _seed(engine)


def test_totals_by_hand(loop_app):
    _app, engine, _ids = loop_app
    start, end = loopkpi.period(NOW)
    assert (start, end) == (datetime(2026, 3, 2), datetime(2026, 4, 1))
    got = loopkpi.totals(engine, ["330225"], start, end)
    assert got == {"registered": 4, "closed": 3, "closed_on_time": 2, "reworked": 1, "closure_rate": 75.0,
                   "on_time_rate": 66.7, "handling_hours": 3.17, "rework_rate": 33.3}
    assert loopkpi.totals(engine, ["330900"], start, end)["closure_rate"] == 100.0
    empty = loopkpi.totals(engine, ["341623"], start, end)
    assert empty["registered"] == 0 and empty["closure_rate"] is None and empty["handling_hours"] is None


def test_by_department_category_region(loop_app):
    _app, engine, _ids = loop_app
    start, end = loopkpi.period(NOW)
    by_dept = loopkpi.table(engine, ["330225"], start, end, "department")
    assert [(r["department"], r["registered"], r["closed"], r["closure_rate"], r["on_time_rate"], r["handling_hours"],
             r["rework_rate"]) for r in by_dept] == [("城管局", 2, 2, 100.0, 50.0, 1.75, 0.0),
                                                    ("水利局", 2, 1, 50.0, 100.0, 6.0, 100.0)]
    by_cat = loopkpi.table(engine, ["330225"], start, end, "category")
    assert [(r["category"], r["closure_rate"], r["on_time_rate"]) for r in by_cat] == [("normal", 50.0, 100.0),
                                                                                       ("urgent", 100.0, 50.0)]
    by_region = loopkpi.table(engine, ["330900", "330902"], start, end, "region_code")
    assert [(r["region_code"], r["registered"], r["closed"]) for r in by_region] == [("330900", 1, 1)]
    with pytest.raises(ValueError):
        loopkpi.table(engine, ["330225"], start, end, "title")


def test_a_later_period_reads_the_same_past(loop_app):
    """A period ending 03-12 09:00 sees A and B closed and C just dispatched (steps before its end only)."""
    _app, engine, _ids = loop_app
    got = loopkpi.totals(engine, ["330225"], datetime(2026, 3, 1), datetime(2026, 3, 12, 9))
    assert (got["registered"], got["closed"], got["reworked"]) == (3, 2, 0)


def _find(component, want):
    """Every component of a layout tree for which ``want(component)`` holds."""
    out = []
    stack = [component]
    while stack:
        c = stack.pop()
        if want(c):
            out.append(c)
        kids = getattr(c, "children", None)
        if isinstance(kids, (list, tuple)):
            stack.extend(kids)
        elif kids is not None and not isinstance(kids, str):
            stack.append(kids)
    return out


def _cards(page, prefix: str) -> dict[str, str]:
    cards = _find(page, lambda c: str(getattr(c, "id", "")).startswith(f"{prefix}-loop-")
                  and "loop-card" in (getattr(c, "className", "") or ""))
    return {c.id.removeprefix(f"{prefix}-loop-"): c.children[1].children for c in cards}


@pytest.mark.parametrize("module", ["emergency", "overview"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_cards_equal_the_view_json_and_csv(loop_app, module, lang):
    import importlib

    app, _engine, _ids = loop_app
    mod = importlib.import_module(f"dashboards.{module}")
    with app.server.test_request_context("/"):
        page = mod.layout(region="330225", lang=lang)
    shown = _cards(page, module)
    admin = Caller(app, "admin1", "admin")
    body = admin.get(VIEWS.format(m=module, v="loop_cards", fmt="json", lang=lang)).get_json()
    assert shown == {r["indicator_id"]: r["shown"] for r in body["rows"]}
    expected = {"zh": {"closure_rate": "75%", "on_time_rate": "66.7%", "handling_hours": "3.17小时",
                       "rework_rate": "33.3%"},
                "en": {"closure_rate": "75%", "on_time_rate": "66.7%", "handling_hours": "3.17 h",
                       "rework_rate": "33.3%"}}[lang]
    assert shown == expected
    r = admin.get(VIEWS.format(m=module, v="loop_cards", fmt="csv", lang=lang))
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert {x["indicator_id"]: x["shown"] for x in rows} == shown
    assert [float(x["value"]) for x in rows] == [r["value"] for r in body["rows"]]
    grid = _find(page, lambda c: getattr(c, "id", None) == f"{module}-loop_departments-grid")[0]
    dept = admin.get(VIEWS.format(m=module, v="loop_departments", fmt="json", lang=lang)).get_json()["rows"]
    assert grid.rowData == dept
    assert [(d["group"], d["closure_rate"], d["handling_hours"]) for d in dept] == [
        ("城管局", 100.0, 1.75), ("水利局", 50.0, 6.0)]
    csv_dept = list(csv.DictReader(io.StringIO(admin.get(VIEWS.format(
        m=module, v="loop_departments", fmt="csv", lang=lang)).data.decode("utf-8-sig"))))
    assert [(x["department"], float(x["rework_rate"])) for x in csv_dept] == [("城管局", 0.0), ("水利局", 100.0)]


def test_views_are_listed_and_read_afresh(loop_app):
    """The ops database has no data version: a closed case shows at once on the page and in the view."""
    app, engine, ids = loop_app
    admin = Caller(app, "admin1", "admin")
    listed = admin.get("/api/v1/dashboards/emergency/views?region=330225").get_json()["views"]
    assert {"loop_cards", "loop_departments", "loop_categories", "loop_regions"} <= {v["id"] for v in listed}
    from dashboards import overview

    with app.server.test_request_context("/"):
        before = _cards(overview.layout(region="330225", lang="zh"), "overview")["closure_rate"]
        v, d = 3, ids["D"]
        workorders.transition(engine, d, to="handled", version=v, user="h", role="handler", user_department="水利局",
                              now=datetime(2026, 3, 20, 9))
        workorders.transition(engine, d, to="verified", version=v + 1, user="d", role="duty", user_department=None,
                              now=datetime(2026, 3, 20, 10))
        workorders.transition(engine, d, to="closed", version=v + 2, user="d", role="duty", user_department=None,
                              now=datetime(2026, 3, 20, 11))
        after = _cards(overview.layout(region="330225", lang="zh"), "overview")["closure_rate"]
    assert (before, after) == ("75%", "100%")
    rows = admin.get(VIEWS.format(m="overview", v="loop_cards", fmt="json", lang="zh")).get_json()["rows"]
    assert rows[0]["shown"] == "100%" and rows[0]["numerator"] == 4
