"""The query functions every view calls: parameterised SQL in, DataFrames out, cached by version.

Dashboards, layers, the wall and the exports never import duckdb; they call these. Every value
from a request arrives as a bound parameter. Times are China Standard Time, naive.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from citybrain.cache import cached_query
from citybrain.store import Store

@cached_query
def regions(store: Store) -> pd.DataFrame:
    """All regions with names, centre and bounding box (no geometry)."""
    return store.df("""SELECT region_code, name_zh, name_en, parent_code, coastal, lon, lat,
                              min_lon, min_lat, max_lon, max_lat
                       FROM regions ORDER BY region_code""")


@cached_query
def region_geometry(store: Store, region_code: str) -> bytes | None:
    """WKB of a region's land boundary (WGS-84)."""
    return store.scalar("SELECT geometry FROM regions WHERE region_code = ?", [region_code])


@cached_query
def anchor(store: Store) -> datetime:
    """The store's 'now' for simulated feeds (end of the generated window)."""
    return datetime.fromisoformat(store.meta()["anchor"])


@cached_query
def datasets(store: Store) -> pd.DataFrame:
    """Every dataset with its manifest fields."""
    return store.df("SELECT * EXCLUDE (manifest) FROM datasets ORDER BY name")


@cached_query
def dataset_stats(store: Store) -> pd.DataFrame:
    """Row counts per table, time span and last timestamp per dataset."""
    return store.df("""
        WITH counts AS (
            SELECT dataset, 'observations' AS tbl, count(*) AS n, min(ts) AS t0, max(ts) AS t1 FROM observations GROUP BY 1
            UNION ALL SELECT dataset, 'tracks', count(*), min(ts), max(ts) FROM tracks GROUP BY 1
            UNION ALL SELECT dataset, 'events', count(*), min(reported_at), max(reported_at) FROM events GROUP BY 1
            UNION ALL SELECT dataset, 'entities', count(*), NULL, NULL FROM entities GROUP BY 1
            UNION ALL SELECT dataset, 'targets', count(*), NULL, NULL FROM targets GROUP BY 1
            UNION ALL SELECT dataset, 'regions', count(*), NULL, NULL FROM regions GROUP BY 1
            UNION ALL SELECT dataset, 'indicators', count(*), NULL, NULL FROM indicators GROUP BY 1)
        SELECT d.name AS dataset,
               coalesce(sum(c.n), 0)::BIGINT AS rows,
               coalesce(sum(c.n) FILTER (WHERE c.tbl = 'observations'), 0)::BIGINT AS observations,
               coalesce(sum(c.n) FILTER (WHERE c.tbl = 'tracks'), 0)::BIGINT AS tracks,
               coalesce(sum(c.n) FILTER (WHERE c.tbl = 'events'), 0)::BIGINT AS events,
               coalesce(sum(c.n) FILTER (WHERE c.tbl = 'entities'), 0)::BIGINT AS entities,
               coalesce(sum(c.n) FILTER (WHERE c.tbl = 'indicators'), 0)::BIGINT AS indicators,
               min(c.t0) AS first_ts, max(c.t1) AS last_ts,
               b.loaded_at, b.batch_id
        FROM datasets d LEFT JOIN counts c ON c.dataset = d.name
        LEFT JOIN batches b ON b.dataset = d.name
        GROUP BY d.name, b.loaded_at, b.batch_id ORDER BY d.name""")


@cached_query
def coverage(store: Store, region_code: str) -> pd.DataFrame:
    """Which datasets apply to a region, and why not where they do not."""
    return store.df("SELECT dataset, applicable, reason FROM coverage WHERE region_code = ? ORDER BY dataset",
                    [region_code])


@cached_query
def indicators(store: Store, domain: str | None = None) -> pd.DataFrame:
    """Indicator definitions (optionally of one domain)."""
    return store.df("""SELECT * EXCLUDE (batch_id) FROM indicators
                       WHERE (? IS NULL OR domain = ?) ORDER BY domain, indicator_id""", [domain, domain])


