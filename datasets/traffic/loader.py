"""Loader of the traffic dataset (智慧交通): places from data/, simulated flows, congestion, overload, accidents.

Shipped files are hand-placed checkpoints / overload stations, road-segment polylines and accident black
spots (WGS-84, approximate). Everything that moves — 5-minute flows, hourly speeds and congestion index,
hourly weigh-in-motion counts and 90 days of accidents with their life cycle — is generated here from
``ctx.rng`` and ``ctx.anchor``; the manifest's ``assumptions`` document every parameter.
"""

from __future__ import annotations

import json
import numpy as np
import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.sim import time_index, traffic_profile

#: Peak-hour utilisation of capacity at checkpoints, by road class (uniform range).
UTIL = {"expressway": (0.20, 0.40), "national": (0.35, 0.60), "provincial": (0.30, 0.55),
        "urban": (0.55, 0.85), "county": (0.25, 0.45)}
#: Peak volume/capacity ratio of road segments, by road class (uniform range).
VC_PEAK = {"expressway": (0.40, 0.75), "national": (0.70, 1.05), "provincial": (0.55, 0.90),
           "urban": (0.95, 1.25), "county": (0.35, 0.65)}
#: Base share of weighed trucks that are over the limit, by region.
OVERLOAD_P = {"330225": 0.005, "330900": 0.004, "370215": 0.006, "341623": 0.010, "210800": 0.012}
#: Mean accidents per day, by region.
ACCIDENTS_PER_DAY = {"330225": 5.0, "330900": 6.0, "370215": 8.0, "341623": 4.0, "210800": 7.0}
#: Share of accidents at the region's black spots, and severity mix (minor, general, serious, major).
SPOT_SHARE = 0.15
SEVERITY_P = [0.685, 0.30, 0.013, 0.002]
#: TPI = 10 * (1 - speed ratio) / TPI_SPAN, clipped to 0..10 (see manifest assumptions).
TPI_SPAN = 0.75


