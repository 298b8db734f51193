"""Simulated incidents (``events``) with a full life cycle: reported → dispatched → on scene →
resolved → closed, each step with a deadline (SLA), the status as of the anchor and an overdue flag.

Incidents happen near the real towns of the facility list (fires, road crashes, waterlogging),
at the listed hazard sites (leaks, landslides), at sea off the coast (marine distress, coastal
regions only) and, clustered in the region's alert episode, as storm damage. Times are drawn
from documented distributions (``manifest.yaml`` assumptions); step times after the anchor are
left empty, so the status is simply the last step that has a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from citybrain.sim import in_moratorium

if TYPE_CHECKING:  # the sibling module is loaded by path (see loader.py)
    from .scenario import Episode

STEPS = ["dispatched_at", "on_scene_at", "resolved_at", "closed_at"]
STEP_NAMES = ["dispatch", "on_scene", "resolve", "close"]
STATUS = ["reported", "dispatched", "on_scene", "resolved", "closed"]
SEVERITY = ["general", "large", "major", "extreme"]
SEVERITY_ZH = {"general": "一般(IV)", "large": "较大(III)", "major": "重大(II)", "extreme": "特别重大(I)"}
KIND_ZH = {"fire": "火灾", "traffic_rescue": "交通事故救援", "waterlogging": "城乡内涝", "landslide": "地质灾害",
           "hazchem_leak": "危化品泄漏", "marine_distress": "海上遇险", "storm_damage": "台风/大风灾损",
           "evacuation": "避险转移"}
#: Background incidents per day in Xiangshan (~0.55 M people); other regions scale by population.
RATES = {"fire": 0.5, "traffic_rescue": 0.35, "waterlogging": 0.04, "landslide": 0.015,
         "hazchem_leak": 0.02, "marine_distress": 0.12}
REGION_SCALE = {"330225": 1.0, "330900": 1.6, "370215": 1.8, "341623": 1.4, "210800": 2.2}
#: Extra incidents during the alert episode (Poisson means, times the episode scale / 0.6).
EPISODE_COUNTS = {"storm_damage": 7.0, "waterlogging": 4.0, "landslide": 1.0, "marine_distress": 1.0}
SEV_P = {"default": [0.87, 0.10, 0.028, 0.002], "hazchem_leak": [0.75, 0.18, 0.06, 0.01],
         "marine_distress": [0.78, 0.16, 0.05, 0.01], "storm_damage": [0.9, 0.09, 0.01, 0.0],
         "traffic_rescue": [0.9, 0.08, 0.02, 0.0]}
#: Median on-scene work (hours) by kind; severity multiplies it by 1 / 2 / 4 / 8.
RESOLVE_H = {"fire": 2.0, "traffic_rescue": 1.2, "waterlogging": 4.0, "landslide": 10.0,
             "hazchem_leak": 6.0, "marine_distress": 5.0, "storm_damage": 6.0}
CLOSE_D = [3.0, 6.0, 12.0, 24.0]           # median days from resolved to closed, by severity
SLA_RESOLVE_H = [12, 24, 48, 96]           # resolve deadline after report, by severity
SLA_CLOSE_D = [7, 15, 30, 60]              # close deadline after report, by severity
CHANNELS = {"fire": ["119"], "traffic_rescue": ["122", "110"], "waterlogging": ["12345", "网格员上报"],
            "landslide": ["网格员上报", "监测预警"], "hazchem_leak": ["119", "企业报告"],
            "marine_distress": ["12395", "船舶报告"], "storm_damage": ["网格员上报", "12345"]}
RESPONDERS = {"fire": ("fire",), "traffic_rescue": ("fire",), "hazchem_leak": ("fire",),
              "marine_distress": ("maritime", "aviation"), "waterlogging": ("fire", "volunteer"),
              "landslide": ("fire", "volunteer"), "storm_damage": ("fire", "volunteer")}
CAUSE_ZH = {"typhoon_tide": "台风", "cold_wave_tide": "寒潮大风", "convective_gale": "强对流大风",
            "rainstorm": "强降雨", "sleet_freeze": "雨雪冰冻"}
# (title_zh, title_en, probability that people are displaced to a shelter)
TEMPLATES: dict[str, list[tuple[str, str, float]]] = {
    "fire": [("{town}某仓库火情", "Warehouse fire in {town_en}", 0.0),
             ("{town}某民房火情", "House fire in {town_en}", 0.5),
             ("{town}某厂房火情", "Factory fire in {town_en}", 0.0),
             ("{town}某商铺火情", "Shop fire in {town_en}", 0.1),
             ("{town}某山林火情", "Hillside fire near {town_en}", 0.0),
             ("{town}某车辆自燃", "Vehicle fire in {town_en}", 0.0)],
    "traffic_rescue": [("{town}某路段交通事故救援", "Road crash rescue in {town_en}", 0.0),
                       ("{town}某路口车辆侧翻救援", "Overturned vehicle rescue in {town_en}", 0.0)],
    "waterlogging": [("{town}某小区地下车库积水", "Flooded underground car park in {town_en}", 0.0),
                     ("{town}某路段积水内涝", "Waterlogged road in {town_en}", 0.0),
                     ("{town}某村农田内涝", "Waterlogged farmland in {town_en}", 0.0),
                     ("{town}某村低洼民房进水", "Low-lying houses flooded in {town_en}", 0.7)],
    "landslide": [("{town}某村山体滑坡", "Landslide at a village in {town_en}", 0.6),
                  ("{town}某路段边坡塌方", "Road-cut slope collapse in {town_en}", 0.0)],
    "hazchem_leak": [("{town}某企业危化品泄漏", "Hazardous-chemical leak at a firm in {town_en}", 0.0),
                     ("{town}某路段危化品运输车辆泄漏", "Hazmat tanker leak on a road in {town_en}", 0.0)],
    "marine_distress": [("{town}{dir}海域某渔船遇险", "Fishing boat in distress {dir_en} of {town_en}", 0.0),
                        ("{town}{dir}海域某货船机损失控", "Disabled cargo ship {dir_en} of {town_en}", 0.0),
                        ("{town}{dir}海域人员落水", "Person overboard {dir_en} of {town_en}", 0.0)],
    "storm_damage": [("{cause}致{town}某村民房受损", "{cause_en} damage to houses in {town_en}", 0.6),
                     ("{cause}致{town}某路段树木倒伏", "{cause_en}: fallen trees on a road in {town_en}", 0.0),
                     ("{cause}致{town}某广告牌坠落", "{cause_en}: billboard down in {town_en}", 0.0),
                     ("{cause}致{town}某村蔬菜大棚垮塌", "{cause_en}: greenhouses collapsed in {town_en}", 0.0)],
}
DIRS = [("东", "east"), ("东北", "northeast"), ("北", "north"), ("西北", "northwest"),
        ("西", "west"), ("西南", "southwest"), ("南", "south"), ("东南", "southeast")]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万严武戴孔汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志明海波宁晨浩宇欣怡佳琪文斌辉鹏飞俊峰雪梅春燕金凤永庆德胜")


def _minutes(x: np.ndarray) -> np.ndarray:
    """Durations in minutes -> timedelta64[us], whole seconds."""
    return np.round(np.asarray(x, dtype="float64") * 60.0).astype("int64").astype("timedelta64[s]").astype(
        "timedelta64[us]")


def _km(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Equirectangular distance in km (good to <1 % at county scale)."""
    k = np.cos(np.radians((lat0 + lat1) / 2.0))
    return 111.2 * np.hypot((lon1 - lon0) * k, lat1 - lat0)


