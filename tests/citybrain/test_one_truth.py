"""One truth on every screen (issue 11): the cockpit header, /map, the wall ticker and
GET /api/v1/alarms show the same alarm set; the map's entity statuses are the set's statuses; the
舟山 lost-contact vessel is raised everywhere; stale feeds are said alike on /, /d/*, /catalog and
/wall; a running day says so and compares with the same hours of yesterday."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from dash.development.base_component import Component

from citybrain.app_factory import create_app
from tests.conftest import TEST_ANCHOR
from citybrain import ui

TOP = ("330225", "330900", "370215", "341623", "210800")
ZS_DISTRICTS = ("330902", "330903", "330921", "330922")
REGIONS = TOP + ZS_DISTRICTS
STALE = "数据超时"


# ------------------------------------------------------------------ helpers

def walk(c):
    yield c
    if isinstance(c, Component):
        for x in c._traverse():
            yield x


def by_id(tree, cid):
    hits = [c for c in walk(tree) if isinstance(c, Component) and getattr(c, "id", None) == cid]
    return hits[0] if hits else None


def text(c) -> str:
    """All text under a component, in order."""
    if c is None:
        return ""
    if isinstance(c, (str, int, float)):
        return str(c)
    if isinstance(c, (list, tuple)):
        return "".join(text(x) for x in c)
    if isinstance(c, Component):
        return text(getattr(c, "children", None))
    return ""


def classes(c) -> str:
    return getattr(c, "className", "") or ""


def strong_number(span) -> int:
    strongs = [c for c in walk(span) if type(c).__name__ == "Strong"]
    assert len(strongs) == 1, span
    return int(text(strongs[0]))


@pytest.fixture(scope="module")
def app(built_store):
    return create_app(built_store)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def store(app):
    """The app's store, with the app's context pushed for the module (pages read it)."""
    from citybrain import context

    with app.server.app_context():
        yield app.server.extensions[context.EXTENSION].store


@pytest.fixture(scope="module")
def anchor(store):
    from citybrain import queries

    at = queries.anchor(store)
    assert at == TEST_ANCHOR
    return at


def api_alarms(client, region: str) -> dict:
    r = client.get(f"/api/v1/alarms?region={region}")
    assert r.status_code == 200, r.data[:300]
    body = r.get_json()
    assert body["region"] == region
    assert body["count"] == len(body["rows"]) == body["alarm"] + body["warning"]
    return body


def in_scope_codes(store, region: str) -> set[str]:
    kids = store.df("SELECT region_code FROM regions WHERE parent_code = ?", [region])["region_code"].tolist()
    return {region, *kids}


# ------------------------------------------------------------------ the alarm set on every screen

@pytest.mark.parametrize("region", REGIONS)
def test_header_map_wall_and_api_show_one_alarm_set(app, client, store, anchor, region):
    import dashboards.overview as overview
    from citybrain.semantics.alarms import alarm_set
    from dashboards.map import callbacks as mcb
    from dashboards.map import panels as mp
    from dashboards.wall import alerts as wall_alerts
    from layers.registry import all_layers

    api = api_alarms(client, region)
    ids = [r["id"] for r in api["rows"]]
    assert len(ids) == len(set(ids)), "duplicate ids in the alarm set"
    sev = [r["severity"] for r in api["rows"]]
    assert sev == sorted(sev, key=lambda s: 0 if s == "alarm" else 1), "alarms first"
    assert set(sev) <= {"alarm", "warning"}

    # the cockpit header (the memoised page and a fresh build)
    for build in (overview.layout, overview.layout.uncached):
        page = build(region=region, lang="zh")
        a = strong_number(by_id(page, "overview-alarm-count"))
        w = strong_number(by_id(page, "overview-warn-count"))
        assert (a, w) == (api["alarm"], api["warning"]), (region, build, (a, w), api["alarm"], api["warning"])

    # /map: what the map callback sends to the alert list (every layer, every sub-layer), and the list
    # function with no limit
    subs = {la.id: [s.id for s in la.sublayers] for la in all_layers()}
    out = mcb.render({"region": region, "lang": "zh"}, mp.window_of(store, region, "24h"), None,
                     [la.id for la in all_layers()], subs)
    assert out["ctx"].at == anchor
    for items in (out["alerts"], mp.alerts(alarm_set(store, region, anchor), "zh", limit=10 ** 6)):
        # at the present each item is wrapped with its acknowledgement line: the item is the first child
        items = [c.children[0] if "map-alert-item" in classes(c).split() else c for c in items]
        shown = [c for c in items if "map-alert" in classes(c).split()]
        more = [c for c in items if text(c).startswith("… +")]
        n_more = int(text(more[0])[3:]) if more else 0
        assert len(shown) + n_more == api["count"], (region, len(shown), n_more, api["count"])
        got_ids = []
        for c in shown:
            cid = c.id
            got_ids.append(f"{cid['index'].replace('|', ':', 1)}" if isinstance(cid, dict) else cid[len("map-alert-"):])
            assert f"cb-{'alarm' if 'cb-alarm' in classes(c) else 'warning'}" in classes(c)
        assert got_ids == ids[:len(shown)], region
        if not api["count"]:
            assert any("map-empty" in classes(c) for c in items)

    # the map's per-layer counts (▲ warnings, ■ alarms) are the set's items of that layer
    for c in walk(out["counts"]):
        cid = getattr(c, "id", None) if isinstance(c, Component) else None
        if isinstance(cid, str) and cid.startswith("map-count-") and "map-count-" in cid:
            lid = cid[len("map-count-"):]
            w_ = next(x for x in walk(c) if "map-count-w" in classes(x))
            a_ = next(x for x in walk(c) if "map-count-a" in classes(x))
            n_w = int(text(w_).split()[-1])
            n_a = int(text(a_).split()[-1])
            want_w = sum(1 for r in api["rows"] if r["id"].startswith(lid + ":") and r["severity"] == "warning")
            want_a = sum(1 for r in api["rows"] if r["id"].startswith(lid + ":") and r["severity"] == "alarm")
            assert (n_w, n_a) == (want_w, want_a), (region, lid, (n_w, n_a), (want_w, want_a))

    # the wall ticker: the first 30 items, and the counts of the whole set
    items = wall_alerts.alert_items(store, region, "zh", anchor)
    assert [i[0] for i in items] == ids[:wall_alerts.MAX_ITEMS]
    assert [i[1] for i in items] == sev[:wall_alerts.MAX_ITEMS]
    parts = wall_alerts.ticker_parts(store, region, "zh", anchor)
    track = " ".join(text(c) for p in parts for c in walk(p.comp) if "wall-tick-count" in classes(c))
    ticks = [c for p in parts for c in walk(p.comp)
             if isinstance(c, Component) and ("wall-tick-alarm" in classes(c) or "wall-tick-warning" in classes(c))]
    if api["count"]:
        m = re.search(r"告警 (\d+) 项 · 预警 (\d+) 项", track)
        assert m, track
        assert (int(m.group(1)), int(m.group(2))) == (api["alarm"], api["warning"])
        assert len(ticks) == 2 * min(api["count"], wall_alerts.MAX_ITEMS)  # the track holds the items twice
    else:
        assert not ticks
        assert "当前无预警告警" in " ".join(text(p.comp) for p in parts)


@pytest.mark.parametrize("region", REGIONS)
def test_entity_statuses_agree_with_the_map(client, store, region):
    """Every layer item of the alarm set is a GeoJSON feature with that status, every GeoJSON feature in
    warning/alarm is in the set, and every feature that is an entity or event lies in the region's scope."""
    from layers.registry import all_layers

    api = api_alarms(client, region)
    rows = {r["id"]: r for r in api["rows"]}
    scope_codes = in_scope_codes(store, region)
    raised_on_map: set[str] = set()
    checked = 0
    homes = {}
    for la in all_layers():
        r = client.get(f"/api/v1/layers/{la.id}.geojson?region={region}")
        assert r.status_code == 200, (la.id, r.data[:200])
        fc = r.get_json()
        assert fc["at"].startswith("2026-07-15T12:00")
        status = {}
        for f in fc["features"]:
            p = f["properties"]
            status[str(p["id"])] = p["status"]
            if p["status"] in ("warning", "alarm"):
                raised_on_map.add(f"{la.id}:{p['id']}")
        for aid, row in rows.items():
            lid, _, fid = aid.partition(":")
            if lid != la.id:
                continue
            assert fid in status, (region, aid, "not on the map")
            assert status[fid] == row["severity"], (region, aid, status[fid], row["severity"])
            checked += 1
        ids = sorted({str(i).split("#")[0] for i in status})
        if ids:
            df = store.df("""SELECT entity_id AS id, region_code FROM entities WHERE list_contains(?, entity_id)
                             UNION ALL SELECT event_id, region_code FROM events WHERE list_contains(?, event_id)""",
                          [ids, ids])
            homes.update(dict(zip(df["id"], df["region_code"])))
    assert checked == sum(1 for a in rows if not a.startswith("kpi:"))
    missing = sorted(raised_on_map - set(rows))
    assert not missing, (region, "on the map in warning/alarm but not in the alarm set", missing[:10])
    outside = sorted(i for i, code in homes.items() if code not in scope_codes)
    assert not outside, (region, "map features of rows outside the region's scope", outside[:10])
    for a, row in rows.items():
        assert row["region_code"] in scope_codes, (region, a, row["region_code"])