def _fmt_json(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def _check_places(ctx: LoadContext, cps: pd.DataFrame, segs: pd.DataFrame, spots: pd.DataFrame) -> None:
    """Every point and every segment vertex must lie on land inside its region."""
    for file, frame in (("data/checkpoints.csv", cps), ("data/black_spots.csv", spots)):
        for i, r in enumerate(frame.itertuples(), start=2):
            if not shapely.contains_xy(ctx.land(r.region_code), r.lon, r.lat):
                raise DataError(f"({r.lon}, {r.lat}) is not on land in region {r.region_code}",
                                dataset=ctx.name, file=file, row=i, field="lon")
            if r.segment_id not in set(segs["segment_id"]):
                raise DataError(f"unknown segment {r.segment_id!r}", dataset=ctx.name, file=file, row=i,
                                field="segment_id")
    for i, r in enumerate(segs.itertuples(), start=1):
        xy = shapely.get_coordinates(r.geometry)
        ok = shapely.contains_xy(ctx.land(r.region_code), xy[:, 0], xy[:, 1])
        if r.geometry.geom_type != "LineString" or not ok.all():
            raise DataError("segment must be a LineString with every vertex on land in its region",
                            dataset=ctx.name, file="data/segments.geojson", row=i, field="geometry")


def _obs(indicator: str, region: np.ndarray | str, entity: np.ndarray | None, ts: np.ndarray,
         value: np.ndarray, quality: np.ndarray | str = "good") -> pd.DataFrame:
    n = len(value)
    return pd.DataFrame({
        "indicator_id": indicator,
        "region_code": np.broadcast_to(np.asarray(region, dtype=object), (n,)),
        "entity_id": np.full(n, None, dtype=object) if entity is None else np.asarray(entity, dtype=object),
        "ts": np.asarray(ts, dtype="datetime64[us]"),
        "value": np.asarray(value, dtype="float64"),
        "quality": np.broadcast_to(np.asarray(quality, dtype=object), (n,)),
        "simulated": True})


def _grid(indicator: str, ids: pd.Series, regions: pd.Series, ts: pd.DatetimeIndex,
          values: np.ndarray) -> pd.DataFrame:
    """Long rows from a (time, entity) matrix, time-major."""
    nt, ne = values.shape
    return _obs(indicator, np.tile(regions.to_numpy(dtype=object), nt), np.tile(ids.to_numpy(dtype=object), nt),
                np.repeat(ts.to_numpy(), ne), values.ravel())


def _regional(indicator: str, regions: pd.Series, ts: pd.DatetimeIndex, values: np.ndarray,
              weights: np.ndarray | None = None, quality: np.ndarray | None = None) -> pd.DataFrame:
    """Region-level rows (entity null): sum, or weighted mean when ``weights`` is given."""
    frames = []
    for code in sorted(regions.unique()):
        sel = (regions == code).to_numpy()
        if weights is None:
            v = values[:, sel].sum(axis=1)
        else:
            w = weights[:, sel]
            v = (values[:, sel] * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9)
        frames.append(_obs(indicator, code, None, ts, v, "good" if quality is None else quality))
    return pd.concat(frames, ignore_index=True)


def _day_factor(rng: np.random.Generator, ts: pd.DatetimeIndex, regions: pd.Series, sd: float) -> np.ndarray:
    """A (time, entity) factor that varies by region and calendar day (weather, events)."""
    days = ts.normalize()
    uniq = days.unique()
    codes = sorted(regions.unique())
    f = 1.0 + sd * rng.standard_normal((len(uniq), len(codes)))
    di = uniq.get_indexer(days)
    ri = np.array([codes.index(c) for c in regions])
    return f[di][:, ri]


def _weekday_peak() -> float:
    return float(traffic_profile(pd.date_range("2024-01-01", periods=288, freq="5min")).max())


def _flows(ctx: LoadContext, cps: pd.DataFrame, seg_class: dict[str, str]) -> list[pd.DataFrame]:
    rng = ctx.rng("flows")
    cp = cps[cps["kind"] == "checkpoint"].reset_index(drop=True)
    ts = time_index(ctx.anchor, ctx.days, "5min")
    lo, hi = np.array([UTIL[seg_class[s]] for s in cp["segment_id"]]).T
    peak = cp["capacity_veh_h"].to_numpy(dtype="float64") * rng.uniform(lo, hi)
    shape = traffic_profile(ts)[:, None] / _weekday_peak()
    rate = peak[None, :] * shape * _day_factor(rng, ts, cp["region_code"], 0.04)
    rate *= rng.lognormal(0.0, 0.08, rate.shape)
    flow = rng.poisson(rate / 12.0) * 12.0
    return [_grid("traffic_flow", cp["id"], cp["region_code"], ts, flow),
            _regional("traffic_flow", cp["region_code"], ts, flow)]


def _segment_states(ctx: LoadContext, segs: pd.DataFrame, events: pd.DataFrame) -> list[pd.DataFrame]:
    rng = ctx.rng("segments")
    ts = time_index(ctx.anchor, ctx.days, "1h")
    lo, hi = np.array([VC_PEAK[c] for c in segs["road_class"]]).T
    vc = rng.uniform(lo, hi)
    x = vc[None, :] * traffic_profile(ts)[:, None] / _weekday_peak()
    x = x * _day_factor(rng, ts, segs["region_code"], 0.04) * rng.lognormal(0.0, 0.06, x.shape)
    boost = {"minor": 1.1, "general": 1.25, "serious": 1.5, "major": 1.5}
    col = {s: j for j, s in enumerate(segs["segment_id"])}
    anchor = np.datetime64(ctx.anchor, "us")
    t0 = ts.to_numpy()
    recent = events[events["resolved_at"].isna() | (events["resolved_at"] >= ts[0])]
    for e in recent.itertuples():
        seg = json.loads(e.properties)["segment_id"]
        end = e.resolved_at if pd.notna(e.resolved_at) else anchor
        hit = (t0 < np.datetime64(end, "us")) & (t0 + np.timedelta64(1, "h") > np.datetime64(e.reported_at, "us"))
        if hit.any():
            x[hit, col[seg]] *= boost[e.severity]
    vf = segs["free_speed_kmh"].to_numpy(dtype="float64")
    ratio = 1.0 / (1.0 + 0.6 * x ** 4)
    speed = np.clip(vf * ratio * (1.0 + 0.03 * rng.standard_normal(x.shape)), 5.0, vf * 1.05)
    speed = np.round(speed, 1)
    tpi = np.round(np.clip(10.0 * (1.0 - speed / vf) / TPI_SPAN, 0.0, 10.0), 2)
    vkt = segs["length_km"].to_numpy(dtype="float64") * segs["capacity_veh_h"].to_numpy(dtype="float64") * x
    ids, regs = segs["segment_id"], segs["region_code"]
    return [_grid("road_speed", ids, regs, ts, speed), _grid("congestion_index", ids, regs, ts, tpi),
            _regional("road_speed", regs, ts, speed, vkt).round({"value": 1}),
            _regional("congestion_index", regs, ts, tpi, vkt).round({"value": 2})]


def _days(ctx: LoadContext) -> tuple[pd.Timestamp, pd.DatetimeIndex]:
    """Midnight of the first of 90 calendar days ending today, and the day index."""
    today = pd.Timestamp(ctx.anchor).normalize()
    return today - pd.Timedelta(days=89), pd.date_range(today - pd.Timedelta(days=89), today, freq="D")


def _overload(ctx: LoadContext, cps: pd.DataFrame, seg_class: dict[str, str]) -> list[pd.DataFrame]:
    rng = ctx.rng("overload")
    st = cps[cps["kind"] == "overload_station"].reset_index(drop=True)
    start, days = _days(ctx)
    th = pd.date_range(start, pd.Timestamp(ctx.anchor).floor("h"), freq="h").astype("datetime64[us]")
    lo, hi = np.array([UTIL[seg_class[s]] for s in st["segment_id"]]).T
    peak = (st["capacity_veh_h"].to_numpy(dtype="float64") * rng.uniform(lo, hi)
            * st["truck_share"].to_numpy(dtype="float64"))
    shape = 0.45 + 0.55 * traffic_profile(th)[:, None] / _weekday_peak()
    trucks = rng.poisson(peak[None, :] * shape * _day_factor(rng, th, st["region_code"], 0.06))
    p = np.array([OVERLOAD_P[c] for c in st["region_code"]]) * rng.uniform(0.7, 1.3, len(st))
    night = np.asarray((th.hour >= 22) | (th.hour < 5))[:, None]
    cases = rng.binomial(trucks, np.clip(p[None, :] * np.where(night, 1.8, 1.0), 0, 1))
    last = th >= th[-1] - pd.Timedelta(hours=167)
    th7, regs = th[last], st["region_code"]
    out = [_grid("trucks_weighed", st["id"], regs, th7, trucks[last].astype(float)),
           _grid("overload_cases", st["id"], regs, th7, cases[last].astype(float)),
           _regional("trucks_weighed", regs, th7, trucks[last].astype(float)),
           _regional("overload_cases", regs, th7, cases[last].astype(float))]
    di = days.get_indexer(th.normalize())
    quality = np.where(days == days[-1], "partial", "good")
    for code in sorted(regs.unique()):
        sel = (regs == code).to_numpy()
        c_day = np.bincount(di, weights=cases[:, sel].sum(axis=1), minlength=len(days))
        t_day = np.bincount(di, weights=trucks[:, sel].sum(axis=1), minlength=len(days))
        out.append(_obs("overload_cases_daily", code, None, days, c_day, quality))
        out.append(_obs("overload_rate", code, None, days, np.round(100 * c_day / np.maximum(t_day, 1), 3), quality))
    return out


SEVERITY = ["minor", "general", "serious", "major"]
SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "重大", "major": "特大"}
COLLISIONS = [("追尾", "rear-end collision"), ("刮擦", "sideswipe"), ("侧面碰撞", "side collision"),
              ("单车", "single-vehicle crash"), ("碰撞非机动车", "collision with a non-motor vehicle"),
              ("碰撞行人", "pedestrian collision")]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国红玉兰峰斌波辉鹏宇浩凯俊海燕晓东亮春梅文志新")


