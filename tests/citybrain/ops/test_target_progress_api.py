"""Recording target progress through ``POST /api/v1/targets/progress`` on SQLite and PostgreSQL: JSON
and CSV, analysts and admins only, a bad CSV refused whole with its row and field, every report
audited, and the targets page reading the latest value back."""

from __future__ import annotations

import json

import sqlalchemy as sa

from citybrain.ops.tables import target_progress

URL = "/api/v1/targets/progress"
IND = "mobile_service_rate"  # 象山: 90 % of services on mobile by 2021 (no baseline)


def count(ops_settings) -> int:
    from citybrain.ops.db import url_of

    engine = sa.create_engine(url_of(ops_settings))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(target_progress)).scalar()
    finally:
        engine.dispose()


def test_roles(callers):
    body = {"region_code": "330225", "indicator_id": IND, "year": 2021, "value": 80, "source": "县大数据中心"}
    for who in ("leader", "duty", "handler"):
        r = callers[who].post(URL, body)
        assert r.status_code == 403, (who, r.get_json())
    r = callers["analyst"].post(URL, body)
    assert r.status_code == 201 and r.get_json() == {"stored": 1}


def test_bad_csv_names_row_and_field_and_stores_nothing(callers, ops_settings):
    before = count(ops_settings)
    csv = ("region_code,indicator_id,year,value,source,note\n"
           f"330225,{IND},2021,91,统计公报,\n"
           f"330225,{IND},2022,九十,统计公报,\n")
    r = callers["admin"].post(URL, data=csv.encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 400
    body = r.get_json()
    assert body["row"] == 3 and body["field"] == "value" and body["got"] == "九十"
    assert count(ops_settings) == before
    r = callers["admin"].post(URL, {"region_code": "330225", "indicator_id": IND, "year": 2021, "value": "x",
                                    "source": "s"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "value"


def test_csv_then_latest_value_on_the_page(callers, ops_settings, ops_app, tmp_path):
    csv = ("region_code,indicator_id,year,value,source,note\n"
           f"330225,{IND},2021,85,县政府工作报告,年中\n"
           f"330225,{IND},2022,93.5,县统计公报,全年\n")
    r = callers["admin"].post(URL, data=("\ufeff" + csv).encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 201 and r.get_json() == {"stored": 2}
    from citybrain.ops.db import make_engine
    from citybrain.ops.progress import latest

    engine = make_engine(ops_settings)
    try:
        rep = latest(engine, "330225")[("330225", IND)]
    finally:
        engine.dispose()
    assert (rep["year"], rep["value"], rep["source"], rep["recorded_by"]) == (2022, 93.5, "县统计公报", "admin1")
    with ops_app.server.app_context():
        from dashboards.targets.assess import target_table

        row = next(r for r in target_table("330225") if r["indicator_id"] == IND)
    # no baseline: progress from 0 — 93.5 / 90 ≥ 1, achieved
    assert row["latest"] == 93.5 and row["latest_kind"] == "report" and row["track"] == "achieved"
    audit = (ops_settings.db.parent / "audit.log").read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in audit if '"target_progress"' in x]
    assert any(e.get("value") == 93.5 and e.get("via") == "api-csv" and e.get("user") == "admin1" for e in events)
