"""Queries of the KPI cockpit and the domain dashboards (bound parameters in, DataFrames out).

Every function takes the ``Store`` first and is memoised by the versions of what it reads. ``at`` is
the moment the screen shows (normally ``queries.anchor(store)``); "region" filters on entities, events and tracks
use the one region scope (``citybrain.semantics.scope``), region-level KPI series match the region
code exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd

from citybrain.cache import cached_query
from citybrain.queries.core import datasets
from citybrain.queries.reads import (DIMENSIONS, ENTITIES, EVENTS, OBSERVATIONS, TRACKS, by_dataset,
                                     indicators_of, observations_of)
from citybrain.semantics import scope
from citybrain.store import Store

def _in(col: str = "region_code") -> str:
    """The one region scope (``citybrain.semantics.scope``); takes the region code twice."""
    return scope.sql(col)


def data_now(store: Store, names: tuple[str, ...], at: datetime) -> datetime:
    """``at``, or the newest row time of the facets ``names`` if that is earlier: a query of the rows up
    to ``at`` gives the same answer then, and it stays cached while other feeds move the store's now
    (``citybrain.store.facets``). ``at`` itself when any facet's newest time is unknown."""
    newest = [store.newest(f) for f in names]
    if not newest or any(n is None for n in newest):
        return at
    return min(at, max(newest))  # type: ignore[type-var]


def snapshot(store: Store, region: str, ids: tuple[str, ...], at: datetime) -> pd.DataFrame:
    """Per indicator (region level): latest value and time, and the values a day and a week before, at
    ``at`` (asked at the indicators' newest data when that is earlier: the same rows, ``data_now``).
    Asked per owning dataset (``per_dataset``), so a batch re-reads only its own dataset's indicators."""
    return _at_data_now(_snapshot, store, region, ids, at, ["indicator_id"])


snapshot.uncached = lambda store, region, ids, at: _at_data_now(  # type: ignore[attr-defined]
    _snapshot.uncached, store, region, ids, at, ["indicator_id"])


def _at_data_now(query: Callable[..., pd.DataFrame], store: Store, region: str, ids: tuple[str, ...],
                 at: datetime, order: list[str], *more: object) -> pd.DataFrame:
    """``query(store, region, group, its data_now, *more, dataset)`` per owning dataset, as one frame.

    Each dataset is asked for all of its indicators and the rows of ``group`` are kept: the cards, the
    alarm set, the targets and the wall ask for different indicators of one dataset, and after a batch
    one scan of that dataset (one cached result per region and time) now serves them all."""
    def ask(ds: str | None, group: tuple[str, ...]) -> pd.DataFrame:
        every = indicators_of(store, ds) if ds is not None else group
        frame = query(store, region, every, data_now(store, observations_of(store, group), at), *more, ds)
        if every == group:
            return frame
        return frame[frame["indicator_id"].isin(group)].reset_index(drop=True)

    return per_dataset(store, ids, order, ask)


def per_dataset(store: Store, ids: tuple[str, ...], order: list[str],
                ask: Callable[[str | None, tuple[str, ...]], pd.DataFrame]) -> pd.DataFrame:
    """``ask(dataset, ids of that dataset)`` for each dataset owning some of ``ids`` (``reads.by_dataset``),
    the answers as one frame in ``order``: what one query of all ``ids`` ordered by ``order`` gives."""
    frames = [ask(ds, group) for ds, group in by_dataset(store, ids) or [(None, ())]]
    if len(frames) == 1:
        return frames[0]
    rows = [f for f in frames if len(f)] or frames[:1]
    if len(rows) == 1:
        return rows[0]
    return pd.concat(rows, ignore_index=True).sort_values(order, kind="stable", ignore_index=True)