def _accidents(ctx: LoadContext, segs: pd.DataFrame, spots: pd.DataFrame) -> pd.DataFrame:
    """90 days of accidents per region with a realistic life cycle, cut at ``ctx.anchor``."""
    rng = ctx.rng("accidents")
    start, days = _days(ctx)
    anchor = pd.Timestamp(ctx.anchor)
    hours = pd.date_range("2024-01-01", periods=24, freq="h")  # a Monday: weekday hourly weights
    hour_w = traffic_profile(hours) + 0.25
    hour_w = hour_w / hour_w.sum()
    frames = []
    for code in sorted(segs["region_code"].unique()):
        seg_r = segs[segs["region_code"] == code].reset_index(drop=True)
        spot_r = spots[spots["region_code"] == code].reset_index(drop=True)
        lam = ACCIDENTS_PER_DAY[code] * np.where(days.day_of_week >= 5, 1.1, 1.0) * rng.gamma(8.0, 1 / 8.0, len(days))
        n_day = rng.poisson(lam)
        day_of = np.repeat(np.arange(len(days)), n_day)
        n = len(day_of)
        rep = (days.to_numpy()[day_of] + (rng.choice(24, n, p=hour_w) * 3600
                                         + rng.integers(0, 3600, n)).astype("timedelta64[s]"))
        rep = rep.astype("datetime64[us]")
        keep = rep <= np.datetime64(anchor, "us")
        rep, n = rep[keep], int(keep.sum())
        spot_w = rng.dirichlet(np.full(len(spot_r), 4.0))
        at_spot = rng.random(n) < SPOT_SHARE
        spot_i = rng.choice(len(spot_r), n, p=spot_w)
        seg_w = seg_r["length_km"].to_numpy() * np.array([np.mean(VC_PEAK[c]) for c in seg_r["road_class"]])
        seg_i = rng.choice(len(seg_r), n, p=seg_w / seg_w.sum())
        frac = rng.random(n)
        sev = rng.choice(4, n, p=SEVERITY_P)
        sev = np.where(at_spot & (sev == 0) & (rng.random(n) < 0.08), 1, sev)
        coll = rng.integers(0, len(COLLISIONS), n)
        spot_seg = seg_r["segment_id"].reset_index().set_index("segment_id")["index"]
        seg_i = np.where(at_spot, spot_seg.loc[spot_r["segment_id"]].to_numpy()[spot_i], seg_i)
        pts = _on_land(rng, ctx.land(code), seg_r, seg_i, frac)
        lon = np.where(at_spot, spot_r["lon"].to_numpy()[spot_i], shapely.get_x(pts))
        lat = np.where(at_spot, spot_r["lat"].to_numpy()[spot_i], shapely.get_y(pts))
        frames.append(pd.DataFrame({
            "region_code": code, "reported_at": rep, "severity": np.array(SEVERITY, dtype=object)[sev],
            "coll": coll, "lon": lon, "lat": lat,
            "place": np.where(at_spot, spot_r["name_zh"].to_numpy(dtype=object)[spot_i],
                              seg_r["name_zh"].to_numpy(dtype=object)[seg_i]),
            "place_en": np.where(at_spot, spot_r["name_en"].to_numpy(dtype=object)[spot_i],
                                 seg_r["name_en"].to_numpy(dtype=object)[seg_i]),
            "spot_id": np.where(at_spot, spot_r["id"].to_numpy(dtype=object)[spot_i], None),
            "segment_id": seg_r["segment_id"].to_numpy(dtype=object)[seg_i],
            "road": seg_r["road"].to_numpy(dtype=object)[seg_i],
            "road_class": seg_r["road_class"].to_numpy(dtype=object)[seg_i]}))
    ev = pd.concat(frames, ignore_index=True)
    # no pedestrians or bicycles on expressways and sea-crossing bridges
    fast_road = (ev["road_class"] == "expressway").to_numpy()
    ev["coll"] = np.where(fast_road, ev["coll"].to_numpy() % 4, ev["coll"].to_numpy())
    ev = ev.sort_values(["reported_at", "region_code"], kind="stable").reset_index(drop=True)
    return _life_cycle(ctx, ev, anchor)


