"""The store writer of feeds: append one checked batch of one dataset and kind, all or nothing.

This is the one place a feed batch meets the store's layout, behind a narrow interface:
``append_batch(target, batch, version, before_switch)`` adds the rows staged in ``batch.rows_path``
(a Parquet file of table rows, see ``SCHEMAS``) and returns the new data version; ``apply`` is the
same change inside an open catalog (the build's replay of archived batches uses it). Observations and
positions become one new Parquet part (``citybrain.store.parts``) listed by a new copy of the small
catalog, which is switched in like a build (copy on write of the catalog only): the cost follows the
batch, not the store.

Observations and positions are appended in time order; an event row opens an incident or sets the
time of a step (and the status follows the latest step reached); an entity row inserts a place or
updates the fields it gives (properties merged key by key). Restricted fields are moved to
``restricted_values`` as the build does.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from citybrain.feeds.kinds import EVENT_STEPS
from citybrain.store import catalog, facets, parts, restricted, tables
from citybrain.settings import Settings

_S, _T, _F, _F32, _B = pa.string(), pa.timestamp("us"), pa.float64(), pa.float32(), pa.bool_()
#: Columns of the staged rows of each kind (``_row``: the feed's row number, for messages).
SCHEMAS: dict[str, pa.Schema] = {
    "observations": pa.schema([("indicator_id", _S), ("region_code", _S), ("entity_id", _S), ("ts", _T),
                               ("value", _F), ("quality", _S), ("simulated", _B), ("_row", pa.int64())]),
    "tracks": pa.schema([("track_id", _S), ("kind", _S), ("region_code", _S), ("ts", _T), ("lon", _F), ("lat", _F),
                         ("status", _S), ("speed_kn", _F32), ("heading_deg", _F32), ("wind_ms", _F32),
                         ("pressure_hpa", _F32), ("grade", _S), ("source", _S), ("simulated", _B),
                         ("_row", pa.int64())]),
    "events": pa.schema([("event_id", _S), ("ts", _T), ("status", _S), ("kind", _S), ("region_code", _S),
                         ("entity_id", _S), ("title_zh", _S), ("title_en", _S), ("severity", _S), ("lon", _F),
                         ("lat", _F), ("reporter_name", _S), ("properties", _S), ("is_new", _B),
                         ("classification", _S), ("simulated", _B), ("_row", pa.int64())]),
    "entities": pa.schema([("entity_id", _S), ("kind", _S), ("name_zh", _S), ("name_en", _S), ("region_code", _S),
                           ("lon", _F), ("lat", _F), ("geometry", pa.binary()), ("properties", _S), ("is_new", _B),
                           ("classification", _S), ("simulated", _B), ("_row", pa.int64())]),
}
#: The staged columns that are a kind's key (``kinds.FeedKind.key`` in the table's names).
STAGED_KEY = {"observations": ("indicator_id", "region_code", "entity_id", "ts"), "tracks": ("track_id", "ts"),
              "events": ("event_id", "status"), "entities": ("entity_id",)}


@dataclass
class Batch:
    """One checked batch: its staged rows and how it is recorded in ``batches``."""

    dataset: str
    kind: str
    rows_path: Path
    rows: int
    batch_id: str
    sha256: str
    file: str
    loaded_at: datetime
    archived_as: str
    restricted_fields: list[str]
    small_parts: int = 0  # after the append: small parts of this table and dataset (compaction's cue)


def chain_version(version: str, sha: str) -> str:
    """The data version after appending the batch with hash ``sha``."""
    import hashlib

    return hashlib.sha256(f"{version}:{sha}".encode()).hexdigest()[:16]


def _add_part(con: duckdb.DuckDBPyConnection, table: str, batch: Batch, pw: parts.PartWriter) -> None:
    """The batch's rows as one new part of ``table``, listed by the catalog ``con``."""
    sql = parts.select(table, "read_parquet(?)", dataset="?", batch_id="?")
    row = pw.write(con, table, batch.dataset, sql, [batch.dataset, batch.batch_id, str(batch.rows_path)])
    if row:
        parts.add(con, [row])
        parts.define_views(con, pw.target)
        from citybrain.store.compact import SMALL_ROWS

        batch.small_parts = con.execute("SELECT count(*) FROM parts WHERE tbl = ? AND dataset = ? AND rows < ?",
                                        [table, batch.dataset, SMALL_ROWS]).fetchall()[0][0]


def _keep_restricted(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, batch: Batch) -> pd.DataFrame:
    masked, kept = restricted.split(table, frame, batch.restricted_fields)
    if len(kept):
        kept = kept.assign(dataset=batch.dataset)[["dataset", "table_name", "row_key", "field", "value"]]
        con.register("_kept", kept)
        try:
            con.execute("DELETE FROM restricted_values r USING _kept k WHERE r.dataset = k.dataset "
                        "AND r.table_name = k.table_name AND r.row_key = k.row_key AND r.field = k.field")
            con.execute("INSERT INTO restricted_values SELECT * FROM _kept")
        finally:
            con.unregister("_kept")
    return masked