def fake_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fake Chinese personal names (surname + one or two given characters)."""
    s = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = np.where(rng.random(n) < 0.6, rng.choice(GIVEN, n), "")
    return np.char.add(np.char.add(s, g1), g2).astype(object)


def _hour_weights(kind: str) -> np.ndarray:
    h = np.arange(24)
    if kind == "fire":
        w = 0.4 + np.exp(-((h - 15.0) ** 2) / 30.0)
    elif kind == "traffic_rescue":
        w = 0.2 + np.exp(-((h - 8.0) ** 2) / 2.0) + np.exp(-((h - 18.0) ** 2) / 3.0) + 0.5 * ((h > 6) & (h < 22))
    elif kind == "marine_distress":
        w = 0.3 + ((h >= 3) & (h <= 18))
    else:
        w = np.ones(24)
    return w / w.sum()


def _times_background(rng: np.random.Generator, kind: str, n: int, start: np.datetime64) -> np.ndarray:
    day = rng.integers(0, 60, n).astype("timedelta64[D]").astype("timedelta64[us]")
    hour = rng.choice(24, n, p=_hour_weights(kind)).astype("timedelta64[h]").astype("timedelta64[us]")
    sec = rng.integers(0, 3600, n).astype("timedelta64[s]").astype("timedelta64[us]")
    return start + day + hour + sec


def _draw_times(rng: np.random.Generator, code: str, coastal: bool, geo_sites: bool,
                ep: Episode, anchor: np.datetime64) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Kinds, report times and 'in episode' flags of one region's incidents (last 60 days)."""
    start = (anchor.astype("datetime64[D]") - np.timedelta64(59, "D")).astype("datetime64[us]")
    kinds, times, in_ep = [], [], []
    for kind, rate in RATES.items():
        if (kind == "marine_distress" and not coastal) or (kind == "landslide" and not geo_sites):
            continue
        n = int(rng.poisson(rate * REGION_SCALE[code] * 60))
        t = _times_background(rng, kind, n, start)
        if kind == "marine_distress":   # fewer boats at sea during the summer moratorium
            t = t[~(_moratorium(code, t) & (rng.random(n) < 0.6))]
        kinds += [kind] * len(t)
        times.append(t)
        in_ep += [False] * len(t)
    span = (ep.release_at - ep.alert_at).astype("int64")
    for kind, lam in EPISODE_COUNTS.items():
        if (kind == "marine_distress" and not coastal) or (kind == "landslide" and not geo_sites):
            continue
        if kind == "waterlogging" and ep.kind not in ("typhoon_tide", "rainstorm"):
            continue
        n = int(rng.poisson(lam * ep.scale / 0.6 * (1.0 if coastal else 1.5)))
        t = ep.alert_at + (rng.random(n) * span).astype("int64").astype("timedelta64[us]")
        kinds += [kind] * n
        times.append(t)
        in_ep += [True] * n
    t = np.concatenate(times).astype("datetime64[us]") if times else np.array([], "datetime64[us]")
    keep = t <= anchor
    return list(np.asarray(kinds, dtype=object)[keep]), t[keep], np.asarray(in_ep, dtype=bool)[keep]