@cached_query(reads=lambda store, region, ids, *a, **k: observations_of(store, ids))
def _snapshot(store: Store, region: str, ids: tuple[str, ...], at: datetime,
              dataset: str | None = None) -> pd.DataFrame:
    # ``dataset`` (the owner of every one of ``ids``) lets DuckDB skip the other datasets' parts
    return store.df("""
        WITH s AS (SELECT indicator_id, ts, value, quality FROM observations
                   WHERE region_code = ? AND entity_id IS NULL AND list_contains(?, indicator_id)
                     AND ts <= ? AND ts > ? - INTERVAL 90 DAY AND (?::VARCHAR IS NULL OR dataset = ?))
        SELECT indicator_id, max(ts) AS ts, arg_max(value, ts) AS value, arg_max(quality, ts) AS quality,
               arg_max(value, ts) FILTER (WHERE ts <= (SELECT max(ts) FROM s s2 WHERE s2.indicator_id = s.indicator_id) - INTERVAL 1 DAY) AS value_1d,
               arg_max(value, ts) FILTER (WHERE ts <= (SELECT max(ts) FROM s s2 WHERE s2.indicator_id = s.indicator_id) - INTERVAL 7 DAY) AS value_7d
        FROM s GROUP BY indicator_id ORDER BY indicator_id""", [region, list(ids), at, at, dataset, dataset])


def sparks(store: Store, region: str, ids: tuple[str, ...], at: datetime, days: int = 7) -> pd.DataFrame:
    """Hourly means of region-level series over the ``days`` before ``at`` (for sparklines): before the
    series' newest data when that is earlier (``data_now``), so a sparkline ends where its data ends.
    Asked per owning dataset, as ``snapshot``."""
    return _at_data_now(_sparks, store, region, ids, at, ["indicator_id", "ts"], days)


@cached_query(reads=lambda store, region, ids, *a, **k: observations_of(store, ids))
def _sparks(store: Store, region: str, ids: tuple[str, ...], at: datetime, days: int = 7,
            dataset: str | None = None) -> pd.DataFrame:
    return store.df("""
        SELECT indicator_id, time_bucket(INTERVAL 1 HOUR, ts) AS ts, avg(value) AS value
        FROM observations
        WHERE region_code = ? AND entity_id IS NULL AND list_contains(?, indicator_id)
          AND ts > ? - to_days(?) AND ts <= ? AND (?::VARCHAR IS NULL OR dataset = ?)
        GROUP BY ALL ORDER BY indicator_id, ts""", [region, list(ids), at, days, at, dataset, dataset])


@cached_query(reads=lambda store, indicator, *a: observations_of(store, (indicator,)))
def region_compare(store: Store, indicator: str, at: datetime) -> pd.DataFrame:
    """Latest region-level value of one indicator in every region (drill-down comparison)."""
    return store.df("""
        SELECT o.region_code, r.name_zh, r.name_en, max(o.ts) AS ts, arg_max(o.value, o.ts) AS value
        FROM observations o JOIN regions r USING (region_code)
        WHERE o.indicator_id = ? AND o.entity_id IS NULL AND o.ts <= ? AND o.ts > ? - INTERVAL 90 DAY
        GROUP BY ALL ORDER BY o.region_code""", [indicator, at, at])


@cached_query(reads=lambda store, region, ids, *a: observations_of(store, ids, ENTITIES))
def entity_latest(store: Store, region: str, ids: tuple[str, ...], at: datetime) -> pd.DataFrame:
    """Latest entity-level value per (indicator, entity) with the entity's names, kind and properties."""
    return store.df(f"""
        WITH l AS (SELECT indicator_id, entity_id, max(ts) AS ts, arg_max(value, ts) AS value
                   FROM observations
                   WHERE {_in('region_code')} AND entity_id IS NOT NULL AND list_contains(?, indicator_id)
                     AND ts <= ? AND ts > ? - INTERVAL 30 DAY
                   GROUP BY ALL)
        SELECT l.*, e.kind, e.name_zh, e.name_en, e.lon, e.lat, e.properties
        FROM l JOIN entities e USING (entity_id) ORDER BY l.indicator_id, l.entity_id""",
        [region, region, list(ids), at, at])