def _on_land(rng: np.random.Generator, land: shapely.Geometry, seg_r: pd.DataFrame, seg_i: np.ndarray,
             frac: np.ndarray) -> np.ndarray:
    """Points along the segments; where a polyline cuts a bay, redraw until on land (bridges excepted)."""
    lines = seg_r["geometry"].to_numpy()[seg_i]
    bridge = seg_r["name_zh"].str.contains("大桥").to_numpy()[seg_i]
    pts = shapely.line_interpolate_point(lines, frac, normalized=True)
    for _ in range(30):
        bad = ~bridge & ~shapely.contains_xy(land, shapely.get_x(pts), shapely.get_y(pts))
        if not bad.any():
            return pts
        pts[bad] = shapely.line_interpolate_point(lines[bad], rng.random(int(bad.sum())), normalized=True)
    bad = ~bridge & ~shapely.contains_xy(land, shapely.get_x(pts), shapely.get_y(pts))
    pts[bad] = shapely.get_point(lines[bad], 0)  # a vertex, which is on land (checked in _check_places)
    return pts


def _life_cycle(ctx: LoadContext, ev: pd.DataFrame, anchor: pd.Timestamp) -> pd.DataFrame:
    rng = ctx.rng("life_cycle")
    n = len(ev)
    sev = ev["severity"].to_numpy()
    si = np.array([SEVERITY.index(s) for s in sev])
    quick = ev["road_class"].isin(["expressway", "urban"]).to_numpy()

    def minutes(median: np.ndarray | float, sigma: float) -> np.ndarray:
        return np.maximum(0.5, np.asarray(median) * rng.lognormal(0.0, sigma, n))

    rep = ev["reported_at"].to_numpy(dtype="datetime64[us]")
    steps = [minutes(2.0, 0.5), minutes(np.where(quick, 12.0, 18.0), 0.45),
             minutes(np.array([25.0, 70.0, 200.0, 420.0])[si], 0.5),
             minutes(np.array([40.0, 2 * 1440.0, 12 * 1440.0, 25 * 1440.0])[si], 0.6)]
    times, t = [], rep
    for m in steps:
        t = t + (m * 60e6).astype("int64").astype("timedelta64[us]")
        t = (t + np.timedelta64(59_999_999, "us")).astype("datetime64[m]").astype("datetime64[us]")  # ceil to minute
        times.append(t)
    a = np.datetime64(anchor, "us")
    reached = np.column_stack([tt <= a for tt in times])
    status = np.array(["reported", "dispatched", "on_scene", "resolved", "closed"])[reached.sum(axis=1)]
    cols = {}
    for name, tt, ok in zip(["dispatched_at", "on_scene_at", "resolved_at", "closed_at"], times, reached.T):
        cols[name] = pd.Series(np.where(ok, tt, np.datetime64("NaT")), dtype="datetime64[us]")
    due = rep + (np.array([1, 10, 30, 60])[si] * 86400 * 1_000_000).astype("timedelta64[us]")
    vehicles = np.where(ev["coll"].to_numpy() == 3, 1, 1 + rng.binomial(2, 0.35, n))
    injured = np.select([si == 0, si == 1, si == 2], [rng.binomial(1, 0.2, n), 1 + rng.poisson(0.6, n),
                        rng.poisson(2.0, n)], 2 + rng.poisson(4.0, n))
    killed = np.select([si <= 1, si == 2], [0, 1 + rng.binomial(1, 0.3, n)], 3 + rng.poisson(0.8, n))
    names = (np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
             + np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
             + np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], ""))
    ids = [f"TRF-ACC-{r}-{pd.Timestamp(t):%Y%m%d%H%M}-{i:05d}"
           for i, (r, t) in enumerate(zip(ev["region_code"], ev["reported_at"]))]
    titles, titles_en, props = [], [], []
    for k, e in enumerate(ev.itertuples()):
        zh, en = COLLISIONS[e.coll]
        titles.append(f"{e.place} {zh}事故（{SEVERITY_ZH[e.severity]}）")
        titles_en.append(f"{e.severity.capitalize()} accident ({en}), {e.place_en}")
        spot = e.spot_id if isinstance(e.spot_id, str) else None
        props.append(_fmt_json({"segment_id": e.segment_id, "road": e.road, "black_spot_id": spot,
                                "collision_zh": zh, "vehicles": int(vehicles[k]), "injured": int(injured[k]),
                                "killed": int(killed[k]),
                                "procedure_zh": "简易程序" if e.severity == "minor" else "一般程序"}))
    return pd.DataFrame({
        "event_id": ids, "kind": "traffic_accident", "region_code": ev["region_code"].to_numpy(dtype=object),
        "entity_id": np.where(ev["spot_id"].notna(), ev["spot_id"], ev["segment_id"]).astype(object),
        "title_zh": titles, "title_en": titles_en, "severity": sev.astype(object), "status": status.astype(object),
        "reported_at": pd.Series(rep, dtype="datetime64[us]"), **cols,
        "due_at": pd.Series(due, dtype="datetime64[us]"),
        "lon": ev["lon"].to_numpy(dtype="float64"), "lat": ev["lat"].to_numpy(dtype="float64"),
        "reporter_name": names.astype(object), "properties": props, "classification": "internal",
        "simulated": True})