def _moratorium(code: str, t: np.ndarray) -> np.ndarray:
    """Summer fishing moratorium: East China Sea 1 May–16 Sep; Yellow Sea and Bohai 1 May–1 Sep."""
    if code in ("370215", "210800"):
        md = pd.DatetimeIndex(t).month * 100 + pd.DatetimeIndex(t).day
        return np.asarray((md >= 501) & (md < 901))
    return np.asarray(in_moratorium(pd.DatetimeIndex(t)))


def _sea_pool(rng: np.random.Generator, land, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    pts = np.column_stack([rng.uniform(x0, x1, 6000), rng.uniform(y0, y1, 6000)])
    geoms = shapely.points(pts)
    ok = ~shapely.contains_xy(land, pts[:, 0], pts[:, 1])
    ok &= shapely.dwithin(land, geoms, 0.12) & ~shapely.dwithin(land, geoms, 0.006)
    return pts[ok]


def _near_land(rng: np.random.Generator, land, lon: np.ndarray, lat: np.ndarray, sigma: float) -> tuple:
    """Jitter points by ``sigma`` degrees, keeping each on land (else the original point)."""
    out_x, out_y = lon.copy(), lat.copy()
    todo = np.ones(len(lon), dtype=bool)
    for _ in range(12):
        if not todo.any():
            break
        cx = lon + rng.normal(0, sigma, len(lon))
        cy = lat + rng.normal(0, sigma, len(lon))
        hit = todo & shapely.contains_xy(land, cx, cy)
        out_x[hit], out_y[hit] = cx[hit], cy[hit]
        todo &= ~hit
    return out_x, out_y


def generate(rng: np.random.Generator, code: str, coastal: bool, land, sea_box, fac: pd.DataFrame,
             ep: Episode, anchor: np.datetime64) -> pd.DataFrame:
    """One region's incidents as a frame of raw columns (all step times, before the anchor cut)."""
    # towns of the facility list; incidents are drawn near towns with shelters (weighted by capacity),
    # towns with only a hazard site or a team still name the incidents placed there
    towns = fac.assign(cap=fac["capacity"].fillna(0).astype("float64")).groupby(
        ["town_zh", "town_en", "district_code"], sort=True).agg(
        lon=("lon", "mean"), lat=("lat", "mean"), cap=("cap", "sum")).reset_index()
    sites = fac[fac["kind"] == "hazard_site"]
    geo = sites[sites["hazard_class"] == "geological"]
    chem = sites[sites["hazard_class"] == "hazchem"]
    kinds, t_rep, in_ep = _draw_times(rng, code, coastal, len(geo) > 0, ep, anchor)
    # three 'live' incidents just before the anchor, one at each early step of the life cycle
    live_kinds = list(rng.choice(["fire", "traffic_rescue", "fire"], 3))
    kinds = kinds + live_kinds
    n = len(kinds)
    kinds_a = np.asarray(kinds, dtype=object)
    live = np.zeros(n, dtype=bool)
    live[-3:] = True
    in_ep = np.concatenate([in_ep, np.zeros(3, dtype=bool)])

    # place: a town (weighted by shelter capacity), a hazard site, or the sea
    w = towns["cap"].to_numpy(dtype="float64") ** 0.7
    ti = rng.choice(len(towns), n, p=w / w.sum())
    lon, lat = _near_land(rng, land, towns["lon"].to_numpy()[ti], towns["lat"].to_numpy()[ti], 0.018)
    entity = np.full(n, None, dtype=object)
    tmpl = np.array([rng.integers(0, len(TEMPLATES[k])) if k in TEMPLATES else 0 for k in kinds_a])
    for k, pool, p in (("hazchem_leak", chem, 0.6), ("landslide", geo, 0.7)):
        sel = np.flatnonzero((kinds_a == k) & (rng.random(n) < p)) if len(pool) else np.array([], int)
        if len(sel):
            si = rng.integers(0, len(pool), len(sel))
            sx, sy = _near_land(rng, land, pool["lon"].to_numpy()[si], pool["lat"].to_numpy()[si], 0.002)
            lon[sel], lat[sel] = sx, sy
            entity[sel] = ("EM-" + pool["facility_id"].astype(str)).to_numpy()[si]
            tmpl[sel] = 0
            town_of = {t: j for j, t in enumerate(towns["town_zh"])}   # the title names the site's town
            ti[sel] = [town_of[t] for t in pool["town_zh"].to_numpy()[si]]
    marine = np.flatnonzero(kinds_a == "marine_distress")
    if len(marine):
        pool = _sea_pool(rng, land, sea_box)
        pick = pool[rng.integers(0, len(pool), len(marine))]
        lon[marine], lat[marine] = pick[:, 0], pick[:, 1]
        d = _km(towns["lon"].to_numpy()[None, :], towns["lat"].to_numpy()[None, :], pick[:, :1], pick[:, 1:])
        ti[marine] = d.argmin(axis=1)

    # responders: the nearest team of a suitable type
    teams = fac[fac["kind"] == "rescue_team"]
    responder = np.empty(n, dtype=object)
    dist = np.zeros(n)
    for k in sorted(set(kinds)):
        sel = np.flatnonzero(kinds_a == k)
        tm = teams[teams["team_type"].isin(RESPONDERS[k])]
        if tm.empty:
            tm = teams
        d = _km(tm["lon"].to_numpy()[None, :], tm["lat"].to_numpy()[None, :], lon[sel, None], lat[sel, None])
        j = d.argmin(axis=1)
        responder[sel] = ("EM-" + tm["facility_id"].astype(str)).to_numpy()[j]
        dist[sel] = d[np.arange(len(sel)), j]

    # severity and step durations
    sev = np.array([rng.choice(4, p=SEV_P.get(k, SEV_P["default"])) for k in kinds_a])
    sev[live] = 0
    d_dispatch = np.clip(rng.lognormal(np.log(3.0), 0.5, n), 0.5, 30.0)
    d_dispatch[rng.random(n) < 0.02] *= 5.0                     # a few slow dispatches
    is_sea = kinds_a == "marine_distress"
    travel = np.where(is_sea, 10.0 + dist * 2.0, 3.0 + dist * 1.5) * rng.lognormal(0.0, 0.2, n)
    travel = np.where(in_ep, travel * 1.3, travel)
    travel = np.where(is_sea, np.clip(travel, 15.0, 240.0), np.clip(travel, 6.0, 150.0))
    res_med = np.array([RESOLVE_H[k] for k in kinds_a]) * (2.0 ** sev)
    d_resolve = rng.lognormal(np.log(res_med * 60.0), 0.7)
    d_close = rng.lognormal(np.log(np.array(CLOSE_D)[sev] * 1440.0), 0.6)
    d_close[rng.random(n) < 0.10] *= 4.0                        # paperwork that stalls
    # live incidents: reported just long enough ago to sit at 'reported', 'dispatched', 'on_scene'
    f = rng.uniform(0.2, 0.9, 3)
    ages = np.array([f[0] * d_dispatch[-3], d_dispatch[-2] + f[1] * travel[-2],
                     d_dispatch[-1] + travel[-1] + f[2] * min(d_resolve[-1], 120.0)])
    t_rep = np.concatenate([t_rep, anchor - _minutes(ages)]).astype("datetime64[s]").astype("datetime64[us]")
    dispatched = t_rep + _minutes(d_dispatch)
    on_scene = dispatched + _minutes(travel)
    resolved = on_scene + _minutes(d_resolve)
    closed = resolved + _minutes(d_close)

    t = towns.iloc[ti]
    d_ang = np.degrees(np.arctan2(lat - t["lat"].to_numpy(), (lon - t["lon"].to_numpy()) * 0.87))
    sector = ((np.round(d_ang / 45.0).astype(int)) % 8)
    cause, cause_en = CAUSE_ZH[ep.kind], ep.name_en.split(" with ")[0].capitalize()
    titles_zh, titles_en, displace_p = [], [], np.zeros(n)
    for i, k in enumerate(kinds_a):
        opts = TEMPLATES[k]
        j = tmpl[i] % len(opts)
        if k == "storm_damage" and ep.coastal and j == 3:
            j = 0                                   # greenhouses: the inland sleet case
        zh, en, p = opts[j]
        kw = dict(town=t["town_zh"].iloc[i], town_en=t["town_en"].iloc[i], dir=DIRS[sector[i]][0],
                  dir_en=DIRS[sector[i]][1], cause=cause, cause_en=cause_en)
        titles_zh.append(zh.format(**kw))
        titles_en.append(en.format(**kw))
        displace_p[i] = p
    displaced = np.where(rng.random(n) < displace_p, rng.integers(3, 40, n) * (1 + sev * 2), 0)
    return pd.DataFrame({
        "kind": kinds_a, "region_code": code, "entity_id": entity, "title_zh": titles_zh,
        "title_en": titles_en, "sev": sev, "reported_at": t_rep, "dispatched_at": dispatched,
        "on_scene_at": on_scene, "resolved_at": resolved, "closed_at": closed, "lon": lon, "lat": lat,
        "reporter_name": fake_names(rng, n),
        "channel": [rng.choice(CHANNELS[k]) for k in kinds_a], "responder_id": responder,
        "town_zh": t["town_zh"].to_numpy(), "district_code": t["district_code"].to_numpy(),
        "in_episode": in_ep, "displaced": displaced.astype(int), "live": live,
    })


def evacuation_event(ep: Episode, seat: pd.Series, rng: np.random.Generator, evacuees: int) -> pd.DataFrame:
    """The episode itself as an ``evacuation`` event (alert → order → shelters open → all home)."""
    sev = 1 if ep.coastal else 0
    return pd.DataFrame({
        "kind": ["evacuation"], "region_code": [ep.region_code], "entity_id": [None],
        "title_zh": [f"{seat['region_zh']}{ep.name_zh}人员避险转移"],
        "title_en": [f"{seat['region_en']}: evacuation for {ep.name_en}"], "sev": [sev],
        "reported_at": [ep.alert_at], "dispatched_at": [ep.evac_start],
        "on_scene_at": [ep.evac_start + np.timedelta64(60, "m")], "resolved_at": [ep.end_at],
        "closed_at": [ep.end_at + np.timedelta64(int(rng.integers(2, 5)), "D")],
        "lon": [float(seat["lon"])], "lat": [float(seat["lat"])], "reporter_name": [None],
        "channel": ["预警发布"], "responder_id": [None], "town_zh": [seat["town_zh"]],
        "district_code": [seat["district_code"]], "in_episode": [True], "displaced": [int(evacuees)],
        "live": [False],
    })
