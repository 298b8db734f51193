"""Queries of the one-map layers (``layers/``): places, latest values at a time, tracks, incidents.

Every function takes the ``Store`` first, binds every value, returns ``Columns`` (named numpy arrays,
the cheapest fetch: the layers work on a few thousand rows, where a DataFrame costs more than the
query; geometry as WKB bytes, WGS-84) and is memoised by the versions of what it reads
(``citybrain.queries.reads``). "A region" is the one scope of
``citybrain.semantics.scope``: the region and its districts; a city's own rows (Zhoushan's fleet is
stored under 330900) belong to the city, not to its districts.
"""

from __future__ import annotations

from datetime import datetime, timedelta


from citybrain.cache import cached_query
from citybrain.queries.reads import DIMENSIONS, ENTITIES, TRACKS, events_of, observations_of
from citybrain.queries.kpi import FLEET_NOW
from citybrain.semantics import scope
from citybrain.store import Columns, Store


def _rf(col: str, region: str) -> tuple[str, list[str]]:
    """The one region scope (``citybrain.semantics.scope``)."""
    return scope.in_region(col, region)


@cached_query(reads=(ENTITIES,))
def entities_by_id(store: Store, ids: tuple[str, ...]) -> Columns:
    """Entities by id: kind, names, region and properties (JSON text)."""
    return store.columns("""SELECT entity_id, kind, name_zh, name_en, region_code, properties FROM entities
                            WHERE list_contains(?, entity_id) ORDER BY entity_id""", [list(ids)])


@cached_query(reads=DIMENSIONS)
def indicator_thresholds(store: Store, indicator_id: str) -> Columns:
    """An indicator's warning and alarm thresholds and direction (no row for an unknown indicator)."""
    return store.columns("SELECT warn, alarm, direction FROM indicators WHERE indicator_id = ?", [indicator_id])


@cached_query(reads=DIMENSIONS)
def region_shapes(store: Store, region: str) -> Columns:
    """The region and its children: names, bounding box, land geometry (WKB) and the simplified
    outline the map draws (GeoJSON text)."""
    return store.columns("""SELECT region_code, name_zh, name_en, parent_code, coastal, lon, lat,
                              min_lon, min_lat, max_lon, max_lat, geometry, outline
                       FROM regions WHERE region_code = ? OR parent_code = ? ORDER BY region_code""",
                    [region, region])


@cached_query(reads=DIMENSIONS)
def basemap(store: Store, view: str) -> Columns:
    """The basemap of a region's view (``layers.basemap.view_region``): land outlines (GeoJSON text)
    and name labels, labels by rank."""
    return store.columns("""SELECT kind, code, name_zh, name_en, rank, lon, lat, outline FROM basemap
                            WHERE region_code = ? ORDER BY kind, rank, code""", [view])


@cached_query(reads=(ENTITIES,))
def layer_entities(store: Store, region: str, kinds: tuple[str, ...]) -> Columns:
    """Entities of some kinds in a region, with geometry (WKB) and properties (JSON text)."""
    rsql, rp = _rf("region_code", region)
    return store.columns(f"""SELECT entity_id, kind, name_zh, name_en, region_code, lon, lat, geometry, properties,
                               simulated
                        FROM entities WHERE {rsql} AND list_contains(?, kind)
                        ORDER BY kind, entity_id""", [*rp, list(kinds)])


@cached_query(reads=lambda store, region, indicator_id, *a, **k: observations_of(store, (indicator_id,)))
def latest_entity_values(store: Store, region: str, indicator_id: str, at: datetime,
                         lookback_h: float = 25.0) -> Columns:
    """Per entity: the last value of an indicator at or before ``at`` (within ``lookback_h``)."""
    rsql, rp = _rf("region_code", region)
    return store.columns(f"""SELECT entity_id, max(ts) AS ts, arg_max(value, ts) AS value
                        FROM observations
                        WHERE ts > ? AND ts <= ? AND indicator_id = ? AND entity_id IS NOT NULL AND {rsql}
                        GROUP BY entity_id ORDER BY entity_id""",
                    [at - timedelta(hours=lookback_h), at, indicator_id, *rp])


@cached_query(reads=lambda store, region, at, specs: observations_of(store, [s[0] for s in specs]))
def latest_values_many(store: Store, region: str, at: datetime,
                       specs: tuple[tuple[str, float], ...]) -> Columns:
    """``latest_entity_values`` of several indicators in one scan: per (indicator, entity) the last value at
    or before ``at``, each within its own look-back (``specs`` = ((indicator_id, lookback_h), ...))."""
    rsql, rp = _rf("region_code", region)
    ids = [s[0] for s in specs]
    backs = [at - timedelta(hours=float(s[1])) for s in specs]
    return store.columns(f"""SELECT indicator_id, entity_id, max(ts) AS ts, arg_max(value, ts) AS value
                        FROM observations
                        WHERE ts > ? AND ts <= ? AND list_contains(?, indicator_id) AND entity_id IS NOT NULL
                          AND {rsql}
                        GROUP BY indicator_id, entity_id
                        HAVING max(ts) > list_extract(?::TIMESTAMP[], list_position(?, indicator_id))
                        ORDER BY indicator_id, entity_id""",
                    [min(backs), at, ids, *rp, backs, ids])


