"""The query functions every view calls: parameterised SQL in, DataFrames out, cached by version.

Dashboards, layers, the wall and the exports never import duckdb; they call these. Every value
from a request arrives as a bound parameter. Times are China Standard Time, naive.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from citybrain.cache import cached_query
from citybrain.queries.reads import ANCHOR, DIMENSIONS, OBSERVATIONS, observations_of
from citybrain.store import Store

@cached_query(reads=(ANCHOR,))
def anchor(store: Store) -> datetime:
    """The store's 'now' for simulated feeds (end of the generated window)."""
    return datetime.fromisoformat(store.meta()["anchor"])


@cached_query(reads=DIMENSIONS)
def datasets(store: Store) -> pd.DataFrame:
    """Every dataset with its manifest fields."""
    return store.df("SELECT * EXCLUDE (manifest) FROM datasets ORDER BY name")


@cached_query
def dataset_stats(store: Store) -> pd.DataFrame:
    """Row counts per table, time span, last timestamp and newest batch: one row per dataset."""
    return store.df("""
        WITH counts AS (
            SELECT dataset, 'observations' AS tbl, count(*) AS n, min(ts) AS t0, max(ts) AS t1 FROM observations GROUP BY 1
            UNION ALL SELECT dataset, 'tracks', count(*), min(ts), max(ts) FROM tracks GROUP BY 1
            UNION ALL SELECT dataset, 'events', count(*), min(reported_at), max(reported_at) FROM events GROUP BY 1
            UNION ALL SELECT dataset, 'entities', count(*), NULL, NULL FROM entities GROUP BY 1
            UNION ALL SELECT dataset, 'targets', count(*), NULL, NULL FROM targets GROUP BY 1
            UNION ALL SELECT dataset, 'regions', count(*), NULL, NULL FROM regions GROUP BY 1
            UNION ALL SELECT dataset, 'indicators', count(*), NULL, NULL FROM indicators GROUP BY 1),
        -- the newest batch of each dataset (a live feed adds one every few minutes: one row per dataset)
        newest AS (SELECT dataset, max(loaded_at) AS loaded_at, arg_max(batch_id, loaded_at) AS batch_id
                   FROM batches GROUP BY 1)
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
        LEFT JOIN newest b ON b.dataset = d.name
        GROUP BY d.name, b.loaded_at, b.batch_id ORDER BY d.name""")


@cached_query(reads=DIMENSIONS)
def coverage(store: Store, region_code: str) -> pd.DataFrame:
    """Which datasets apply to a region, and why not where they do not."""
    return store.df("SELECT dataset, applicable, reason FROM coverage WHERE region_code = ? ORDER BY dataset",
                    [region_code])


@cached_query(reads=DIMENSIONS)
def indicators(store: Store, domain: str | None = None) -> pd.DataFrame:
    """Indicator definitions (optionally of one domain)."""
    return store.df("""SELECT * EXCLUDE (batch_id) FROM indicators
                       WHERE (? IS NULL OR domain = ?) ORDER BY domain, indicator_id""", [domain, domain])


@cached_query(reads=(OBSERVATIONS,))
def indicator_stats(store: Store, region_code: str | None = None) -> pd.DataFrame:
    """Per indicator: observation count, first and last time (optionally for one region)."""
    return store.df("""SELECT indicator_id, count(*)::BIGINT AS rows, min(ts) AS first_ts, max(ts) AS last_ts
                       FROM observations WHERE (? IS NULL OR region_code = ?)
                       GROUP BY indicator_id ORDER BY indicator_id""", [region_code, region_code])


@cached_query(reads=lambda store, indicator_id, *a, **k: observations_of(store, (indicator_id,)))
def series(store: Store, indicator_id: str, region_code: str, start: datetime, end: datetime,
           entity_id: str | None = None) -> pd.DataFrame:
    """One time series (region level when ``entity_id`` is None)."""
    return store.df("""
        SELECT ts, value FROM observations
        WHERE indicator_id = ? AND region_code = ? AND ts BETWEEN ? AND ?
          AND (CASE WHEN ? IS NULL THEN entity_id IS NULL ELSE entity_id = ? END)
        ORDER BY ts""", [indicator_id, region_code, start, end, entity_id, entity_id])
