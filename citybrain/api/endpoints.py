"""The tabular endpoints of ``/api/v1``: parameters and the one SQL query behind each.

Each endpoint's query gives a total order (same query, same bytes) and formats times as
``YYYY-MM-DD HH:MM:SS`` (China Standard Time) so that CSV opens cleanly in Excel. The same query
feeds JSON pages, CSV and Parquet. JSON text columns are served as valid JSON (``json_text``: a
NaN or Infinity inside becomes null) and rows that name an entity carry its names beside its id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from citybrain.export import Part
from citybrain.store.restricted import restored_column, unmask_sql
from citybrain.store import Reader
from citybrain.api.params import Param

TS = "strftime({0}, '%Y-%m-%d %H:%M:%S') AS {1}"
REGION_FILTER = ("(? IS NULL OR {col} IN (SELECT region_code FROM regions WHERE region_code = ? "
                 "OR parent_code = ?) OR {col} = ?)")

REGION = Param("region", "region", "Region code (adcode); a city includes its districts.")
FROM = Param("from", "datetime", "Start time, inclusive (China Standard Time).", before="to")
TO = Param("to", "datetime", "End time, exclusive (China Standard Time).")
DOMAINS = ("boundaries", "targets", "fisheries", "traffic", "water", "emergency", "typhoon")


@dataclass(frozen=True)
class Endpoint:
    """One tabular endpoint: ``/api/v1/<name>`` (JSON pages) and ``/api/v1/<name>.<fmt>``."""

    name: str
    summary: str
    params: list[Param]
    query: Callable[[dict[str, Any]], tuple[str, list[Any]]]
    formats: tuple[str, ...] = ("json", "csv", "parquet")
    restricted: tuple[str, ...] = ()
    #: Big downloads go out in time windows (the first sort key is the time, filtered by ``from``/``to``):
    #: this query gives ``lo``, ``hi``, ``n`` of the filtered rows' time, from the table alone (the
    #: windows it places always cover everything, so it needs no joins). None: never split.
    span: Callable[[dict[str, Any]], tuple[str, list[Any]]] | None = None

    def parts(self, store: Reader, values: dict[str, Any], target_rows: int = 600_000) -> Iterator[Part]:
        """The query as consecutive time windows (or whole, when it is small or has no ``span``).

        One aggregate over the filtered rows gives their time span and count; windows of about
        ``target_rows`` rows each are disjoint and ordered by the first sort key, so their
        concatenation is exactly the whole query's order."""
        sql, params = self.query(values)
        if self.span is None:
            yield sql, params
            return
        lo, hi, n = store.df(*self.span(values)).iloc[0]
        if n <= target_rows or pd.isna(lo):
            yield sql, params
            return
        lo, hi = pd.Timestamp(lo).to_pydatetime(), pd.Timestamp(hi).to_pydatetime()
        start, end = lo, hi + timedelta(microseconds=1)
        span = (hi - lo).total_seconds() or 1.0
        step = timedelta(seconds=max(3600.0, span * target_rows / int(n)))
        t = start
        while t < end:
            yield self.query({**values, "from": t, "to": min(t + step, end)})
            t += step


#: Tokens JSON does not have, as written into JSON text by tools that allow them (Python's json).
_NON_JSON = r"-?NaN|-?Infinity"
#: A whole JSON string (group 1) or a non-JSON token (group 2), whichever starts first.
_STRING_OR_NON_JSON = r'("(?:[^"\\]|\\.)*")|(' + _NON_JSON + ")"
_MARK = "\x01"  # raw JSON text never holds a control character