def _events(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    rows = _keep_restricted(con, "events", pd.read_parquet(batch.rows_path), batch)
    new = rows[rows["is_new"]].assign(reported_at=lambda f: f["ts"], status="reported", dataset=batch.dataset,
                                      batch_id=batch.batch_id)
    cols = [c.name for c in tables.TABLES["events"]] + ["dataset", "batch_id"]
    for c in cols:
        if c not in new.columns:
            new[c] = None
    con.register("_new", new[cols])
    con.register("_chg", rows[~rows["is_new"]][["event_id", "status", "ts"]])
    try:
        con.execute(f"INSERT INTO events ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _new")
        for status, col in EVENT_STEPS.items():
            if status != "reported":
                con.execute(f"UPDATE events SET {col} = c.ts FROM (SELECT event_id, max(ts) AS ts FROM _chg "
                            f"WHERE status = ? GROUP BY 1) c WHERE events.event_id = c.event_id", [status])
        latest = " ".join(f"WHEN {col} IS NOT NULL THEN '{s}'" for s, col in reversed(EVENT_STEPS.items()))
        con.execute(f"UPDATE events SET status = CASE {latest} ELSE status END "
                    "WHERE event_id IN (SELECT event_id FROM _chg)")
    finally:
        con.unregister("_new")
        con.unregister("_chg")


def _entities(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    rows = _keep_restricted(con, "entities", pd.read_parquet(batch.rows_path), batch)
    rows = rows.assign(dataset=batch.dataset, batch_id=batch.batch_id)
    cols = [c.name for c in tables.TABLES["entities"]] + ["dataset", "batch_id"]
    con.register("_ent", rows)
    try:
        con.execute(f"INSERT INTO entities ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _ent WHERE is_new")
        sets = ", ".join(f"{c} = coalesce(u.{c}, entities.{c})"
                         for c in ("kind", "name_zh", "name_en", "region_code", "lon", "lat", "geometry",
                                   "classification"))
        con.execute(f"""UPDATE entities SET {sets}, properties = CASE WHEN u.properties IS NULL THEN entities.properties
                ELSE json_merge_patch(coalesce(entities.properties, '{{}}'), u.properties) END
            FROM (SELECT * FROM _ent WHERE NOT is_new) u WHERE entities.entity_id = u.entity_id""")
    finally:
        con.unregister("_ent")


def apply(con: duckdb.DuckDBPyConnection, batch: Batch, version: str, pw: parts.PartWriter) -> str:
    """Apply ``batch`` inside the catalog ``con`` (new parts through ``pw``), record it and return the new
    data version."""
    if batch.kind in parts.PART_TABLES:
        _add_part(con, batch.kind, batch, pw)
    elif batch.kind == "events":
        _events(con, batch)
    else:
        _entities(con, batch)
    con.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, 'ingested', ?)",
                [batch.batch_id, batch.dataset, json.dumps([batch.file], ensure_ascii=False), batch.sha256,
                 batch.loaded_at, batch.rows, f"{batch.kind}; archived as {batch.archived_as}"])
    new = chain_version(version, batch.sha256)
    con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [new])
    newest = None
    if batch.kind != "entities":
        newest = con.execute("SELECT max(ts) FROM read_parquet(?)", [str(batch.rows_path)]).fetchone()[0]
    facets.bump(con, facets.of_batch(batch.kind, batch.dataset), new,
                newest if batch.kind in facets.TIMED else None)
    if newest is not None:
        # to the minute: a 30-second position feed shows on the screens at once, not at the next
        # 5-minute step (the map labels positions by the minute)
        latest = newest.replace(second=0, microsecond=0)
        old = con.execute("SELECT value FROM meta WHERE key = 'anchor'").fetchall()
        if not old or latest > datetime.fromisoformat(old[0][0]):  # the store's 'now' follows live data
            con.execute("INSERT OR REPLACE INTO meta VALUES ('anchor', ?)", [latest.isoformat()])
            facets.bump(con, [facets.ANCHOR], new)
    return new


def append_batch(target: Path, batch: Batch, version: str, settings: Settings,
                 before_switch: Callable[[], None]) -> str:
    """Add ``batch`` to the store served at ``target`` (caller holds the writer lock); return the new version.

    ``before_switch`` runs once the new store is durable and before readers see it (the caller
    makes its archive durable there)."""

    def paused() -> None:
        print("INGEST_PAUSED", flush=True)
        sys.stdout.flush()
        time.sleep(settings.test_ingest_pause)

    return catalog.rewrite(target, lambda con, pw: apply(con, batch, version, pw), before_switch=before_switch,
                           paused=paused if settings.test_ingest_pause else None)