@cached_query(reads=lambda store, region, indicator, *a: observations_of(store, (indicator,), ENTITIES))
def entity_window_sum(store: Store, region: str, indicator: str, at: datetime, hours: int) -> pd.DataFrame:
    """Sum of one indicator per entity over the ``hours`` before ``at``."""
    return store.df(f"""
        SELECT o.entity_id, e.name_zh, e.name_en, sum(o.value) AS value
        FROM observations o JOIN entities e USING (entity_id)
        WHERE o.indicator_id = ? AND {_in('o.region_code')} AND o.ts > ? - to_hours(?) AND o.ts <= ?
        GROUP BY ALL ORDER BY value DESC, o.entity_id""", [indicator, region, region, at, hours, at])


@cached_query(reads=lambda store, *a, **k: observations_of(store, ("traffic_flow",), ENTITIES))
def flow_by_hour(store: Store, region: str, at: datetime, hours: int = 24) -> pd.DataFrame:
    """Hourly mean traffic flow per checkpoint over the last ``hours`` (heat map)."""
    return store.df(f"""
        SELECT e.name_zh, e.name_en, o.entity_id, time_bucket(INTERVAL 1 HOUR, o.ts) AS hour, avg(o.value) AS value
        FROM observations o JOIN entities e USING (entity_id)
        WHERE o.indicator_id = 'traffic_flow' AND {_in('o.region_code')} AND o.ts > ? - to_hours(?) AND o.ts <= ?
        GROUP BY ALL ORDER BY o.entity_id, hour""", [region, region, at, hours, at])


@cached_query(reads=(ENTITIES, EVENTS))
def black_spots(store: Store, region: str, at: datetime, days: int = 30) -> pd.DataFrame:
    """Accident black spots with accidents in the last ``days`` (from the incident log)."""
    return store.df(f"""
        SELECT b.entity_id, b.name_zh, b.name_en, b.properties,
               count(ev.event_id)::BIGINT AS accidents
        FROM entities b LEFT JOIN events ev
          ON json_extract_string(ev.properties, '$.black_spot_id') = b.entity_id
         AND ev.reported_at > ? - to_days(?) AND ev.reported_at <= ?
        WHERE b.kind = 'black_spot' AND {_in('b.region_code')}
        GROUP BY ALL ORDER BY accidents DESC, b.entity_id""", [at, days, at, region, region])


#: The fleet at a moment (parameters: the moment twice, then the ``where`` filter's): each vessel's
#: last reported position within the hour before. Vessels report at their own times (BeiDou/AIS,
#: every 30 s to 5 minutes); a vessel silent for an hour is no longer on the map. Its status is the
#: last one it stated (a position report may omit it; ``arg_max`` skips NULLs), ``unknown`` if none.
#: The one home of "where is the fleet now" (map, pages, wall).
FLEET_NOW = """SELECT track_id, max(ts) AS ts, arg_max(lon, ts) AS lon, arg_max(lat, ts) AS lat,
        coalesce(arg_max(status, ts), 'unknown') AS status, arg_max(speed_kn, ts) AS speed_kn
    FROM tracks WHERE kind = 'vessel' AND ts <= ? AND ts > ? - INTERVAL 1 HOUR AND {where}
    GROUP BY track_id"""


@cached_query(reads=(TRACKS, ENTITIES))
def vessel_status(store: Store, region: str, at: datetime) -> pd.DataFrame:
    """Vessels at their last position at or before ``at`` (``FLEET_NOW``): status, exemption, home port."""
    return store.df(f"""
        WITH tr AS ({FLEET_NOW.format(where=_in('region_code'))})
        SELECT tr.track_id AS entity_id, tr.status, tr.lon, tr.lat, tr.speed_kn, tr.ts,
               json_extract(e.properties, '$.moratorium_exempt')::BOOLEAN AS exempt,
               json_extract_string(e.properties, '$.home_port') AS home_port,
               json_extract_string(e.properties, '$.gear_zh') AS gear
        FROM tr JOIN entities e ON e.entity_id = tr.track_id
        ORDER BY tr.track_id""", [at, at, region, region])