@cached_query(reads=lambda store, entity_id, indicator_id, *a: observations_of(store, (indicator_id,)))
def entity_series(store: Store, entity_id: str, indicator_id: str, start: datetime, end: datetime) -> Columns:
    """One entity's series of one indicator (the detail panel's sparkline)."""
    return store.columns("""SELECT ts, value FROM observations
                       WHERE ts BETWEEN ? AND ? AND indicator_id = ? AND entity_id = ? ORDER BY ts""",
                    [start, end, indicator_id, entity_id])


@cached_query(reads=(TRACKS, ENTITIES))
def vessel_positions(store: Store, region: str, at: datetime) -> Columns:
    """Each vessel's last reported position at ``at`` (``queries.kpi.FLEET_NOW``: vessels report at
    their own times, every 30 s to 5 minutes)."""
    rsql, rp = _rf("region_code", region)
    return store.columns(f"""WITH t AS ({FLEET_NOW.format(where=rsql)})
                        SELECT t.track_id, t.lon, t.lat, t.status, t.speed_kn, t.ts,
                               coalesce(e.name_en, t.track_id) AS name_en
                        FROM t LEFT JOIN entities e ON e.entity_id = t.track_id
                        ORDER BY t.track_id""", [at, at, *rp])


@cached_query(reads=(TRACKS, ENTITIES))
def vessel_trail(store: Store, region: str, start: datetime, end: datetime) -> Columns:
    """Each vessel's positions in ``(start, end]`` in time order, one row per vessel with at least two
    (lists of lon and lat), whether it was in alarm on the way, and its English name (trails and
    density; the database groups the tens of thousands of positions)."""
    rsql, rp = _rf("region_code", region)
    return store.columns(f"""WITH p AS (
                            SELECT track_id, list(lon::FLOAT ORDER BY ts) AS lon, list(lat::FLOAT ORDER BY ts) AS lat,
                                   max((status LIKE 'alarm%')::UTINYINT) AS alarm
                            FROM tracks WHERE kind = 'vessel' AND ts > ? AND ts <= ? AND {rsql}
                            GROUP BY track_id HAVING count(*) >= 2)
                        SELECT p.*, coalesce(e.name_en, p.track_id) AS name_en
                        FROM p LEFT JOIN entities e ON e.entity_id = p.track_id ORDER BY p.track_id""",
                    [start, end, *rp])


@cached_query(reads=(ENTITIES, TRACKS))
def typhoons(store: Store, region: str) -> Columns:
    """Typhoons that affected a region (best track within 300 km), with their track ids and spans."""
    return store.columns("""
        SELECT e.entity_id, e.name_zh, e.name_en, e.lon, e.lat, e.properties, t.track_id,
               min(t.ts) AS first_ts, max(t.ts) AS last_ts
        FROM entities e JOIN tracks t
          ON t.kind = 'typhoon' AND list_contains(CAST(json_extract(e.properties, '$.track_ids') AS VARCHAR[]), t.track_id)
        WHERE e.kind = 'typhoon'
          AND (list_contains(CAST(json_extract(e.properties, '$.affected_regions') AS VARCHAR[]), ?)
               OR list_contains(CAST(json_extract(e.properties, '$.affected_regions') AS VARCHAR[]),
                                (SELECT parent_code FROM regions WHERE region_code = ?)))
        GROUP BY ALL ORDER BY first_ts, t.track_id""", [region, region])


@cached_query(reads=(TRACKS,))
def typhoon_track(store: Store, track_id: str) -> Columns:
    """One best track: time, position, wind, pressure, grade."""
    return store.columns("""SELECT ts, lon, lat, wind_ms, pressure_hpa, grade, source FROM tracks
                       WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts""", [track_id])


@cached_query(reads=lambda store, region, dataset, *a: (events_of(dataset),))
def incidents_at(store: Store, region: str, dataset: str, at: datetime, since_h: float) -> Columns:
    """Incidents of a dataset as they stood at ``at``: reported in the ``since_h`` hours before and
    not yet closed then; with the life-cycle step reached at ``at`` and whether its next step is overdue."""
    rsql, rp = _rf("region_code", region)
    return store.columns(f"""
        WITH e AS (
            SELECT event_id, kind, entity_id, title_zh, title_en, severity, lon, lat, reported_at,
                   dispatched_at, on_scene_at, resolved_at, closed_at, due_at, properties,
                   CASE WHEN closed_at <= ? THEN 'closed' WHEN resolved_at <= ? THEN 'resolved'
                        WHEN on_scene_at <= ? THEN 'on_scene' WHEN dispatched_at <= ? THEN 'dispatched'
                        ELSE 'reported' END AS step
            FROM events
            WHERE dataset = ? AND reported_at <= ? AND reported_at > ? AND (closed_at IS NULL OR closed_at > ?)
              AND {rsql})
        SELECT e.* EXCLUDE (properties),
               json_extract_string(properties, '$.kind_zh') AS kind_zh,
               TRY_CAST(json_extract_string(properties, '$.sla_due.' || CASE step
                    WHEN 'reported' THEN 'dispatch' WHEN 'dispatched' THEN 'on_scene'
                    WHEN 'on_scene' THEN 'resolve' ELSE 'close' END) AS TIMESTAMP) AS next_due
        FROM e ORDER BY reported_at, event_id""",
        [at, at, at, at, dataset, at, at - timedelta(hours=since_h), at, *rp])