def _accident_daily(ctx: LoadContext, events: pd.DataFrame) -> list[pd.DataFrame]:
    _, days = _days(ctx)
    quality = np.where(days == days[-1], "partial", "good")
    out = []
    di = days.get_indexer(pd.DatetimeIndex(events["reported_at"]).normalize())
    for code in sorted(events["region_code"].unique()):
        sel = (events["region_code"] == code).to_numpy()
        out.append(_obs("traffic_accidents_daily", code, None, days,
                        np.bincount(di[sel], minlength=len(days)).astype(float), quality))
    return out


def _entities(cps: pd.DataFrame, segs: pd.DataFrame, spots: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in cps.itertuples():
        props = {"device": r.device, "road": r.road, "segment_id": r.segment_id, "town_zh": r.town_zh,
                 "lanes": int(r.lanes), "capacity_veh_h": int(r.capacity_veh_h), "truck_share": float(r.truck_share),
                 "build_status": r.build_status, "position": "approximate (~1 km)"}
        rows.append((r.id, r.kind, r.name_zh, r.name_en, r.region_code, r.lon, r.lat,
                     shapely.to_wkb(shapely.Point(r.lon, r.lat)), _fmt_json(props), "internal", True))
    for r in segs.itertuples():
        mid = r.geometry.interpolate(0.5, normalized=True)
        props = {"road": r.road, "road_class": r.road_class, "lanes": int(r.lanes),
                 "free_speed_kmh": float(r.free_speed_kmh), "capacity_veh_h": int(r.capacity_veh_h),
                 "length_km": float(r.length_km), "position": "approximate polyline (~1 km)"}
        rows.append((r.segment_id, "road_segment", r.name_zh, r.name_en, r.region_code, mid.x, mid.y,
                     shapely.to_wkb(r.geometry), _fmt_json(props), "public", False))
    at_spot = events[events["entity_id"].isin(spots["id"])]
    counts = at_spot.groupby("entity_id").size()
    grave = at_spot[at_spot["severity"] != "minor"].groupby("entity_id").size()
    for r in spots.itertuples():
        props = {"road": r.road, "segment_id": r.segment_id, "hazard": r.hazard,
                 "accidents_90d": int(counts.get(r.id, 0)), "non_minor_90d": int(grave.get(r.id, 0)),
                 "position": "approximate (~1 km)"}
        rows.append((r.id, "black_spot", r.name_zh, r.name_en, r.region_code, r.lon, r.lat,
                     shapely.to_wkb(shapely.Point(r.lon, r.lat)), _fmt_json(props), "public", True))
    cols = ["entity_id", "kind", "name_zh", "name_en", "region_code", "lon", "lat", "geometry", "properties",
            "classification", "simulated"]
    return pd.DataFrame(rows, columns=cols)


def load(ctx: LoadContext) -> None:
    cps = ctx.read("data/checkpoints.csv")
    segs = ctx.read("data/segments.geojson")
    spots = ctx.read("data/black_spots.csv")
    _check_places(ctx, cps, segs, spots)
    seg_class = dict(zip(segs["segment_id"], segs["road_class"]))
    events = _accidents(ctx, segs, spots)
    ctx.emit("entities", _entities(cps, segs, spots, events))
    ctx.emit("events", events)
    obs = (_flows(ctx, cps, seg_class) + _segment_states(ctx, segs, events)
           + _overload(ctx, cps, seg_class) + _accident_daily(ctx, events))
    ctx.emit("observations", pd.concat(obs, ignore_index=True))