def test_alarm_rows_are_complete_json(client):
    body = api_alarms(client, "330225")
    assert body["count"] > 0
    cols = ["id", "severity", "region_code", "domain", "indicator_id", "entity_id", "value", "threshold",
            "raised_at", "title_zh", "title_en",
            # the life cycle of each alarm (citybrain.ops.alarms)
            "state", "acknowledged_by", "acknowledged_at", "silenced_until", "escalation_level", "escalated_at"]
    for r in body["rows"]:
        assert list(r) == cols or set(r) == set(cols)
        assert r["title_zh"] and r["title_en"] and r["raised_at"]
        datetime.fromisoformat(r["raised_at"])
    # the 象山 case of the issue: the header said 0 while /map listed red depots
    assert body["alarm"] >= 1
    assert any(r["indicator_id"] == "depot_reserve_ratio" and r["severity"] == "alarm" for r in body["rows"])


# ------------------------------------------------------------------ the 舟山 lost-contact vessel

def _lost_contact_moment(store) -> datetime:
    """The latest moment at which Zhoushan's fleet has a vessel in alarm (region-level indicator)."""
    ts = store.scalar("""SELECT max(ts) FROM observations WHERE indicator_id = 'vessels_alarm' AND region_code = '330900'
                         AND entity_id IS NULL AND value >= 1""")
    assert ts is not None
    return pd.Timestamp(ts).to_pydatetime()


