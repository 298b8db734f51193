"""citybrain.semantics: the one status rule (property-based), freshness against the cadence, the one
region scope against the real store, and running periods compared with the same hours before."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import assume, given, settings as hsettings, strategies as st

from citybrain.semantics import freshness as fr
from citybrain.semantics import periods, scope
from citybrain.semantics import status as sem

from tests.conftest import TEST_ANCHOR

RANK = {"normal": 0, "warning": 1, "alarm": 2}


def _none(x) -> bool:
    return x is None or math.isnan(x)
DIRECTIONS = ("down", "up", "none")

# ------------------------------------------------------------------ status: the one rule

any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)
finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
threshold = st.one_of(st.none(), st.just(float("nan")), finite)
direction = st.sampled_from(DIRECTIONS)


@hsettings(max_examples=400, deadline=None)
@given(rows=st.lists(st.tuples(any_float, threshold, threshold), min_size=1, max_size=30), d=direction)
def test_status_and_classify_agree_elementwise(rows, d):
    """Per-value thresholds (arrays) and scalar thresholds: classify == [status(...)] for every element."""
    values = [r[0] for r in rows]
    warns = [np.nan if r[1] is None else r[1] for r in rows]
    alarms = [np.nan if r[2] is None else r[2] for r in rows]
    got = sem.classify(values, np.array(warns, dtype="float64"), np.array(alarms, dtype="float64"), d)
    want = [sem.status(v, w, a, d) for v, w, a in zip(values, warns, alarms)]
    assert list(got) == want
    # scalar thresholds (the first row's), broadcast
    w0, a0 = rows[0][1], rows[0][2]
    got = sem.classify(values, w0, a0, d)
    assert list(got) == [sem.status(v, w0, a0, d) for v in values]


@hsettings(max_examples=300, deadline=None)
@given(v=any_float, w=threshold, a=threshold, d=direction)
def test_status_only_known_words(v, w, a, d):
    assert sem.status(v, w, a, d) in sem.STATUSES


@hsettings(max_examples=300, deadline=None)
@given(w=finite, gap=st.floats(min_value=1e-3, max_value=1e6))
def test_boundaries_down(w, gap):
    """down (higher is worse): reaching a threshold is already the worse band."""
    a = w + gap
    assume(a > w and math.isfinite(a))
    for d in ("down", "none"):
        assert sem.status(w, w, a, d) == "warning"
        assert sem.status(np.nextafter(w, -np.inf), w, a, d) == "normal"
        assert sem.status(a, w, a, d) == "alarm"
        assert sem.status(np.nextafter(a, -np.inf), w, a, d) == "warning"
        assert sem.status(a + gap, w, a, d) == "alarm"
        # only one threshold
        assert sem.status(w, w, None, d) == "warning"
        assert sem.status(np.nextafter(w, -np.inf), w, None, d) == "normal"
        assert sem.status(a, None, a, d) == "alarm"
        assert sem.status(np.nextafter(a, -np.inf), None, a, d) == "normal"


@hsettings(max_examples=300, deadline=None)
@given(a=finite, gap=st.floats(min_value=1e-3, max_value=1e6))
def test_boundaries_up(a, gap):
    """up (lower is worse): meeting a threshold (达标) is acceptable; below it is the worse band."""
    w = a + gap
    assume(w > a and math.isfinite(w))
    assert sem.status(w, w, a, "up") == "normal"
    assert sem.status(np.nextafter(w, -np.inf), w, a, "up") == "warning"
    assert sem.status(a, w, a, "up") == "warning"  # alarm < warn: reaching the alarm level is still a warning
    assert sem.status(np.nextafter(a, -np.inf), w, a, "up") == "alarm"
    assert sem.status(a - gap, w, a, "up") == "alarm"
    assert sem.status(w + gap, w, a, "up") == "normal"
    assert sem.status(a, None, a, "up") == "normal"
    assert sem.status(np.nextafter(a, -np.inf), None, a, "up") == "alarm"


@hsettings(max_examples=400, deadline=None)
@given(v1=finite, v2=finite, w=threshold, a=threshold, d=direction)
def test_monotone_in_the_value(v1, v2, w, a, d):
    """down/none: raising the value never makes the status better; up: lowering it never does."""
    lo, hi = min(v1, v2), max(v1, v2)
    s_lo, s_hi = sem.status(lo, w, a, d), sem.status(hi, w, a, d)
    if _none(w) and _none(a):
        assert s_lo == s_hi == "none"
        return
    if d == "up":
        assert RANK[s_lo] >= RANK[s_hi], (lo, hi, w, a, s_lo, s_hi)
    else:
        assert RANK[s_hi] >= RANK[s_lo], (lo, hi, w, a, s_lo, s_hi)
    # the vectorised rule is monotone too
    got = sem.classify([lo, hi], w, a, d)
    assert list(got) == [s_lo, s_hi]


@hsettings(max_examples=200, deadline=None)
@given(w=threshold, a=threshold, d=direction, missing=st.sampled_from([None, float("nan"), np.float64("nan")]))
def test_missing_value_is_nodata(w, a, d, missing):
    assert sem.status(missing, w, a, d) == "nodata"
    assert sem.classify([np.nan], w, a, d)[0] == "nodata"
    assert sem.classify([np.nan], w, a, d, missing="none")[0] == "none"


@hsettings(max_examples=200, deadline=None)
@given(v=finite, d=direction, w=st.sampled_from([None, float("nan")]), a=st.sampled_from([None, float("nan")]))
def test_no_threshold_is_none(v, d, w, a):
    assert sem.status(v, w, a, d) == "none"
    assert sem.classify([v], w, a, d)[0] == "none"


def test_no_colour_alone_every_status_has_icon_word_and_colour():
    for s in sem.STATUSES:
        assert s in sem.ICONS and s in sem.COLOURS and s in sem.RANK
        zh, en = sem.word(s, "zh"), sem.word(s, "en")
        assert zh and en and zh != en and "status." not in zh
        assert sem.label(s, "zh").startswith(sem.ICONS[s])
    assert len(set(sem.ICONS[s] for s in ("normal", "warning", "alarm"))) == 3


def test_depot_at_exactly_110_percent_is_the_same_everywhere(built_store):
    """Former disagreement: 110 % was 'warning' on the map (<= warn) and 'normal' on /d/emergency (< warn)."""
    from citybrain import kpi
    from layers.base import classify

    ind = kpi.Indicator("depot_reserve_ratio", "物资储备达标率", "Reserve ratio", "%", "emergency", "up",
                        110.0, 100.0, 86400, "emergency")
    assert list(classify([110.0], 110, 100, "up")) == [kpi.status(110.0, ind)] == ["normal"]
    assert list(classify([100.0], 110, 100, "up")) == [kpi.status(100.0, ind)] == ["warning"]
    assert list(classify([99.9], 110, 100, "up")) == [kpi.status(99.9, ind)] == ["alarm"]


@hsettings(max_examples=300, deadline=None)
@given(v=any_float, w=threshold, a=threshold, d=direction)
def test_map_and_cards_share_the_rule(v, w, a, d):
    """layers.base.classify (the map) and kpi.status (cards, tables) give the same status, except that
    the map draws a missing value with the 'none' look."""
    from citybrain import kpi
    from layers.base import classify

    ind = kpi.Indicator("x", "x", "x", "", "traffic", d, w, a, 3600, "traffic")
    card = kpi.status(v, ind)
    mapped = classify([v], w, a, d)[0]
    assert mapped == ("none" if card == "nodata" else card)


def test_real_depots_map_status_equals_card_rule(built_store, store):
    """Every depot on the emergency layer has the status kpi.status gives its reserve ratio."""
    from citybrain import kpi
    from layers.registry import cached_features

    ind = kpi.definitions(store)["depot_reserve_ratio"]
    assert (ind.warn, ind.alarm, ind.direction) == (110.0, 100.0, "up")
    seen = 0
    for region in ("330225", "330900", "370215", "341623", "210800"):
        f = cached_features(store, "emergency", region, TEST_ANCHOR)
        dep = f[f["indicator"] == "depot_reserve_ratio"]
        for r in dep.itertuples():
            seen += 1
            assert str(r.status) == kpi.status(r.value, ind), (region, r.id, r.value, r.status)
    assert seen >= 5


# ------------------------------------------------------------------ freshness


def test_freshness_boundaries():
    now = datetime(2026, 7, 15, 12, 0)
    cad = 300
    assert fr.freshness(now - timedelta(seconds=2 * cad), cad, now) == "fresh"
    assert fr.freshness(now - timedelta(seconds=2 * cad, microseconds=1), cad, now) == "stale"
    assert fr.freshness(now - timedelta(seconds=2 * cad + 1), cad, now) == "stale"
    assert fr.freshness(now, cad, now) == "fresh"
    assert fr.freshness(None, cad, now) == "none"
    assert fr.freshness(float("nan"), cad, now) == "none"
    import pandas as pd

    assert fr.freshness(pd.NaT, cad, now) == "none"
    assert fr.freshness(pd.Timestamp(now - timedelta(hours=3)), 3600, now) == "stale"
    assert fr.freshness(pd.Timestamp(now - timedelta(hours=2)), np.int64(3600), now) == "fresh"


@hsettings(max_examples=300, deadline=None)
@given(age_s=st.integers(min_value=-86400, max_value=30 * 86400), cad=st.integers(min_value=1, max_value=86400 * 400))
def test_freshness_is_age_against_two_cadences(age_s, cad):
    now = datetime(2026, 7, 15, 12, 0)
    got = fr.freshness(now - timedelta(seconds=age_s), cad, now)
    assert got == ("fresh" if age_s <= fr.STALE_FACTOR * cad else "stale")


def test_clock_fixed_or_real():
    fixed = datetime(2026, 7, 16, 12, 0)
    assert fr.clock(fixed) == fixed
    real = fr.clock(None)
    assert real.tzinfo is None
    assert abs((real - datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(hours=8)).total_seconds()) < 120  # China Standard Time


# ------------------------------------------------------------------ scope (real store)

@pytest.fixture(scope="module")
def store(built_store):
    from tests.conftest import app_context

    with app_context(built_store) as ctx:
        yield ctx.store


ZS_DISTRICTS = ("330902", "330903", "330921", "330922")


def _scoped_counts(store, table: str, region: str) -> dict[str, int]:
    cond, p = scope.in_region("region_code", region)
    df = store.df(f"SELECT region_code, count(*) AS n FROM {table} WHERE {cond} GROUP BY 1", p)
    return dict(zip(df["region_code"], df["n"].astype(int)))


def _direct_counts(store, table: str, codes: list[str]) -> dict[str, int]:
    df = store.df(f"SELECT region_code, count(*) AS n FROM {table} WHERE list_contains(?, region_code) GROUP BY 1",
                  [codes])
    return dict(zip(df["region_code"], df["n"].astype(int)))


@pytest.mark.parametrize("table", ["observations", "entities", "events"])
def test_scope_district_never_includes_city_rows(store, table):
    for d in ZS_DISTRICTS:
        got = _scoped_counts(store, table, d)
        assert "330900" not in got, (table, d, got)
        assert got == _direct_counts(store, table, [d]), (table, d)


@pytest.mark.parametrize("table", ["observations", "entities", "events"])
def test_scope_city_includes_its_districts(store, table):
    got = _scoped_counts(store, table, "330900")
    assert got == _direct_counts(store, table, ["330900", *ZS_DISTRICTS])
    assert got.get("330900", 0) > 0
    if table == "observations":  # the districts have rows of their own (fisheries), and the city shows them
        assert any(got.get(d, 0) > 0 for d in ZS_DISTRICTS), got
    # a city's figure is the sum of its own rows and its districts', nothing counted twice
    total = store.scalar(f"SELECT count(*) FROM {table} WHERE {scope.sql()}", scope.params("330900"))
    assert total == sum(_scoped_counts(store, table, d).get(d, 0) for d in ZS_DISTRICTS) + got["330900"]


@pytest.mark.parametrize("region", ["330225", "370215", "341623", "210800"])
def test_scope_top_regions_are_their_own_rows(store, region):
    for table in ("observations", "entities", "events"):
        assert _scoped_counts(store, table, region) == _direct_counts(store, table, [region])


def test_district_inherits_city_coverage(store):
    cov = scope.coverage_map(store, "330902")
    # the coverage table lists only boundaries and fisheries for the district; the rest comes from 330900
    assert cov["fisheries"][0] is True and cov["traffic"][0] is True and cov["emergency"][0] is True
    assert scope.applicable(store, "341623", "fisheries")[0] is False
    assert "内陆" in (scope.applicable(store, "341623", "fisheries")[1] or "")


# ------------------------------------------------------------------ running periods

TOP = ("330225", "330900", "370215", "341623", "210800")


def _accidents(store, region: str, start: datetime, end: datetime) -> int:
    """Traffic accidents reported in [start, end] in the region (itself and its districts), direct SQL."""
    codes = [region] + store.df("SELECT region_code FROM regions WHERE parent_code = ?", [region])["region_code"].tolist()
    return int(store.scalar("""SELECT count(*) FROM events WHERE kind = 'traffic_accident'
                               AND list_contains(?, region_code) AND reported_at >= ? AND reported_at <= ?""",
                            [codes, start, end]))


@pytest.mark.parametrize("region", TOP)
def test_running_day_is_marked_partial(store, region):
    q = store.df("""SELECT ts, quality FROM observations WHERE indicator_id = 'traffic_accidents_daily'
                    AND region_code = ? AND entity_id IS NULL ORDER BY ts DESC LIMIT 2""", [region])
    assert len(q) == 2
    assert q["ts"][0].to_pydatetime() == datetime(2026, 7, 15) and periods.is_running(q["quality"][0])
    assert not periods.is_running(q["quality"][1])
    assert not periods.is_running(None) and not periods.is_running(float("nan"))


@pytest.mark.parametrize("region", TOP)
def test_running_day_compares_the_same_hours(store, region):
    at = TEST_ANCHOR  # 12:00: the day has run 12 hours
    day = datetime(2026, 7, 15)
    running = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'traffic_accidents_daily'
                              AND region_code = ? AND entity_id IS NULL AND ts = ?""", [region, day])
    # the running value itself counts the events of [00:00, 12:00] (what the comparison must mirror)
    assert running == _accidents(store, region, day, at)
    d1, d7 = periods.comparisons(store, region, "traffic_accidents_daily", day, at)
    assert d1 == _accidents(store, region, day - timedelta(days=1), at - timedelta(days=1))
    assert d7 == _accidents(store, region, day - timedelta(days=7), at - timedelta(days=7))
    # and not the whole previous day (the former comparison)
    whole = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'traffic_accidents_daily'
                            AND region_code = ? AND entity_id IS NULL AND ts = ?""", [region, day - timedelta(days=1)])
    assert whole == _accidents(store, region, day - timedelta(days=1), day - timedelta(microseconds=1))


def test_same_hours_for_an_indicator_without_source_is_none(store):
    assert periods.same_hours(store, "330225", "congestion_index", datetime(2026, 7, 14), datetime(2026, 7, 14, 12)) is None
