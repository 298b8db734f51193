"""Queries of typhoon defence: the stored best tracks with their wind radii, and the places of a
region whose exposure matters (towns, fishing ports, shelters, reservoirs).

Bound parameters only; memoised by data version (they declare no facets). Times are China Standard Time, naive.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from citybrain.cache import cached_query
from citybrain.semantics import scope
from citybrain.store import Store
from citybrain.typhoon.circles import THRESHOLDS, StormPath

#: Suffix of a live replay's track id (``citybrain simulate --typhoon``): its rows are live positions, not a best track.
LIVE_SUFFIX = "-LIVE"
#: Entity kinds whose exposure is listed, and the dataset each comes from.
PLACE_KINDS = (("port", "fisheries"), ("shelter", "emergency"), ("reservoir", "water"))


@cached_query
def storms(store: Store) -> pd.DataFrame:
    """Every stored typhoon best track: id, international number, names, agency, first and last time,
    whether the agency gives wind radii, the storm's landfall time (a live replay's track is none)."""
    df = store.df("""
        SELECT t.track_id, json_extract_string(e.properties, '$.intl_no') AS intl_no,
               json_extract_string(e.properties, '$.name_zh') AS name_zh,
               json_extract_string(e.properties, '$.name_en') AS name_en,
               split_part(t.track_id, '-', 1) AS agency, min(t.ts) AS first_ts, max(t.ts) AS last_ts,
               count(*) AS fixes, TRY_CAST(json_extract_string(e.properties, '$.landfall_time') AS TIMESTAMP) AS landfall,
               json_array_length(json_extract(e.properties, '$.wind_radii.' || t.track_id)) AS radii_fixes
        FROM tracks t JOIN entities e
          ON e.kind = 'typhoon' AND list_contains(CAST(json_extract(e.properties, '$.track_ids') AS VARCHAR[]), t.track_id)
        WHERE t.kind = 'typhoon' AND NOT ends_with(t.track_id, ?)
        GROUP BY ALL ORDER BY first_ts, t.track_id""", [LIVE_SUFFIX])
    df["radii_fixes"] = df["radii_fixes"].fillna(0).astype(int)
    df["has_radii"] = df["radii_fixes"] > 0
    return df


@cached_query
def storm_path(store: Store, track_id: str) -> StormPath | None:
    """One track with its radii per fix (NaN where the fix, or the agency, gives none); None if unknown."""
    tr = store.columns("""SELECT ts, lon, lat FROM tracks WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts""",
                       [track_id])
    if len(tr["ts"]) == 0:
        return None
    props = store.scalar("""SELECT json_extract(properties, '$.wind_radii.' || ?) FROM entities
                            WHERE kind = 'typhoon' AND list_contains(
                                CAST(json_extract(properties, '$.track_ids') AS VARCHAR[]), ?)""", [track_id, track_id])
    fixes = json.loads(props) if isinstance(props, str) else (props or [])
    ts = tr["ts"].astype("datetime64[us]")
    radii = {kt: np.full((len(ts), 3), np.nan) for kt in THRESHOLDS}
    index = {t: i for i, t in enumerate(ts.astype("int64"))}
    for f in fixes:
        i = index.get(np.datetime64(f[0], "us").astype("int64"))
        if i is None:
            continue  # a radii fix without a position is never drawn
        radii[50][i] = f[1]
        radii[30][i] = f[2]
    return StormPath(ts=ts, lon=tr["lon"].astype("float64"), lat=tr["lat"].astype("float64"), radii=radii)


@cached_query
def places(store: Store, region: str) -> pd.DataFrame:
    """Towns, fishing ports, shelters and reservoirs of a region: kind, id, names, lon, lat and a
    capacity where one is known. Towns are the towns (乡镇/街道) named by the region's emergency
    facilities, placed at the median position of those facilities (their positions are near the
    town seat, ±2–4 km): the store holds no town points of its own."""
    rsql, rp = scope.in_region("region_code", region)
    ent = store.df(f"""
        SELECT kind, entity_id, name_zh, name_en, lon, lat, dataset,
               json_extract_string(properties, '$.town_zh') AS town_zh,
               json_extract_string(properties, '$.town_en') AS town_en,
               TRY_CAST(json_extract_string(properties, '$.capacity') AS DOUBLE) AS capacity,
               TRY_CAST(json_extract_string(properties, '$.warning_level_m') AS DOUBLE) AS warning_level_m
        FROM entities
        WHERE dataset IN ('fisheries', 'emergency', 'water') AND kind IN ('port', 'shelter', 'reservoir',
              'depot', 'rescue_team', 'hazard_site') AND {rsql}
        ORDER BY kind, entity_id""", rp)
    towns = (ent[ent["dataset"].eq("emergency") & ent["town_zh"].notna()]
             .groupby(["town_zh"], sort=True)
             .agg(town_en=("town_en", "first"), lon=("lon", "median"), lat=("lat", "median")).reset_index())
    town_rows = pd.DataFrame({"kind": "town", "entity_id": "town:" + towns["town_zh"], "name_zh": towns["town_zh"],
                              "name_en": towns["town_en"], "lon": towns["lon"], "lat": towns["lat"],
                              "town_zh": towns["town_zh"], "capacity": np.nan})
    keep = ent[ent["kind"].isin([k for k, _ in PLACE_KINDS])]
    out = pd.concat([town_rows, keep[["kind", "entity_id", "name_zh", "name_en", "lon", "lat", "town_zh", "capacity"]]],
                    ignore_index=True)
    return out.reset_index(drop=True)


@cached_query
def vessels(store: Store, region: str) -> pd.DataFrame:
    """The region's vessels with what the typhoon replay needs (home port, moratorium exemption)."""
    rsql, rp = scope.in_region("region_code", region)
    return store.df(f"""
        SELECT entity_id, name_zh, name_en, region_code,
               json_extract_string(properties, '$.home_port_id') AS home_port_id,
               coalesce(TRY_CAST(json_extract_string(properties, '$.moratorium_exempt') AS BOOLEAN), false) AS exempt,
               coalesce(TRY_CAST(json_extract_string(properties, '$.special_permit_from_aug') AS BOOLEAN), false) AS aug_permit,
               TRY_CAST(json_extract_string(properties, '$.permitted_zone_km') AS DOUBLE) AS permitted_zone_km,
               json_extract_string(properties, '$.registration_no') AS registration_no
        FROM entities WHERE kind = 'vessel' AND {rsql} ORDER BY entity_id""", rp)