def test_zhoushan_alarm_vessels_are_in_the_set_now(client, store, anchor):
    from layers.registry import cached_features

    feats = cached_features(store, "fisheries", "330900", anchor)
    bad = feats[feats["status"] == "alarm"]["id"].tolist()
    ids = {r["id"] for r in api_alarms(client, "330900")["rows"]}
    assert {f"fisheries:{i}" for i in bad} <= ids


def test_zhoushan_lost_contact_vessel_is_raised_on_every_screen(client, store):
    """At a moment the fleet has a lost-contact vessel: the map (GeoJSON at that moment) shows it in alarm,
    the alarm set holds it, and the set's vessels are as many as the "告警渔船数" card counts."""
    from citybrain.semantics.alarms import alarm_set

    m = _lost_contact_moment(store)
    n_card = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'vessels_alarm' AND region_code = '330900'
                             AND entity_id IS NULL AND ts = ?""", [m])
    fc = client.get(f"/api/v1/layers/fisheries.geojson?region=330900&at={m:%Y-%m-%dT%H:%M}").get_json()
    on_map = {f["properties"]["id"] for f in fc["features"]
              if f["properties"]["status"] == "alarm" and str(f["properties"]["kind"]).startswith("vessel")}
    assert on_map, "no lost-contact vessel on the map"
    s = alarm_set(store, "330900", m)
    vessels = s[s["id"].str.startswith("fisheries:") & (s["severity"] == "alarm")]
    assert {i.partition(":")[2] for i in vessels["id"]} == on_map
    assert len(vessels) == n_card, (len(vessels), n_card)
    assert all("失联" in t_ for t_ in vessels["title_zh"])


def test_zhoushan_alarm_vessel_card_is_not_normal(app, store):
    """'告警渔船数 1艘' must not show '● 正常' (manifest thresholds of vessels_alarm)."""
    from citybrain import kpi

    m = _lost_contact_moment(store)
    with app.server.app_context():
        kv = kpi.kpi_values(store, "330900", ("vessels_alarm",), m)[0]
        assert kv.value is not None and kv.value >= 1
        card = ui.card("fisheries", kv, "zh", m)
    badge = next(c for c in walk(card) if "kpi-status" in classes(c))
    ind = kpi.definitions(store)["vessels_alarm"]
    assert kv.status != "normal" and "正常" not in text(badge), (
        f"vessels_alarm={kv.value} shows {text(badge)!r}; thresholds warn={ind.warn} alarm={ind.alarm}")


@pytest.mark.parametrize("district", ZS_DISTRICTS)
def test_zhoushan_district_vessel_card_agrees_with_its_map(store, district):
    """A district's "告警渔船数" card counts the vessels its own map and alarm set show (one scope)."""
    from citybrain.semantics.alarms import alarm_set
    from layers.registry import cached_features

    moments = store.df("""SELECT ts, value FROM observations WHERE indicator_id = 'vessels_alarm'
                          AND region_code = '330900' AND entity_id IS NULL AND value >= 1
                          ORDER BY ts DESC LIMIT 3""")
    assert len(moments)
    for m in moments["ts"]:
        m = pd.Timestamp(m).to_pydatetime()
        card = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'vessels_alarm' AND region_code = ?
                               AND entity_id IS NULL AND ts <= ? ORDER BY ts DESC LIMIT 1""", [district, m])
        feats = cached_features(store, "fisheries", district, m)
        on_map = int((feats["status"] == "alarm").sum()) if len(feats) else 0
        s = alarm_set(store, district, m)
        in_set = int((s["id"].str.startswith("fisheries:") & (s["severity"] == "alarm")).sum())
        assert on_map == in_set
        assert (card or 0) == on_map, (district, m, f"card {card}", f"map/alarm set {on_map}")


@pytest.mark.parametrize("region", TOP)
def test_open_incidents_card_counts_its_list(store, anchor, region):
    """The 在办事件数 card equals the rows of the emergency page's open-incident list (the traffic
    page's accidents and evacuations are neither), at the anchor and a day before."""
    from citybrain.queries import kpi as qk

    for at in (anchor, anchor - timedelta(days=1)):
        card = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'open_incidents'
                               AND region_code = ? AND entity_id IS NULL AND ts <= ? ORDER BY ts DESC LIMIT 1""",
                            [region, at])
        ts = store.scalar("""SELECT max(ts) FROM observations WHERE indicator_id = 'open_incidents'
                             AND region_code = ? AND entity_id IS NULL AND ts <= ?""", [region, at])
        listed = qk.open_incidents(store, region, pd.Timestamp(ts).to_pydatetime())
        assert card == len(listed), (region, at, f"card {card}", f"list {len(listed)}")


# ------------------------------------------------------------------ stale shown alike

@pytest.fixture
def clock(app):
    """Set the one clock: the app's settings (``Settings.clock``) in the app's context, which every
    page, the wall and the catalog read (``citybrain.context``)."""
    from dataclasses import replace

    from citybrain import context

    before = app.server.extensions[context.EXTENSION]

    def set_(when: datetime):
        ctx = app.server.extensions[context.EXTENSION]
        settings = ctx.settings.model_copy(update={"clock": when})
        context.install(app.server, replace(ctx, settings=settings))
        app.server.config["CITYBRAIN_SETTINGS"] = settings
        return when

    yield set_
    context.install(app.server, before)
    app.server.config["CITYBRAIN_SETTINGS"] = before.settings


def expected_stale(store, region: str, now: datetime) -> set[str]:
    """Direct SQL: datasets applicable to the region (its coverage row, else its parent's) whose newest
    observation in the region (itself and its districts) is older than two cadences."""
    parent = store.scalar("SELECT parent_code FROM regions WHERE region_code = ?", [region])
    df = store.df("""
        SELECT d.name, d.cadence_s,
               coalesce((SELECT applicable FROM coverage c WHERE c.dataset = d.name AND c.region_code = ?),
                        (SELECT applicable FROM coverage c WHERE c.dataset = d.name AND c.region_code = ?), true) AS ok,
               (SELECT max(ts) FROM observations o WHERE o.dataset = d.name AND (o.region_code = ? OR
                    o.region_code IN (SELECT region_code FROM regions WHERE parent_code = ?))) AS last_ts
        FROM datasets d""", [region, parent, region, region])
    return {r.name for r in df.itertuples() if r.ok and pd.notna(r.last_ts)
            and (now - pd.Timestamp(r.last_ts).to_pydatetime()).total_seconds() > 2 * r.cadence_s}


def _stale_note_domains(page, prefix: str) -> set[str] | None:
    """The datasets a page's stale note names (None: no note)."""
    from citybrain.i18n import domain_label

    note = by_id(page, f"{prefix}-stale")
    if note is None:
        return None
    s = text(note)
    assert STALE in s
    body = s.split(" · ", 1)[1] if " · " in s else s
    return {d for d in ("fisheries", "traffic", "water", "emergency", "typhoon", "targets", "boundaries")
            if domain_label(d, "zh") in body}


def _stale_series(store, region: str, ids: tuple[str, ...], defs, now) -> set[str]:
    """Indicators whose latest region-level value (at or before the store's anchor) is older than two
    of their own cadences at ``now`` (direct SQL, not the product's code)."""
    df = store.df("""SELECT indicator_id, max(ts) AS ts FROM observations
                     WHERE region_code = ? AND entity_id IS NULL AND list_contains(?, indicator_id)
                       AND ts <= (SELECT value::TIMESTAMP FROM meta WHERE key = 'anchor')
                     GROUP BY indicator_id""", [region, list(ids)])
    return {r.indicator_id for r in df.itertuples()
            if (now - r.ts.to_pydatetime()).total_seconds() > 2 * defs[r.indicator_id].cadence_s}


def _cards_marked(page, prefix: str) -> dict[str, bool]:
    out = {}
    for c in walk(page):
        cid = getattr(c, "id", None) if isinstance(c, Component) else None
        if isinstance(cid, dict) and cid.get("type") == f"{prefix}-kpi":
            out[cid["ind"]] = any("cb-stale-badge" in classes(x) for x in walk(c))
    return out


OFFSETS = {"anchor": timedelta(0), "30min": timedelta(minutes=30), "1day": timedelta(days=1)}


@pytest.mark.parametrize("offset", list(OFFSETS), ids=list(OFFSETS))
@pytest.mark.parametrize("region", TOP + ("330902",))
def test_stale_is_said_alike_everywhere(app, store, anchor, clock, region, offset):
    import dashboards.catalog as catalog
    import dashboards.overview as overview
    import dashboards.traffic as traffic
    from citybrain import kpi
    from citybrain.semantics import freshness as fr
    from dashboards.wall import playlist as pl
    from dashboards.wall import view as wall

    now = clock(anchor + OFFSETS[offset])
    want = expected_stale(store, region, now)
    if offset == "anchor":
        assert want == set()
    elif region != "330902":
        assert {"traffic"} <= want  # a 5-minute feed half an hour late is overdue
        if offset == "30min":
            assert "water" not in want and "emergency" not in want  # hourly feeds are not yet
    defs = kpi.definitions(store)
    with app.server.app_context():
        assert fr.now() == now
        assert pl.real_now() == now
        # / : the note, and each card of a stale feed
        page = overview.layout(region=region, lang="zh")
        mods = set(overview.MODULE.datasets)
        named = _stale_note_domains(page, "overview")
        assert (named or set()) == want & mods, (region, offset, named, want & mods)
        if not want & mods:
            assert STALE not in str(page)
        cards = _cards_marked(page, "overview")
        assert cards
        # a card is stale when its own series is overdue against its own cadence (as its catalog row)
        assert {i for i, m in cards.items() if m} == _stale_series(store, region, tuple(cards), defs, now)
        # /d/traffic
        page = traffic.layout(region=region, lang="zh")
        named = _stale_note_domains(page, "traffic")
        assert (named or set()) == want & {"traffic"}, (region, offset, named)
        if "traffic" not in want:
            assert STALE not in str(page)
        # /catalog: the rows of the datasets that have a series in the region
        grid = catalog.dataset_table(region, "zh")
        with_series = {d for d in grid["dataset"] if d in mods and region_has_series(store, region, d)}
        stale_rows = set(grid[grid["freshness"].str.contains(STALE)]["dataset"])
        assert stale_rows & with_series == want & with_series, (region, offset, stale_rows, want)
        # /wall: the panels of the overview step, judged at the wall's clock (no now= parameter)
        wall_now = pl.real_now()
        for panel in wall.step_panels(pl.STEPS["overview"]):
            state, _last, stale = wall.panel_state(store, region, panel, wall_now)
            assert set(stale) == want & set(panel.datasets), (region, offset, panel.name, stale)
            if stale:
                assert state == "stale"
                head = wall.head(panel, "zh", state, _last, stale, wall_now)
                assert STALE in " ".join(text(h) for h in head)
            else:
                assert state != "stale"


def region_has_series(store, region: str, dataset: str) -> bool:
    return bool(store.scalar("""SELECT count(*) FROM observations WHERE dataset = ? AND (region_code = ? OR
                                region_code IN (SELECT region_code FROM regions WHERE parent_code = ?))""",
                             [dataset, region, region]))


def test_app_settings_clock_is_the_clock(built_store, anchor):
    """create_app(settings) with ``clock`` set: the pages judge freshness at that clock (no environment
    variable, no module global to reset)."""
    import dashboards.overview as overview
    from citybrain.semantics import freshness as fr

    assert "CITYBRAIN_CLOCK" not in os.environ
    app = create_app(built_store.model_copy(update={"clock": anchor}))
    with app.server.test_request_context("/?region=330225"):
        assert fr.now() == anchor, f"freshness.now() is {fr.now()}, the app's settings say {anchor}"
        page = overview.layout.uncached(region="330225", lang="zh")
        assert by_id(page, "overview-stale") is None and STALE not in str(page)


@pytest.mark.parametrize("region", TOP)
def test_catalog_indicator_rows_agree_with_the_cards(app, store, anchor, clock, region):
    """A day after the anchor, an overview card says stale exactly when the catalog's row of its
    indicator does (one rule per meaning: the same card cannot be fresh in /catalog and stale on /)."""
    import dashboards.catalog as catalog
    import dashboards.overview as overview

    clock(anchor + timedelta(days=1))
    with app.server.app_context():
        cards = _cards_marked(overview.layout(region=region, lang="zh"), "overview")
        ind = catalog.indicator_table(region, "zh")
    col = "indicator_id" if "indicator_id" in ind.columns else ind.columns[0]
    cat = {r[col]: STALE in str(r["freshness"]) for _, r in ind.iterrows()}
    differ = {i: (m, cat.get(i)) for i, m in cards.items() if cat.get(i) != m}
    assert not differ, (region, "indicator: (card stale, catalog stale)", differ)


# ------------------------------------------------------------------ running day

@pytest.mark.parametrize("region", TOP)
def test_running_day_card_says_so_and_compares_same_hours(app, store, anchor, region):
    import dashboards.traffic as traffic

    with app.server.app_context():
        page = traffic.layout(region=region, lang="zh")
    card = next(c for c in walk(page) if isinstance(c, Component)
                and getattr(c, "id", None) == {"type": "traffic-kpi", "ind": "traffic_accidents_daily"})
    s = text(card)
    assert "进行中" in s and "今日截至 12:00（进行中）" in s, s
    deltas = [text(c) for c in walk(card) if "kpi-delta" in classes(c)]
    assert deltas and deltas[0].startswith("较昨日同时段"), deltas
    assert all("同时段" in d for d in deltas), deltas
    # the change shown is against the same hours of yesterday (direct SQL), not yesterday's whole day
    day = datetime(2026, 7, 15)
    now_v = store.scalar("""SELECT value FROM observations WHERE indicator_id = 'traffic_accidents_daily'
                            AND region_code = ? AND entity_id IS NULL AND ts = ?""", [region, day])
    y = store.scalar("""SELECT count(*) FROM events WHERE kind = 'traffic_accident' AND region_code = ?
                        AND reported_at >= ? AND reported_at <= ?""",
                     [region, day - timedelta(days=1), anchor - timedelta(days=1)])
    d = int(now_v - y)
    want = f"{'↑+' if d > 0 else ('↓' if d < 0 else '→')}{d}起"
    assert deltas[0].replace(" ", "").endswith(want), (deltas[0], want)
    # a card of a whole period keeps the plain labels
    other = next(c for c in walk(page) if isinstance(c, Component)
                 and getattr(c, "id", None) == {"type": "traffic-kpi", "ind": "congestion_index"})
    od = [text(c) for c in walk(other) if "kpi-delta" in classes(c)]
    assert od and od[0].startswith("较昨日") and "同时段" not in od[0] and "进行中" not in text(other)


@pytest.mark.parametrize("region", TOP)
def test_running_day_on_the_wall_says_the_same(app, store, anchor, region):
    """The wall's KPI tile of a running day uses the same wording and comparison as the cockpit card."""
    from citybrain import kpi
    from dashboards.wall import panels

    with app.server.app_context():
        kv = kpi.kpi_values(store, region, ("traffic_accidents_daily",), anchor)[0]
        tile = panels.kpi_card(kv, "zh").comp
    s = text(tile)
    assert "今日截至 12:00（进行中）" in s and "较昨日同时段" in s and "截至 07-15 00:00" not in s, s