@cached_query(reads=lambda store, *a: observations_of(store, ("rainfall_1h",), ENTITIES))
def rain_accum(store: Store, region: str, at: datetime) -> pd.DataFrame:
    """Rain per station over the last 1, 3, 24 and 72 hours."""
    return store.df(f"""
        SELECT o.entity_id, e.name_zh, e.name_en, e.kind,
               sum(o.value) FILTER (WHERE o.ts > ? - INTERVAL 1 HOUR) AS h1,
               sum(o.value) FILTER (WHERE o.ts > ? - INTERVAL 3 HOUR) AS h3,
               sum(o.value) FILTER (WHERE o.ts > ? - INTERVAL 24 HOUR) AS h24,
               sum(o.value) AS h72
        FROM observations o JOIN entities e USING (entity_id)
        WHERE o.indicator_id = 'rainfall_1h' AND {_in('o.region_code')} AND o.ts > ? - INTERVAL 72 HOUR AND o.ts <= ?
        GROUP BY ALL ORDER BY h24 DESC, o.entity_id""", [at, at, at, region, region, at, at])


@cached_query(reads=(ENTITIES, TRACKS))
def typhoons(store: Store, region: str, at: datetime) -> pd.DataFrame:
    """Typhoons affecting a region (newest first), with whether a track point lies in the last 3 days."""
    return store.df("""
        SELECT e.entity_id, e.name_zh, e.name_en, e.properties,
               json_extract_string(e.properties, '$.landfall_time') AS landfall_time,
               EXISTS (SELECT 1 FROM tracks t WHERE t.kind = 'typhoon'
                       AND t.track_id = json_extract_string(e.properties, '$.geometry_track')
                       AND t.ts > ? - INTERVAL 3 DAY AND t.ts <= ?) AS active
        FROM entities e
        WHERE e.kind = 'typhoon' AND list_contains(json_extract_string(e.properties, '$.affected_regions[*]'), ?)
        ORDER BY landfall_time DESC""", [at, at, region])


@cached_query(reads=(EVENTS,))
def incident_funnel(store: Store, region: str, at: datetime, days: int = 30) -> pd.DataFrame:
    """Incidents reported in the last ``days``: how many reached each life-cycle step, by kind."""
    return store.df(f"""
        SELECT kind, count(*)::BIGINT AS reported, count(dispatched_at)::BIGINT AS dispatched,
               count(on_scene_at)::BIGINT AS on_scene, count(resolved_at)::BIGINT AS resolved,
               count(closed_at)::BIGINT AS closed,
               median(date_diff('second', reported_at, on_scene_at)) / 60.0 AS response_min
        FROM events WHERE {_in()} AND reported_at > ? - to_days(?) AND reported_at <= ?
        GROUP BY kind ORDER BY reported DESC, kind""", [region, region, at, days, at])


#: What the emergency cockpit counts as an incident: events of emergency datasets, evacuations (people
#: moved, shown with the shelters) excluded — the rule of the ``open_incidents`` series
#: (``datasets/emergency/lifecycle.kpis``); traffic accidents are the traffic page's.
INCIDENT = ("dataset IN (SELECT name FROM datasets WHERE domain = 'emergency') AND kind <> 'evacuation'")


