"""The store's tables: the one place their columns are defined.

Every loader emits frames with exactly these columns (the build adds ``dataset`` and
``batch_id``). Times are China Standard Time (UTC+8), stored naive: China has no daylight saving,
and every user of the product reads local time. Geometry is WKB in WGS-84.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    required: bool = False


def _c(name: str, sql: str, required: bool = False) -> Column:
    return Column(name, sql, required)


#: Columns a loader provides for each table (build-added ones are listed in ``BUILD_COLUMNS``).
TABLES: dict[str, list[Column]] = {
    "regions": [
        _c("region_code", "VARCHAR", True), _c("name_zh", "VARCHAR", True), _c("name_en", "VARCHAR", True),
        _c("parent_code", "VARCHAR"), _c("coastal", "BOOLEAN", True),
        _c("lon", "DOUBLE", True), _c("lat", "DOUBLE", True),
        _c("min_lon", "DOUBLE", True), _c("min_lat", "DOUBLE", True),
        _c("max_lon", "DOUBLE", True), _c("max_lat", "DOUBLE", True),
        _c("geometry", "BLOB", True),
        _c("outline", "VARCHAR"),  # the land simplified for drawing (~40 m, 1 m precision), GeoJSON
    ],
    # the land, coast and name labels drawn around a region (region_code = the region whose view it is)
    "basemap": [
        _c("region_code", "VARCHAR", True), _c("kind", "VARCHAR", True), _c("code", "VARCHAR", True),
        _c("name_zh", "VARCHAR", True), _c("name_en", "VARCHAR", True), _c("rank", "INTEGER", True),
        _c("lon", "DOUBLE", True), _c("lat", "DOUBLE", True),
        _c("outline", "VARCHAR"),  # GeoJSON of a land kind (WGS-84, 1e-4° precision); NULL for a label
    ],
    "indicators": [
        _c("indicator_id", "VARCHAR", True), _c("name_zh", "VARCHAR", True), _c("name_en", "VARCHAR", True),
        _c("domain", "VARCHAR", True), _c("unit", "VARCHAR", True), _c("frequency", "VARCHAR", True),
        _c("cadence_s", "INTEGER", True), _c("direction", "VARCHAR", True),
        _c("warn", "DOUBLE"), _c("alarm", "DOUBLE"), _c("owner_zh", "VARCHAR", True),
        _c("classification", "VARCHAR", True), _c("description", "VARCHAR"), _c("simulated", "BOOLEAN", True),
    ],
    "observations": [
        _c("indicator_id", "VARCHAR", True), _c("region_code", "VARCHAR", True), _c("entity_id", "VARCHAR"),
        _c("ts", "TIMESTAMP", True), _c("value", "DOUBLE", True), _c("quality", "VARCHAR", True),
        _c("simulated", "BOOLEAN", True),
    ],
    "entities": [
        _c("entity_id", "VARCHAR", True), _c("kind", "VARCHAR", True), _c("name_zh", "VARCHAR", True),
        _c("name_en", "VARCHAR"), _c("region_code", "VARCHAR", True), _c("lon", "DOUBLE", True),
        _c("lat", "DOUBLE", True), _c("geometry", "BLOB", True), _c("properties", "JSON"),
        _c("classification", "VARCHAR", True), _c("simulated", "BOOLEAN", True),
    ],
    "tracks": [
        _c("track_id", "VARCHAR", True), _c("kind", "VARCHAR", True), _c("region_code", "VARCHAR", True),
        _c("ts", "TIMESTAMP", True), _c("lon", "DOUBLE", True), _c("lat", "DOUBLE", True),
        _c("status", "VARCHAR"), _c("speed_kn", "FLOAT"), _c("heading_deg", "FLOAT"),
        _c("wind_ms", "FLOAT"), _c("pressure_hpa", "FLOAT"), _c("grade", "VARCHAR"),
        _c("source", "VARCHAR", True), _c("simulated", "BOOLEAN", True),
    ],
    "events": [
        _c("event_id", "VARCHAR", True), _c("kind", "VARCHAR", True), _c("region_code", "VARCHAR", True),
        _c("entity_id", "VARCHAR"), _c("title_zh", "VARCHAR", True), _c("title_en", "VARCHAR"),
        _c("severity", "VARCHAR", True), _c("status", "VARCHAR", True),
        _c("reported_at", "TIMESTAMP", True), _c("dispatched_at", "TIMESTAMP"), _c("on_scene_at", "TIMESTAMP"),
        _c("resolved_at", "TIMESTAMP"), _c("closed_at", "TIMESTAMP"), _c("due_at", "TIMESTAMP"),
        _c("lon", "DOUBLE", True), _c("lat", "DOUBLE", True), _c("reporter_name", "VARCHAR"),
        _c("properties", "JSON"), _c("classification", "VARCHAR", True), _c("simulated", "BOOLEAN", True),
    ],
    "targets": [
        _c("region_code", "VARCHAR", True), _c("indicator_id", "VARCHAR", True),
        _c("indicator_name_zh", "VARCHAR", True), _c("indicator_name_en", "VARCHAR"),
        _c("domain", "VARCHAR", True), _c("year", "INTEGER", True), _c("kind", "VARCHAR", True),
        _c("value", "DOUBLE", True), _c("unit", "VARCHAR", True), _c("attribute", "VARCHAR"),
        _c("source_file", "VARCHAR", True), _c("source_quote", "VARCHAR", True),
    ],
}

#: Allowed values of ``observations.quality``: a complete measurement, an incomplete aggregate
#: (e.g. today's running daily total), a modelled estimate, a value flagged as doubtful.
QUALITY = ("good", "partial", "estimated", "suspect")

#: Columns the build adds to every loader-emitted row.
BUILD_COLUMNS = [Column("dataset", "VARCHAR", True), Column("batch_id", "VARCHAR", True)]

#: Tables the build itself writes.
SYSTEM_DDL = {
    "batches": """CREATE TABLE batches (batch_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL,
        files VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL,
        rows BIGINT NOT NULL, status VARCHAR NOT NULL, message VARCHAR)""",
    "datasets": """CREATE TABLE datasets (name VARCHAR PRIMARY KEY, title_zh VARCHAR, title_en VARCHAR,
        description_zh VARCHAR, description_en VARCHAR, domain VARCHAR, source VARCHAR, licence VARCHAR,
        provenance VARCHAR, crs VARCHAR, cadence VARCHAR, cadence_s INTEGER, owner_zh VARCHAR,
        owner_en VARCHAR, classification VARCHAR, simulated VARCHAR, assumptions VARCHAR,
        restricted_fields VARCHAR, manifest JSON)""",
    "coverage": """CREATE TABLE coverage (dataset VARCHAR, region_code VARCHAR, applicable BOOLEAN,
        reason VARCHAR)""",
    "meta": "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "restricted_values": """CREATE TABLE restricted_values (dataset VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
        row_key VARCHAR NOT NULL, field VARCHAR NOT NULL, value VARCHAR)""",
}

#: The mask that stands in the main tables for every restricted value.
MASK = "***"

#: Row key of the tables whose rows may carry restricted fields (as a column or a properties key).
RESTRICTABLE = {"entities": "entity_id", "events": "event_id"}

#: Sort order applied when a table is written: time order keeps range scans fast.
SORT_KEYS = {
    "observations": "ts, indicator_id, region_code, entity_id",
    "tracks": "ts, kind, track_id",
    "events": "reported_at, event_id",
    "entities": "kind, entity_id",
    "targets": "region_code, indicator_id, year, kind",
    "indicators": "indicator_id",
    "regions": "region_code",
    "basemap": "region_code, kind, rank, code",
}


def properties(text: str | None) -> dict:
    """An ``entities``/``events`` row's ``properties`` JSON as a dict ({} when empty or unreadable)."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def ddl(table: str) -> str:
    cols = TABLES[table] + BUILD_COLUMNS
    body = ", ".join(f"{c.name} {c.sql}{' NOT NULL' if c.required else ''}" for c in cols)
    return f"CREATE TABLE {table} ({body})"


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]
