"""Target progress with hand-computed values: (latest − baseline) / (target − baseline) in either
direction, the expected share of the period, the track and its status, the latest value's source,
the plans of the seeds, and the recording checks (row and field named)."""

from __future__ import annotations

from datetime import datetime

import pytest

from citybrain import kpi
from citybrain.ops import progress
from dashboards.targets.assess import assess, expected_share, track_of
from dashboards.targets.plans import PLANS, plan_of

NOW = datetime(2024, 6, 30, 12, 0)


def row(**kw):
    base = {"region_code": "341623", "indicator_id": "x", "name_zh": "指标", "name_en": "Indicator", "domain": "data",
            "attribute": None, "baseline": None, "baseline_year": None, "current": None, "current_year": None,
            "target": None, "target_year": None, "unit_target": "%", "unit": "%", "quote": "q",
            "source_file": "003_17f445afa72636be.txt"}
    return {**base, **kw}


def test_progress_formula_by_hand():
    assert kpi.target_progress(40, 70, 100) == pytest.approx(0.5)        # (70-40)/(100-40)
    assert kpi.target_progress(12.8, 5.0, 3.0) == pytest.approx(7.8 / 9.8)  # a target below its baseline
    assert kpi.target_progress(40, 30, 100) == pytest.approx(-1 / 6)     # moved away: negative
    assert kpi.target_progress(None, 45, 90) == pytest.approx(0.5)       # no baseline: from 0
    assert kpi.target_progress(50, 50, 50) == 1.0
    assert kpi.target_progress(40, None, 100) is None
    assert kpi.target_direction(12.8, 3) == "down" and kpi.target_direction(40, 100) == "up"
    assert kpi.target_direction(None, 100) == "up"


def test_expected_share_and_track():
    assert expected_share(2023, 2020, 2025) == pytest.approx(0.6)
    assert expected_share(2019, 2020, 2025) == 0.0 and expected_share(2030, 2020, 2025) == 1.0
    assert expected_share(2022, 2022, 2022) == 1.0
    assert track_of(None, 0.5) == "unmonitored"
    assert track_of(1.0, 1.0) == "achieved"
    assert track_of(0.6, 0.6) == "on_track"
    assert track_of(0.5, 0.6) == "behind"       # 0.1 behind: warning
    assert track_of(0.3, 0.6) == "off_track"    # 0.3 behind (> 0.25): alarm


def test_assess_by_hand():
    rows = [
        # 2020 baseline 40 → 2025 target 100; a 2023 report of 70: progress 0.5, due 0.6 → behind
        row(indicator_id="a", baseline=40.0, baseline_year=2020, target=100.0, target_year=2025),
        # a lower-is-better target 12.8 → 3 days, report 5 in 2024: 7.8/9.8 = 0.796, due 0.8 → behind
        row(indicator_id="b", baseline=12.8, baseline_year=2020, target=3.0, target_year=2025, unit="天"),
        # the plan's own 2023 figure and no report: its latest value is the plan's
        row(indicator_id="c", current=2000.0, current_year=2023, target=4000.0, target_year=2025),
        # nothing known
        row(indicator_id="d", target=95.0, target_year=2025),
        # a live KPI beats an older report
        row(indicator_id="e", baseline=0.0, baseline_year=2020, target=100.0, target_year=2025),
    ]
    reported = {("341623", "a"): {"year": 2023, "value": 70.0, "source": "统计公报"},
                ("341623", "b"): {"year": 2024, "value": 5.0, "source": "部门报送"},
                ("341623", "e"): {"year": 2022, "value": 10.0, "source": "x"}}
    out = {r["indicator_id"]: r for r in assess(rows, {("341623", "e"): 96.0}, NOW, reported)}
    a, b, c, d, e = (out[k] for k in "abcde")
    assert a["latest"] == 70.0 and a["latest_year"] == 2023 and a["latest_kind"] == "report"
    assert a["latest_source"] == "统计公报"
    assert a["progress"] == pytest.approx(0.5) and a["expected"] == pytest.approx(0.6)
    assert a["track"] == "behind" and a["status"] == "warning" and a["direction"] == "up"
    assert b["direction"] == "down" and b["progress"] == pytest.approx(7.8 / 9.8)
    assert b["expected"] == pytest.approx(0.8) and b["track"] == "behind"
    # the plan (利辛 2021–2025): no baseline year, so the line starts the year before the plan
    assert c["latest_kind"] == "plan" and c["progress"] == pytest.approx(0.5)
    assert c["expected"] == pytest.approx((2023 - 2020) / (2025 - 2020)) and c["track"] == "behind"
    assert d["track"] == "unmonitored" and d["status"] == "nodata" and d["progress"] is None
    assert e["latest"] == 96.0 and e["latest_kind"] == "live" and e["track"] == "on_track"
    assert {r["plan"] for r in out.values()} == {"003_17f445afa72636be.txt"}


def test_every_seed_has_its_plan():
    want = {"330225": (2020, 2022, "行动计划"), "330900": (2021, 2025, "十四五"), "370215": (2021, 2022, "实施方案"),
            "341623": (2021, 2025, "规划"), "210800": (2022, 2025, "规划")}
    assert {p.region for p in PLANS.values()} == set(want)
    for p in PLANS.values():
        start, end, word = want[p.region]
        assert (p.start, p.end) == (start, end) and word in p.title_zh + p.kind_zh
        assert plan_of(p.id, "000000") is p and plan_of(None, p.region) is p


def test_store_targets_all_name_a_plan(built_store):
    from citybrain.queries import kpi as qk
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        rows = qk.target_rows(ctx.store, None)
    assert set(rows["source_file"]) <= set(PLANS)
    assert all(PLANS[f].region == r for f, r in zip(rows["source_file"], rows["region_code"]))


KNOWN = {("330225", "mobile_service_rate")}


def test_csv_reports_are_checked_row_and_field():
    good = "region_code,indicator_id,year,value,source,note\n330225,mobile_service_rate,2021,92.5,统计公报,\n"
    assert progress.parse_csv(("\ufeff" + good).encode(), KNOWN) == [
        {"region_code": "330225", "indicator_id": "mobile_service_rate", "year": 2021, "value": 92.5,
         "source": "统计公报", "note": None}]
    cases = [
        (good + "330225,mobile_service_rate,2021,abc,x,\n", 3, "value"),
        (good + "330225,mobile_service_rate,1999,1,x,\n", 3, "year"),
        (good + "330225,nope,2021,1,x,\n", 3, "indicator_id"),
        (good + "999999,mobile_service_rate,2021,1,x,\n", 3, "region_code"),
        (good + "330225,mobile_service_rate,2021,1,,\n", 3, "source"),
        (good + "330225,mobile_service_rate,2021,1\n", 3, "row"),
        ("region_code,indicator_id,year,value\n", 1, "source"),
        ("region_code,indicator_id,year,value,source,colour\n", 1, "colour"),
    ]
    for text, line, field in cases:
        with pytest.raises(progress.BadRow) as exc:
            progress.parse_csv(text.encode(), KNOWN)
        body = exc.value.body()
        assert (exc.value.status, body["row"], body["field"]) == (400, line, field), body
        assert f"row {line}" in body["error"] and f"第 {line} 行" in exc.value.text("zh")
    with pytest.raises(progress.BadRow) as exc:
        progress.parse_csv(b"\xff\xfe", KNOWN)
    assert exc.value.body()["field"] == "file"