@cached_query
def ports(store: Store) -> pd.DataFrame:
    """Every fishing port (quay position): a boat's home port may lie outside the region asked for."""
    return store.df("SELECT entity_id, name_zh, name_en, region_code, lon, lat FROM entities WHERE kind = 'port' ORDER BY entity_id")


@cached_query
def land_wkb(store: Store) -> list[bytes]:
    """The land of every stored region (WKB), for keeping simulated boats off it."""
    return [bytes(g) for g in store.columns("SELECT geometry FROM regions ORDER BY region_code")["geometry"]]


@cached_query
def reservoir_levels(store: Store, region: str, at) -> pd.DataFrame:
    """Each reservoir's latest water level at or before ``at`` (within 6 h) and its flood-limit level."""
    rsql, rp = scope.in_region("e.region_code", region)
    return store.df(f"""
        SELECT e.entity_id, e.name_zh, e.name_en, e.lon, e.lat,
               TRY_CAST(json_extract_string(e.properties, '$.warning_level_m') AS DOUBLE) AS flood_limit_m,
               o.ts, o.value AS level_m, o.simulated
        FROM entities e LEFT JOIN (
            SELECT entity_id, arg_max(ts, ts) AS ts, arg_max(value, ts) AS value, arg_max(simulated, ts) AS simulated
            FROM observations WHERE indicator_id = 'water_level' AND ts <= ? AND ts > ? - INTERVAL 6 HOUR
            GROUP BY entity_id) o ON o.entity_id = e.entity_id
        WHERE e.kind = 'reservoir' AND {rsql} ORDER BY e.entity_id""", [at, at, *rp])


@cached_query
def station_rain(store: Store, region: str, t0, t1) -> pd.DataFrame:
    """Hourly rain (``rainfall_1h``, mm) at each water station of a region in (t0, t1], with the
    station's kind, names and position, and the region's own areal mean (面雨量: ``entity_id`` NULL,
    kind ``area``; a city's districts keep theirs)."""
    rsql, rp = scope.in_region("o.region_code", region)
    return store.df(f"""
        SELECT o.entity_id, coalesce(e.kind, 'area') AS kind, e.name_zh, e.name_en, e.lon, e.lat, o.ts,
               o.value AS rain_mm, o.simulated
        FROM observations o LEFT JOIN entities e ON e.entity_id = o.entity_id
        WHERE o.indicator_id = 'rainfall_1h' AND o.ts > ? AND o.ts <= ?
          AND (o.entity_id IS NOT NULL AND {rsql} OR o.entity_id IS NULL AND o.region_code = ?)
        ORDER BY o.entity_id NULLS FIRST, o.ts""", [t0, t1, *rp, region])


@cached_query
def live_replays(store: Store, region: str) -> pd.DataFrame:
    """Live replays of stored storms that affected a region (``citybrain simulate --typhoon``): the live
    track, the stored track it replays, the offset (live minus storm time, s) and its latest live position's time."""
    return store.df("""
        WITH r AS (
            SELECT unnest(json_keys(json_extract(properties, '$.live_replay'))) AS live_id, properties
            FROM entities WHERE kind = 'typhoon' AND json_extract(properties, '$.live_replay') IS NOT NULL
              AND (list_contains(CAST(json_extract(properties, '$.affected_regions') AS VARCHAR[]), ?)
                   OR list_contains(CAST(json_extract(properties, '$.affected_regions') AS VARCHAR[]),
                                    (SELECT parent_code FROM regions WHERE region_code = ?))))
        SELECT r.live_id, json_extract_string(r.properties, '$.live_replay."' || r.live_id || '".track_id') AS track_id,
               TRY_CAST(json_extract_string(r.properties, '$.live_replay."' || r.live_id || '".offset_s') AS BIGINT) AS offset_s,
               max(t.ts) AS last_ts
        FROM r JOIN tracks t ON t.kind = 'typhoon' AND t.track_id = r.live_id
        GROUP BY ALL ORDER BY last_ts DESC, r.live_id""", [region, region])