@cached_query(reads=(EVENTS,))
def open_incidents(store: Store, region: str, at: datetime) -> pd.DataFrame:
    """Incidents (``INCIDENT``) not closed at ``at``, overdue first: the rows the 在办事件数 card counts."""
    return store.df(f"""
        SELECT event_id, kind, title_zh, title_en, severity, status, reported_at, due_at,
               coalesce(json_extract(properties, '$.overdue')::BOOLEAN, due_at < ?, false) AS overdue,
               json_extract_string(properties, '$.overdue_step') AS overdue_step
        FROM events WHERE {_in()} AND {INCIDENT} AND reported_at <= ? AND (closed_at IS NULL OR closed_at > ?)
        ORDER BY overdue DESC, reported_at""", [at, region, region, at, at])


@cached_query(reads=DIMENSIONS)
def target_rows(store: Store, region: str | None) -> pd.DataFrame:
    """Planning indicators pivoted: baseline, current and target per (region, indicator)."""
    return store.df("""
        SELECT region_code, indicator_id, any_value(indicator_name_zh) AS name_zh,
               any_value(indicator_name_en) AS name_en, any_value(domain) AS domain,
               any_value(attribute) AS attribute,
               arg_max(value, year) FILTER (WHERE kind = 'baseline') AS baseline,
               max(year) FILTER (WHERE kind = 'baseline') AS baseline_year,
               arg_max(value, year) FILTER (WHERE kind = 'current') AS current,
               max(year) FILTER (WHERE kind = 'current') AS current_year,
               arg_max(value, year) FILTER (WHERE kind = 'target') AS target,
               max(year) FILTER (WHERE kind = 'target') AS target_year,
               arg_max(unit, year) FILTER (WHERE kind = 'target') AS unit_target,
               any_value(unit) AS unit, any_value(source_quote) AS quote, any_value(source_file) AS source_file
        FROM targets WHERE (? IS NULL OR region_code = ?)
        GROUP BY region_code, indicator_id ORDER BY region_code, domain, indicator_id""", [region, region])


def dataset_last(store: Store, region: str) -> pd.DataFrame:
    """Per dataset: its cadence and its newest observation in the region (freshness needs no more).
    Asked per dataset, so a batch re-reads only its own dataset's newest time."""
    frames = [_dataset_last(store, region, name) for name in datasets(store)["name"]]
    return pd.concat(frames, ignore_index=True) if frames else _dataset_last(store, region, "")


@cached_query(reads=lambda store, region, dataset: (f"{OBSERVATIONS}:{dataset}",))
def _dataset_last(store: Store, region: str, dataset: str) -> pd.DataFrame:
    # a plain filter on the dataset (not a correlated one) lets DuckDB skip the other datasets' parts
    return store.df(f"""
        SELECT d.name AS dataset, d.cadence_s,
               (SELECT max(ts) FROM observations o WHERE o.dataset = ? AND {_in('o.region_code')}) AS last_ts
        FROM datasets d WHERE d.name = ?""", [dataset, region, region, dataset])


@cached_query(reads=(OBSERVATIONS, ENTITIES))
def dataset_freshness(store: Store, region: str) -> pd.DataFrame:
    """Per dataset, for a region: observation rows and last time, entity count, applicability."""
    return store.df(f"""
        SELECT d.name AS dataset, d.title_zh, d.title_en, d.owner_zh, d.owner_en, d.cadence, d.cadence_s,
               d.classification, d.simulated, c.applicable, c.reason,
               (SELECT count(*) FROM observations o WHERE o.dataset = d.name AND {_in('o.region_code')})::BIGINT AS obs,
               (SELECT max(ts) FROM observations o WHERE o.dataset = d.name AND {_in('o.region_code')}) AS last_ts,
               (SELECT count(*) FROM entities e WHERE e.dataset = d.name AND {_in('e.region_code')})::BIGINT AS entities
        FROM datasets d LEFT JOIN coverage c ON c.dataset = d.name AND c.region_code = ?
        ORDER BY d.name""", [region, region, region, region, region, region, region])


def since(at: datetime, days: float) -> datetime:
    """``at`` minus ``days`` (helper for the drill-down ranges)."""
    return at - timedelta(days=days)