@cached_query
def indicator_stats(store: Store, region_code: str | None = None) -> pd.DataFrame:
    """Per indicator: observation count, first and last time (optionally for one region)."""
    return store.df("""SELECT indicator_id, count(*)::BIGINT AS rows, min(ts) AS first_ts, max(ts) AS last_ts
                       FROM observations WHERE (? IS NULL OR region_code = ?)
                       GROUP BY indicator_id""", [region_code, region_code])


@cached_query
def latest_values(store: Store, region_code: str, indicator_ids: tuple[str, ...] | None = None,
                  entity_level: bool = False) -> pd.DataFrame:
    """Latest value per indicator (region-level series, or per entity with ``entity_level``)."""
    ids = list(indicator_ids) if indicator_ids else None
    return store.df("""
        SELECT indicator_id, entity_id, arg_max(ts, ts) AS ts, arg_max(value, ts) AS value
        FROM observations
        WHERE region_code = ? AND (? IS NULL OR list_contains(?, indicator_id))
          AND (CASE WHEN ? THEN entity_id IS NOT NULL ELSE entity_id IS NULL END)
        GROUP BY indicator_id, entity_id ORDER BY indicator_id, entity_id""",
        [region_code, ids, ids, entity_level])


@cached_query
def series(store: Store, indicator_id: str, region_code: str, start: datetime, end: datetime,
           entity_id: str | None = None) -> pd.DataFrame:
    """One time series (region level when ``entity_id`` is None)."""
    return store.df("""
        SELECT ts, value FROM observations
        WHERE indicator_id = ? AND region_code = ? AND ts BETWEEN ? AND ?
          AND (CASE WHEN ? IS NULL THEN entity_id IS NULL ELSE entity_id = ? END)
        ORDER BY ts""", [indicator_id, region_code, start, end, entity_id, entity_id])


@cached_query
def window_sum(store: Store, indicator_id: str, region_code: str, end: datetime,
               hours: float = 24.0) -> float | None:
    """Sum of an indicator's region-level values over the ``hours`` ending at ``end``."""
    start = end - timedelta(hours=hours)
    return store.scalar("""SELECT sum(value) FROM observations
                           WHERE indicator_id = ? AND region_code = ? AND entity_id IS NULL
                             AND ts > ? AND ts <= ?""", [indicator_id, region_code, start, end])


@cached_query
def entities(store: Store, region_code: str, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Entities of a region (optionally of some kinds), without geometry."""
    k = list(kinds) if kinds else None
    return store.df("""SELECT entity_id, kind, name_zh, name_en, region_code, lon, lat, properties,
                              classification, simulated, dataset
                       FROM entities
                       WHERE (region_code = ? OR region_code IN (SELECT region_code FROM regions WHERE parent_code = ?))
                         AND (? IS NULL OR list_contains(?, kind))
                       ORDER BY kind, entity_id""", [region_code, region_code, k, k])


@cached_query
def positions_at(store: Store, region_code: str, kind: str, at: datetime,
                 bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Last position of each track of ``kind`` at time ``at`` (within 1 hour before), optional box."""
    x0, y0, x1, y1 = bbox if bbox else (None, None, None, None)
    return store.df("""
        SELECT track_id, arg_max(lon, ts) AS lon, arg_max(lat, ts) AS lat, arg_max(status, ts) AS status,
               arg_max(speed_kn, ts) AS speed_kn, max(ts) AS ts
        FROM tracks
        WHERE kind = ? AND ts > ? - INTERVAL 1 HOUR AND ts <= ?
          AND (region_code = ? OR region_code IN (SELECT region_code FROM regions WHERE parent_code = ?))
          AND (? IS NULL OR (lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?))
        GROUP BY track_id ORDER BY track_id""",
        [kind, at, at, region_code, region_code, x0, x0, x1, y0, y1])


@cached_query
def targets(store: Store, region_code: str | None = None) -> pd.DataFrame:
    """Planning indicators (baseline / current / target rows) of a region, or all."""
    return store.df("""SELECT * EXCLUDE (batch_id, dataset) FROM targets
                       WHERE (? IS NULL OR region_code = ?)
                       ORDER BY region_code, domain, indicator_id, year, kind""", [region_code, region_code])
