"""Loader of the fisheries dataset (智慧渔港): real ports, a simulated fleet and its 5-minute tracks.

* ``entities``: the fishing ports (kind ``port``, at their quay in the water, with the source
  marker and estimates in ``properties``) and the simulated vessels (kind ``vessel``, at their last
  position; the owner's name is a restricted field of ``properties``).
* ``tracks``: one row per vessel every 5 minutes over the ``ctx.days`` days (default 7) ending at ``ctx.anchor``.
* ``observations``: per region (entity_id null) vessels at sea / in port / in alarm and the digital
  supervision coverage, and per port (entity_id = port) the vessels in port, every 5 minutes.

The generator itself lives beside this file (``fleet.py``, ``seaspace.py``, ``voyages.py``); its
assumptions are written out in the manifest. No position is ever on land: every position off the
berth is checked with ``shapely.contains_xy`` against the land of Xiangshan and the Zhoushan
districts (moored positions are >= 25 m off land by construction; the tests check every row).
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import shapely

from citybrain.store.build import LoadContext
from citybrain.errors import DataError
from citybrain.sim import time_index

from . import fleet as fleetgen
from . import seaspace, voyages

log = logging.getLogger(__name__)

#: Land that no vessel may be on: Xiangshan and Zhoushan (city and its districts).
LAND_CODES = ("330225", "330900", "330902", "330903", "330921", "330922")
#: Regions with their own 5-minute series (Zhoushan also by district).
SERIES_REGIONS = ("330225", "330900", "330902", "330903", "330921", "330922")
SOURCE = "simulated BeiDou/AIS"
FREQ = "5min"
QUAY_MAX_KM = 3.0
MIN_SPOTS = 50
PINYIN = {"浙象渔": "Zhexiangyu", "浙普渔": "Zhepuyu", "浙定渔": "Zhedingyu", "浙岱渔": "Zhedaiyu",
          "浙嵊渔": "Zheshengyu"}


def _json(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


def sea_land(ctx: LoadContext) -> shapely.Geometry:
    """Union of the land polygons of Xiangshan and the Zhoushan districts (WGS-84, prepared)."""
    land = shapely.union_all([ctx.land(c) for c in LAND_CODES])
    shapely.prepare(land)
    return land


def _ports(ctx: LoadContext, land: shapely.Geometry) -> tuple[pd.DataFrame, pd.DataFrame]:
    ports = ctx.read("data/ports.csv").reset_index(drop=True)
    routes = ctx.read("data/port_routes.csv")
    ports["marker_lon"], ports["marker_lat"] = ctx.to_wgs84(ports["src_lon"], ports["src_lat"])
    ports["lon"], ports["lat"] = ctx.to_wgs84(ports["quay_lon"], ports["quay_lat"])
    routes["lon"], routes["lat"] = ctx.to_wgs84(routes["lon"], routes["lat"])
    unknown = sorted(set(routes["port_id"]) - set(ports["port_id"]))
    if unknown:
        raise DataError(f"routes of unknown port(s) {unknown}", dataset=ctx.name, file="data/port_routes.csv",
                        field="port_id")
    on_land = shapely.contains_xy(land, ports["lon"], ports["lat"])
    far = shapely.distance(land, shapely.points(ports["lon"], ports["lat"])) * seaspace.KY > QUAY_MAX_KM
    for bad, problem in ((on_land, "quay point lies on land"), (far, f"quay point is over {QUAY_MAX_KM} km from land")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(problem, dataset=ctx.name, file="data/ports.csv", row=i + 2, field="quay_lon")
    return ports, routes


def _port_entities(ports: pd.DataFrame, fleet: pd.DataFrame) -> pd.DataFrame:
    counts = fleet["port_id"].value_counts()
    props = [_json({
        "port_id": r.port_id, "district_code": r.region_code, "marker_lon": round(float(r.marker_lon), 6),
        "marker_lat": round(float(r.marker_lat), 6), "src_lon_gcj02": float(r.src_lon),
        "src_lat_gcj02": float(r.src_lat), "src_kind": r.src_kind, "source": r.source, "trust": r.trust,
        "moved_m": int(r.moved_m), "berths": int(r.berths_est), "capacity_vessels": int(r.capacity_est),
        "berths_capacity_are_estimates": True, "estimate_note": "泊位数与可停泊渔船数为估算值，非官方数据",
        "home_fleet_simulated": int(counts.get(r.port_id, 0)), "note": r.note,
    }) for r in ports.itertuples()]
    return pd.DataFrame({
        "entity_id": "port-" + ports["port_id"].astype(str), "kind": "port",
        "name_zh": ports["name_zh"].astype(str), "name_en": ports["name_en"].astype(str),
        "region_code": ports["region_code"].astype(str).to_numpy(),  # the port's district
        "lon": ports["lon"].to_numpy(), "lat": ports["lat"].to_numpy(),
        "geometry": list(shapely.to_wkb(shapely.points(ports["lon"], ports["lat"]))),
        "properties": props, "classification": "public", "simulated": False,
    })


def _vessel_entities(fleet: pd.DataFrame, ports: pd.DataFrame, lon: np.ndarray, lat: np.ndarray,
                     status: np.ndarray) -> pd.DataFrame:
    names = dict(zip(ports["port_id"], ports["name_zh"]))
    props = [_json({
        "registration_no": r.vessel_id, "home_port_id": "port-" + r.port_id, "home_port": names[r.port_id],
        "district_code": r.district, "gear": r.gear, "gear_zh": r.gear_zh, "length_m": float(r.length_m),
        "power_kw": int(r.power_kw), "beidou_terminal": bool(r.beidou), "ais": bool(r.ais),
        "moratorium_exempt": bool(r.exempt), "special_permit_from_aug": bool(r.august_permit),
        "permitted_zone_km": float(r.zone_km), "owner_name": r.owner_name, "status_at_anchor": s,
        "identity_simulated": True,
    }) for r, s in zip(fleet.itertuples(), status)]
    name_en = [f"{PINYIN[v[:3]]} {v[3:]} (simulated)" for v in fleet["vessel_id"]]
    return pd.DataFrame({
        "entity_id": fleet["vessel_id"].to_numpy(), "kind": "vessel", "name_zh": fleet["vessel_id"].to_numpy(),
        "name_en": name_en, "region_code": fleet["region_code"].to_numpy(), "lon": lon, "lat": lat,
        "geometry": list(shapely.to_wkb(shapely.points(lon, lat))), "properties": props,
        "classification": "internal", "simulated": True,
    })


def _tracks(fleet: pd.DataFrame, ts: pd.DatetimeIndex, lon: np.ndarray, lat: np.ndarray, status: np.ndarray,
            speed: np.ndarray, heading: np.ndarray) -> pd.DataFrame:
    n, t = len(fleet), len(ts)
    rows = n * t
    vid = pd.Categorical(fleet["vessel_id"].to_numpy())
    regions = pd.Categorical(fleet["region_code"].to_numpy())
    nulls = np.full(rows, np.nan, dtype="float32")
    return pd.DataFrame({
        "track_id": pd.Categorical.from_codes(np.repeat(vid.codes, t), categories=vid.categories),
        "kind": pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), categories=["vessel"]),
        "region_code": pd.Categorical.from_codes(np.repeat(regions.codes, t), categories=regions.categories),
        "ts": np.tile(ts.to_numpy(), n),
        "lon": lon, "lat": lat,
        "status": pd.Categorical.from_codes(status.ravel(), categories=voyages.STATUS),
        "speed_kn": np.round(speed, 2).astype("float32"), "heading_deg": np.round(heading, 1).astype("float32"),
        "wind_ms": nulls, "pressure_hpa": nulls, "grade": pd.Categorical.from_codes(
            np.full(rows, -1, dtype=np.int8), categories=["-"]),
        "source": pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), categories=[SOURCE]),
        "simulated": np.ones(rows, dtype=bool),
    })


def _observations(fleet: pd.DataFrame, ports: pd.DataFrame, ts: pd.DatetimeIndex,
                  status: np.ndarray) -> pd.DataFrame:
    at_sea = status > 0
    alarm = status >= 3
    online = fleet["beidou"].to_numpy()[:, None] & (status != 4)
    parts = []

    def add(indicator: str, region: str, entity: str | None, values: np.ndarray) -> None:
        parts.append(pd.DataFrame({"indicator_id": indicator, "region_code": region, "entity_id": entity,
                                   "ts": ts.to_numpy(), "value": values.astype("float64")}))

    for code in SERIES_REGIONS:  # a city's series counts its districts' vessels (the one region scope)
        g = (fleet["region_code"].str.startswith("3309") if code == "330900" else fleet["region_code"] == code).to_numpy()
        if not g.any():
            continue
        add("vessels_at_sea", code, None, at_sea[g].sum(axis=0))
        add("vessels_in_port", code, None, (~at_sea[g]).sum(axis=0))
        add("vessels_alarm", code, None, alarm[g].sum(axis=0))
        add("supervision_coverage", code, None, np.round(100.0 * online[g].sum(axis=0) / g.sum(), 2))
    home = fleet["home"].to_numpy()
    for i, r in enumerate(ports.itertuples()):
        g = home == i
        add("vessels_in_port_by_port", str(r.region_code), f"port-{r.port_id}", (~at_sea[g]).sum(axis=0))
    out = pd.concat(parts, ignore_index=True)
    out["quality"] = "good"
    out["simulated"] = True
    return out


def load(ctx: LoadContext) -> None:
    land = sea_land(ctx)
    land_km = seaspace.geom_to_km(land)
    coast, open_coast = seaspace.Coast(land_km), seaspace.Coast(land_km, simplify_km=0.1)
    ports, routes = _ports(ctx, land)
    ids = ports["port_id"].astype(str).tolist()
    quay_km = np.column_stack(seaspace.to_km(ports["lon"], ports["lat"]))
    routes["x"], routes["y"] = seaspace.to_km(routes["lon"], routes["lat"])
    hb = seaspace.harbours(ids, quay_km, routes)
    fleet = fleetgen.make_fleet(ports, ctx.rng("fleet"))
    home = fleet["home"].to_numpy()
    berth_xy = np.empty((len(fleet), 2))
    rng_b, rng_s = ctx.rng("berths"), ctx.rng("spots")
    pool_id, pool_d, pool_xy = [], [], []
    for i in range(len(ids)):
        sel = np.flatnonzero(home == i)
        berth_xy[sel] = seaspace.berths(coast, hb.quay[i], len(sel), rng_b)
        for kind, (r_km, margin) in enumerate((((8.0, 95.0), 5.0), ((25.0, voyages.FAR_MAX_KM), 14.0))):
            xy, d = seaspace.spot_pool(open_coast, hb.gate[i], r_km, margin, 300, rng_s)
            if len(d) < MIN_SPOTS:
                raise DataError(f"port {ids[i]}: only {len(d)} fishing spots reachable in a clear line from its "
                                "open-sea gate (re-run tools/derive_ports.py?)", dataset=ctx.name,
                                file="data/port_routes.csv")
            pool_id.append(np.full(len(d), 2 * i + kind))
            pool_d.append(d)
            pool_xy.append(xy)
    pools = {"pool": np.concatenate(pool_id), "dist": np.concatenate(pool_d), "xy": np.vstack(pool_xy)}
    ts = time_index(ctx.anchor, ctx.days, FREQ)
    hours = np.concatenate([[-voyages.STEP_H], (ts - ts[0]).total_seconds().to_numpy() / 3600.0])
    trips = voyages.schedule(fleet, fleetgen.GEAR_BY_CODE, ts[0], float(hours[-1]), ctx.rng("schedule"))
    trips = voyages.plan(trips, fleet, fleetgen.GEAR_BY_CODE, hb.length, pools, ctx.rng("plan"))
    sim = voyages.positions(trips, fleet, hb, berth_xy, hours, ctx.rng("positions"))
    lon, lat = seaspace.to_deg(sim["xy"][:, 0], sim["xy"][:, 1])
    berth_lon, berth_lat = seaspace.to_deg(berth_xy[:, 0], berth_xy[:, 1])
    n, t1 = sim["n"], sim["t1"]
    if shapely.contains_xy(land, berth_lon, berth_lat).any():
        raise DataError("a simulated berth lies on land", dataset=ctx.name)
    fixed = voyages.keep_off_land(lon, lat, land, n, t1, berth_lon, berth_lat, sim["status"] != 0)
    if fixed:
        log.warning("fisheries: %d simulated positions fell on land and were moved back to sea", fixed)
    keep = (np.arange(n * t1) % t1) != 0      # drop the extra step before the window
    status = sim["status"][keep].reshape(n, t1 - 1)
    lon, lat = lon[keep], lat[keep]
    last = np.arange(n) * (t1 - 1) + (t1 - 2)
    ctx.emit("entities", pd.concat([_port_entities(ports, fleet), _vessel_entities(
        fleet, ports, lon[last], lat[last], np.asarray(voyages.STATUS)[status[:, -1]])], ignore_index=True))
    ctx.emit("tracks", _tracks(fleet, ts, lon, lat, status, sim["speed"][keep], sim["heading"][keep]))
    ctx.emit("observations", _observations(fleet, ports, ts, status))
