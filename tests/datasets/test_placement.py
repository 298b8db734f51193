"""Every monitored place lies where it is: inside its region's land, or, for what belongs to the sea,
within a stated distance of that region's coast. Checked on the real built store, every entity and
every incident of every dataset (the typhoon itself is a storm, not a place, and is left out).
The distances allowed for each kind are stated below (km from the region's land, 0 = on it).
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
import shapely

#: Kinds that stand on land: inside the region's land polygon.
ON_LAND = {"depot", "hazard_site", "rescue_team", "shelter", "checkpoint", "overload_station", "black_spot",
           "reservoir", "river_station", "fire", "hazchem_leak", "landslide", "waterlogging", "evacuation",
           "storm_damage"}
#: Kinds at the water's edge or at sea: at most this far (km) from the region's land.
AT_SEA_KM = {"port": 0.5,             # the quay, moved into the harbour water (fisheries/tools/derive_ports.py)
             "tide_station": 1.0,     # at the coast
             "marine_distress": 30.0}  # a boat in distress in the region's near-shore waters
#: Road traffic off the land polygon only on a bridge: within this far (km) of one of the region's roads.
ON_ROAD_KM = 0.3
ROAD_EVENTS = {"traffic_accident", "traffic_rescue"}
NOT_PLACES = {"typhoon"}

KM_PER_DEG = 111.0


@pytest.fixture(scope="module")
def db(built_store):
    con = duckdb.connect(str(built_store.db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def land(db) -> dict[str, shapely.Geometry]:
    out = {code: shapely.from_wkb(g) for code, g in db.execute("SELECT region_code, geometry FROM regions").fetchall()}
    for g in out.values():
        shapely.prepare(g)
    return out


@pytest.fixture(scope="module")
def roads(db) -> dict[str, shapely.Geometry]:
    rows = db.execute("SELECT region_code, geometry FROM entities WHERE kind = 'road_segment'").fetchall()
    by: dict[str, list] = {}
    for code, g in rows:
        by.setdefault(code, []).append(shapely.from_wkb(g))
    return {code: shapely.union_all(gs) for code, gs in by.items()}


def _km(geom: shapely.Geometry, where: shapely.Geometry) -> float:
    return 0.0 if where.covers(geom) else where.distance(geom) * KM_PER_DEG


def test_every_entity_lies_in_its_region(db, land):
    rows = db.execute("SELECT entity_id, kind, region_code, geometry, properties FROM entities").fetchall()
    kinds = {r[1] for r in rows}
    assert kinds - NOT_PLACES <= ON_LAND | set(AT_SEA_KM) | {"road_segment", "vessel"}, "a new kind needs a rule here"
    bad = []
    for eid, kind, code, g, _ in rows:
        geom = shapely.from_wkb(g)
        if kind in ON_LAND and _km(geom, land[code]) > 0:
            bad.append((eid, kind, code, round(_km(geom, land[code]), 2)))
        elif kind in AT_SEA_KM and _km(geom, land[code]) > AT_SEA_KM[kind]:
            bad.append((eid, kind, code, round(_km(geom, land[code]), 2)))
        elif kind == "road_segment":  # every vertex on land; a bridge may cross the water between them
            far = max(_km(p, land[code]) for p in shapely.points(shapely.get_coordinates(geom)))
            if far > 0:
                bad.append((eid, kind, code, round(far, 2)))
    assert not bad, bad[:10]
    assert sum(1 for r in rows if r[1] in ON_LAND | set(AT_SEA_KM) | {"road_segment"}) > 250


def test_vessels_belong_to_a_port_of_their_region(db, land):
    """A vessel's place is its home port (its position is state, not a place): the port is a port of the
    vessel's own region and lies at that region's coast."""
    ports = {pid: (code, shapely.from_wkb(g)) for pid, code, g in
             db.execute("SELECT entity_id, region_code, geometry FROM entities WHERE kind = 'port'").fetchall()}
    rows = db.execute("SELECT entity_id, region_code, properties FROM entities WHERE kind = 'vessel'").fetchall()
    assert len(rows) > 1000
    bad = []
    for vid, code, props in rows:
        home = json.loads(props)["home_port_id"]
        pcode, geom = ports[home]
        if pcode != code or _km(geom, land[code]) > AT_SEA_KM["port"]:
            bad.append((vid, code, home, pcode))
    assert not bad, bad[:10]


def test_every_incident_lies_in_its_region(db, land, roads):
    rows = db.execute("SELECT event_id, kind, region_code, lon, lat FROM events").fetchall()
    assert {r[1] for r in rows} <= ON_LAND | set(AT_SEA_KM) | ROAD_EVENTS, "a new kind needs a rule here"
    bad = []
    for eid, kind, code, lon, lat in rows:
        p = shapely.Point(lon, lat)
        km = _km(p, land[code])
        if kind in ROAD_EVENTS:
            ok = km == 0 or (code in roads and roads[code].distance(p) * KM_PER_DEG <= ON_ROAD_KM)
        elif kind in AT_SEA_KM:
            ok = km <= AT_SEA_KM[kind]
        else:
            ok = km == 0
        if not ok:
            bad.append((eid, kind, code, round(km, 2)))
    assert not bad, bad[:10]
    assert len(rows) > 1000


def test_the_rule_catches_a_misplaced_reservoir(land):
    """The check is not vacuous: 白溪水库 (宁海县) is not on 象山's land."""
    baixi = shapely.Point(121.250372, 29.200797)
    assert _km(baixi, land["330225"]) > 20
    assert not np.isnan(_km(baixi, land["330225"]))
