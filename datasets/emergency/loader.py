"""Loader of the emergency-management dataset (应急管理).

Real (hand-curated): the facility list ``data/facilities.csv`` — shelters, supply depots, rescue
teams and hazard sites in real towns of the five regions, at approximate positions. Simulated
(seeded by ``ctx.rng``, ending at ``ctx.anchor``): one alert episode per region, shelter
occupancy, depot stock, incidents with their life cycle, and the region KPIs. The generator is
split into sibling modules (loaded by path, since datasets are not a package): ``scenario``
(episodes), ``incidents`` (incident draws), ``lifecycle`` (SLA, status, KPIs), ``shelters``
(occupancy and stock).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.regions import REGIONS
from citybrain.sim import time_index

from . import incidents, lifecycle, scenario
from . import shelters as shelters_mod

FILE = "data/facilities.csv"
PREFIX = "EM-"
#: Boxes of open sea next to each coastal region, for marine-distress positions (minus land).
SEA_BOXES = {"330225": (121.98, 28.95, 122.30, 29.60), "330900": (122.05, 29.68, 122.90, 30.80),
             "370215": (120.75, 36.22, 121.10, 36.45), "210800": (121.78, 40.08, 122.12, 40.58)}


def check_on_land(ctx: LoadContext, fac: pd.DataFrame) -> None:
    """Every facility must lie on its region's land (a DataError names the first that does not)."""
    for code, g in fac.groupby("region_code", sort=True):
        land = ctx.land(code)
        ok = shapely.contains_xy(land, g["lon"].to_numpy(dtype="float64"), g["lat"].to_numpy(dtype="float64"))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise DataError(f"facility {g['facility_id'].iloc[i]} is not on the land of region {code}",
                            dataset=ctx.name, file=FILE, row=int(g.index[i]) + 2, field="lon")


def facility_entities(fac: pd.DataFrame, reserves: dict[str, dict[str, float]], classification: str) -> pd.DataFrame:
    """``entities`` rows of the facility list (properties per kind)."""
    props = []
    for r in fac.itertuples(index=False):
        p = {"town_zh": r.town_zh, "town_en": r.town_en, "district_code": r.district_code,
             "position_accuracy_m": int(r.position_accuracy_m), "exposure": r.exposure,
             "position_note": "乡镇驻地附近的近似位置，非测绘坐标", "figures_estimated": True}
        if r.kind == "shelter":
            p.update(level=r.level, capacity=int(r.capacity), capacity_unit="人")
        elif r.kind == "depot":
            cats = r.stock_categories.split("|")
            p.update(level=r.level, stock_categories=cats,
                     stock_units={c: shelters_mod.CATEGORIES[c][1] for c in cats},
                     stock_names_zh={c: shelters_mod.CATEGORIES[c][0] for c in cats},
                     min_reserve=reserves.get(PREFIX + r.facility_id, {}))
        elif r.kind == "rescue_team":
            p.update(team_type=r.team_type, headcount=int(r.headcount))
        else:
            p.update(hazard_class=r.hazard_class, hazard_type=r.hazard_type, risk_level=r.risk_level)
        props.append(json.dumps(p, ensure_ascii=False, sort_keys=True))
    lon = fac["lon"].to_numpy(dtype="float64")
    lat = fac["lat"].to_numpy(dtype="float64")
    return pd.DataFrame({
        "entity_id": (PREFIX + fac["facility_id"].astype(str)).to_numpy(dtype=object),
        "kind": fac["kind"].to_numpy(dtype=object), "name_zh": fac["name_zh"], "name_en": fac["name_en"],
        "region_code": fac["region_code"], "lon": lon, "lat": lat,
        "geometry": list(shapely.to_wkb(shapely.points(lon, lat))), "properties": props,
        "classification": classification, "simulated": False,
    })


def _placements(raw: pd.DataFrame, shel: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Displaced people of incidents go to the nearest shelter of the region for a few days."""
    sel = np.flatnonzero(raw["displaced"].to_numpy() > 0)
    d = incidents._km(shel["lon"].to_numpy()[None, :], shel["lat"].to_numpy()[None, :],
                      raw["lon"].to_numpy()[sel, None], raw["lat"].to_numpy()[sel, None])
    sid = shel["facility_id"].to_numpy()[d.argmin(axis=1)] if len(sel) else np.array([], dtype=object)
    start = raw["on_scene_at"].to_numpy(dtype="datetime64[us]")[sel] + np.timedelta64(1, "h")
    stay = rng.integers(24, 73, len(sel)).astype("timedelta64[h]").astype("timedelta64[us]")
    end = raw["resolved_at"].to_numpy(dtype="datetime64[us]")[sel] + stay
    shelter_id = np.full(len(raw), None, dtype=object)
    shelter_id[sel] = [PREFIX + s for s in sid]
    raw["shelter_id"] = shelter_id
    return pd.DataFrame({"shelter_id": sid, "people": raw["displaced"].to_numpy()[sel], "start": start, "end": end})


def load(ctx: LoadContext) -> None:
    fac = ctx.read(FILE)
    check_on_land(ctx, fac)
    anchor = np.datetime64(ctx.anchor, "us")
    hours = time_index(ctx.anchor, 14, "1h").to_numpy(dtype="datetime64[us]")
    days = time_index(ctx.anchor, 30, "1D").to_numpy(dtype="datetime64[us]")
    raws, obs, reserves = [], [], {}
    for code in ctx.manifest.regions:
        reg = REGIONS[code]
        f = fac[fac["region_code"] == code].reset_index(drop=True)
        shel = f[f["kind"] == "shelter"].reset_index(drop=True)
        ep = scenario.make_episode(ctx.rng(f"episode:{code}"), code, reg.coastal, ctx.anchor)
        occ = shelters_mod.episode_occupancy(ctx.rng(f"occupancy:{code}"), shel, ep, hours)
        raw = incidents.generate(ctx.rng(f"incidents:{code}"), code, reg.coastal, ctx.land(code),
                                 SEA_BOXES.get(code), f, ep, anchor)
        place = _placements(raw, shel, ctx.rng(f"placements:{code}"))
        evacuees = int(occ.sum(axis=0).max())
        seat = shel.sort_values("capacity", ascending=False, kind="stable").iloc[0]
        seat = pd.Series({**seat.to_dict(), "region_zh": reg.name_zh, "region_en": reg.name_en})
        evac = incidents.evacuation_event(ep, seat, ctx.rng(f"evacuation:{code}"), evacuees)
        evac["shelter_id"] = None
        raws += [raw, evac]
        occ = shelters_mod.add_placements(occ, shel, hours, place)
        obs.append(shelters_mod.occupancy_obs(code, shel, hours, occ))
        dep = f[f["kind"] == "depot"].reset_index(drop=True)
        stock, res = shelters_mod.depot_obs(ctx.rng(f"depots:{code}"), code, dep, ep, evacuees, days)
        obs.append(stock)
        reserves.update(res)
    ctx.emit("entities", facility_entities(fac, reserves, ctx.manifest.classification))
    events = lifecycle.to_events(pd.concat(raws, ignore_index=True), anchor, ctx.manifest.classification)
    ctx.emit("events", events)
    obs.append(lifecycle.kpis(events, anchor))
    out = pd.concat(obs, ignore_index=True)
    out["ts"] = out["ts"].astype("datetime64[us]")
    out["value"] = out["value"].astype("float64")
    out["quality"] = "good"
    out["simulated"] = True
    out = out.sort_values(["ts", "indicator_id", "region_code", "entity_id"], kind="stable", na_position="first")
    ctx.emit("observations", out.reset_index(drop=True))