def json_text(expr: str) -> str:
    """SQL of the JSON text ``expr`` with every NaN/Infinity token outside a string as null.

    DuckDB's JSON type keeps such tokens as they were written. In minified JSON (``json(…)``) a
    token outside strings is found exactly: strings are matched whole first and kept; a bad token is
    marked between two control characters, the marked tokens become null, the marks go."""
    marked = f"regexp_replace(json({expr})::VARCHAR, '{_STRING_OR_NON_JSON}', '\\1{_MARK}\\2{_MARK}', 'g')"
    nulled = f"regexp_replace({marked}, '{_MARK}({_NON_JSON}){_MARK}', 'null', 'g')"
    return (f"CASE WHEN regexp_matches({expr}::VARCHAR, '{_NON_JSON}') THEN replace({nulled}, '{_MARK}', '') "
            f"ELSE {expr}::VARCHAR END")


def _region(v: dict[str, Any], col: str) -> tuple[str, list[Any]]:
    r = v.get("region")
    return REGION_FILTER.format(col=col), [r, r, r, r]


def q_datasets(v: dict[str, Any]) -> tuple[str, list[Any]]:
    return ("""SELECT name, title_zh, title_en, domain, source, licence, provenance, crs, cadence, owner_zh,
                      owner_en, classification, simulated, assumptions
               FROM datasets WHERE (? IS NULL OR domain = ?) ORDER BY name""", [v["domain"], v["domain"]])


def q_indicators(v: dict[str, Any]) -> tuple[str, list[Any]]:
    return ("""SELECT indicator_id, name_zh, name_en, domain, unit, frequency, direction, warn, alarm,
                      owner_zh, classification, dataset, simulated, description
               FROM indicators WHERE (? IS NULL OR domain = ?) ORDER BY indicator_id""",
            [v["domain"], v["domain"]])


def _observations_where(v: dict[str, Any]) -> tuple[str, list[Any]]:
    """The observations endpoint's filters on ``observations o``."""
    ids = v["indicator"] or None
    rsql, rparams = _region(v, "o.region_code")
    vsql, vparams = _visible(v, "o.dataset")
    return (f"""(? IS NULL OR list_contains(?, o.indicator_id)) AND {rsql} AND {vsql}
                  AND (? IS NULL OR o.entity_id = ?) AND (? IS NULL OR o.ts >= ?) AND (? IS NULL OR o.ts < ?)""",
            [ids, ids, *rparams, *vparams, v["entity"], v["entity"], v["from"], v["from"], v["to"], v["to"]])


def q_observations(v: dict[str, Any]) -> tuple[str, list[Any]]:
    where, wparams = _observations_where(v)
    esql, eparams = _visible(v, "e.dataset")
    return (f"""SELECT o.indicator_id, i.name_zh AS indicator_name, o.region_code, o.entity_id,
                       e.name_zh AS entity_name_zh, e.name_en AS entity_name_en,
                       {TS.format('o.ts', 'ts')}, o.value, i.unit, o.quality, o.simulated, o.dataset, o.batch_id
                FROM observations o JOIN indicators i USING (indicator_id)
                LEFT JOIN entities e ON e.entity_id = o.entity_id AND {esql}
                WHERE {where}
                ORDER BY o.ts, o.indicator_id, o.region_code, o.entity_id NULLS FIRST""",
            [*eparams, *wparams])


def span_observations(v: dict[str, Any]) -> tuple[str, list[Any]]:
    """The time span and count of the observations a download selects, from the table alone (no joins,
    no formatted time): where its time windows go."""
    where, wparams = _observations_where(v)
    return f"SELECT min(o.ts) AS lo, max(o.ts) AS hi, count(*) AS n FROM observations o WHERE {where}", wparams


def q_targets(v: dict[str, Any]) -> tuple[str, list[Any]]:
    return ("""SELECT region_code, indicator_id, indicator_name_zh, indicator_name_en, domain, year, kind,
                      value, unit, attribute, source_file, source_quote
               FROM targets WHERE (? IS NULL OR region_code = ?) AND (? IS NULL OR domain = ?)
               ORDER BY region_code, indicator_id, year, kind""",
            [v["region"], v["region"], v["domain"], v["domain"]])


def _visible(v: dict[str, Any], col: str) -> tuple[str, list[Any]]:
    """Only datasets the caller's clearance covers (``_datasets`` is set by the API; None = all)."""
    ds = v.get("_datasets")
    return f"(? IS NULL OR list_contains(?, {col}))", [ds, ds]


def q_entities(v: dict[str, Any]) -> tuple[str, list[Any]]:
    rsql, rparams = _region(v, "e.region_code")
    vsql, vparams = _visible(v, "e.dataset")
    join, props = unmask_sql("entities", "e") if v.get("_unmask") else ("", "e.properties")
    return (f"""SELECT e.entity_id, e.kind, e.name_zh, e.name_en, e.region_code, e.lon, e.lat,
                       {json_text(props)} AS properties, e.classification, e.simulated, e.dataset
                FROM entities e {join}
                WHERE {rsql} AND {vsql} AND (? IS NULL OR e.kind = ?) AND (? IS NULL OR e.dataset = ?)
                ORDER BY e.entity_id""", [*rparams, *vparams, v["kind"], v["kind"], v["dataset"], v["dataset"]])


def q_events(v: dict[str, Any]) -> tuple[str, list[Any]]:
    rsql, rparams = _region(v, "ev.region_code")
    vsql, vparams = _visible(v, "ev.dataset")
    steps = ", ".join(TS.format(f"ev.{c}", c) for c in ("reported_at", "dispatched_at", "on_scene_at",
                                                          "resolved_at", "closed_at", "due_at"))
    if v.get("_unmask"):
        join, props = unmask_sql("events", "ev")
        reporter = restored_column("ev", "reporter_name")
    else:
        join, props, reporter = "", "ev.properties", "ev.reporter_name"
    return (f"""SELECT ev.event_id, ev.kind, ev.region_code, ev.entity_id, ev.title_zh, ev.title_en, ev.severity,
                       ev.status, {steps}, ev.lon, ev.lat, {reporter} AS reporter_name,
                       {json_text(props)} AS properties,
                       ev.classification, ev.simulated, ev.dataset
                FROM events ev {join}
                WHERE {rsql} AND {vsql} AND (? IS NULL OR ev.kind = ?) AND (? IS NULL OR ev.status = ?)
                  AND (? IS NULL OR ev.reported_at >= ?) AND (? IS NULL OR ev.reported_at < ?)
                ORDER BY ev.reported_at, ev.event_id""",
            [*rparams, *vparams, v["kind"], v["kind"], v["status"], v["status"], v["from"], v["from"],
             v["to"], v["to"]])


DOMAIN = Param("domain", "id", "Domain, e.g. fisheries, traffic, water, emergency.")

ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in [
    Endpoint("datasets", "Curated datasets with provenance, licence, cadence and owner.", [DOMAIN], q_datasets),
    Endpoint("indicators", "Indicator definitions: unit, cadence, direction, thresholds.", [DOMAIN], q_indicators),
    Endpoint("observations", "Indicator values over time (long format).", [
        Param("indicator", "id", "Indicator id; repeat for several.", repeat=True),
        REGION, Param("entity", "id", "Entity id (station, checkpoint, port …)."), FROM, TO], q_observations,
        span=span_observations),
    Endpoint("targets", "Planning baselines and targets with verbatim source quotes.", [REGION, DOMAIN], q_targets),
    Endpoint("entities", "Monitored things with a place (WGS-84).", [
        REGION, Param("kind", "id", "Entity kind, e.g. port, vessel, checkpoint, shelter."),
        Param("dataset", "id", "Dataset name.")], q_entities, restricted=("properties",)),
    Endpoint("events", "Incidents with their life cycle.", [
        REGION, Param("kind", "id", "Event kind."), Param("status", "id", "Life-cycle status."), FROM, TO],
        q_events, restricted=("reporter_name",)),
]}
