"""Checking typed feed rows against the served store, chunk by chunk, and turning them into table rows.

A ``Checker`` reads what it needs of the store once (the dataset, its manifest's ``live`` window, its
indicators and regions, the store's 'now') and then checks each chunk: the time window (not before
2000, not older than the dataset's retention, not later than its lateness window behind the store's
now, not in the future), that every indicator, region and entity is the dataset's, and the rules of
the kind (``check_places`` for events and entities). The first problem raises ``DataError`` naming
row and field. Rows that repeat what the store already holds are an error, or are skipped when
``skip_stored`` (an at-least-once transport such as MQTT delivers some messages twice).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from citybrain.errors import DataError
from citybrain.feeds.kinds import FeedKind
from citybrain.manifest import LiveSpec
from citybrain.regions import REGIONS
from citybrain.validate import first_bad
from citybrain.store.parts import source

#: Units whose values may be negative (levels against a datum, temperatures); all others are >= 0.
SIGNED_UNITS = {"m", "℃", "°C"}
#: Units of things counted one by one (vessels, cases, people, items): their values are whole numbers.
COUNT_UNITS = {"艘", "起", "个", "人", "辆", "件", "张", "条", "顶"}
#: How far past max(wall clock, store anchor) a live row may lie (clock skew of feeds).
FUTURE_TOLERANCE = timedelta(hours=1)
EARLIEST = datetime(2000, 1, 1)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query (fully consumed, so the connection is free again)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


class Checker:
    """Checks chunks of one feed of ``kind`` for ``dataset`` against the store behind ``con``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, dataset: str, kind: FeedKind, *, file: str, now: datetime,
                 live: bool = True, skip_stored: bool = False, simulated: bool = False) -> None:
        self.con, self.dataset, self.kind, self.file = con, dataset, kind, file
        self.live, self.skip_stored, self.simulated = live, skip_stored, simulated
        self.kw = dict(dataset=dataset, file=file)
        row = one(con, "SELECT manifest, classification, simulated FROM datasets WHERE name = ?", [dataset])
        if row is None:
            raise DataError("is not a dataset of the served store", **self.kw)
        manifest = json.loads(row[0]) if row[0] else {}
        self.spec = LiveSpec.model_validate(manifest.get("live") or {})
        self.classification = row[1] or "internal"
        self.simulated = simulated or row[2] == "yes"  # every row of a simulated dataset is simulated
        self.restricted = list(manifest.get("restricted_fields") or [])
        cov = con.execute("SELECT region_code, applicable, reason FROM coverage WHERE dataset = ?", [dataset]).fetchall()
        self.applicable = {c: bool(a) for c, a, _ in cov}
        self.reasons = {c: r for c, _, r in cov}
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        self.anchor = datetime.fromisoformat(meta["anchor"]) if meta.get("anchor") else now
        self.now = now
        self.skipped = 0
        self.new_ids: dict[str, datetime] = {}  # events/entities this batch creates (id -> reported_at)

    # ---- shared rules ---------------------------------------------------------------------------------
    def window(self) -> list[tuple[str, datetime]]:
        """The lower bounds of a live row's time, each with the problem it states."""
        bounds = [("lies before 2000-01-01", EARLIEST)]
        if self.live:
            keep = self.now - timedelta(seconds=self.spec.retention_seconds)
            late = self.anchor - timedelta(seconds=self.spec.lateness_seconds)
            bounds += [(f"is older than the dataset's retention of {self.spec.retention} "
                        f"(before {keep:%Y-%m-%d %H:%M})", keep),
                       (f"arrives too late: more than {self.spec.lateness} before the store's now "
                        f"{self.anchor:%Y-%m-%d %H:%M} (the dataset's lateness window)", late)]
        return bounds

    def check_times(self, ts: pd.Series, first_row: int, field: str = "ts") -> None:
        kw = dict(self.kw, field=field, first_row=first_row, values=ts.astype("string"))
        for problem, bound in self.window():
            first_bad((ts < pd.Timestamp(bound)).fillna(False).to_numpy(), problem, **kw)
        if self.live:
            limit = max(self.now, self.anchor) + FUTURE_TOLERANCE
            first_bad((ts > pd.Timestamp(limit)).fillna(False).to_numpy(),
                      f"lies in the future (after {limit:%Y-%m-%d %H:%M})", **kw)

    def check_regions(self, codes: pd.Series, first_row: int, *, given: np.ndarray | None = None) -> None:
        """Known region codes the dataset applies to (only rows where ``given``, when passed)."""
        codes = codes.astype("string")
        given = codes.notna().to_numpy() if given is None else given
        first_bad(given & ~codes.isin(list(REGIONS)).fillna(False).to_numpy(), "is not a known region code",
                  field="region_code", first_row=first_row, values=codes, **self.kw)
        ok = np.array([not g or self.applicable.get(c, self.applicable.get(REGIONS[c].parent or "", False))
                       for c, g in zip(codes.fillna(""), given)])
        if (~ok).any():
            i = int(np.flatnonzero(~ok)[0])
            why = self.reasons.get(codes.iloc[i]) or "not among the dataset's regions"
            raise DataError(f"dataset {self.dataset} does not apply to region {codes.iloc[i]} ({why})",
                            row=first_row + i, field="region_code", **self.kw)

    def check_in_china(self, lon: pd.Series, lat: pd.Series, first_row: int) -> None:
        x, y = lon.astype("float64").to_numpy(), lat.astype("float64").to_numpy()
        first_bad(~np.isnan(x) & ~((x > 73) & (x < 136) & (y > 3) & (y < 54)),
                  "lies outside China (swapped longitude/latitude or wrong CRS?)", field="lon",
                  first_row=first_row, values=lon, **self.kw)

    def entities(self, ids: list[str]) -> pd.DataFrame:
        """Stored entities among ``ids`` (entity_id, kind, region_code, dataset)."""
        return self.con.execute("SELECT entity_id, kind, region_code, dataset FROM entities "
                                "WHERE list_contains(?, entity_id)", [ids]).df()

    def stored_keys(self, probe: pd.DataFrame, sql: str, params: list) -> list[tuple[int, str]]:
        """(row position, batch) of the rows of ``probe`` (column ``i``) that ``sql`` (joining ``_probe``)
        finds stored, in row order."""
        self.con.register("_probe", probe)
        try:
            return sorted(self.con.execute(sql, params).fetchall())
        finally:
            self.con.unregister("_probe")

    def drop_stored(self, frame: pd.DataFrame, hits: list[tuple[int, str]], first_row: int, what: str,
                    field: str) -> pd.DataFrame:
        if not hits:
            return frame
        if not self.skip_stored:
            raise DataError(f"repeats {what} already in the store (batch {hits[0][1]})", row=first_row + hits[0][0],
                            field=field, **self.kw)
        pos = np.unique([h[0] for h in hits])
        self.skipped += pos.size
        return frame.drop(index=frame.index[pos])

    # ---- per kind ------------------------------------------------------------------------------------------
    def check(self, first_row: int, typed: pd.DataFrame) -> pd.DataFrame:
        """Check one typed chunk; return its table rows (with ``_row``, the source row number)."""
        typed = typed.reset_index(drop=True)
        typed["_row"] = np.arange(len(typed), dtype="int64") + first_row
        if self.kind.time_field:
            self.check_times(typed[self.kind.time_field], first_row)
        if self.kind.name == "observations":
            return self._observations(first_row, typed)
        if self.kind.name == "tracks":
            return self._tracks(first_row, typed)
        from citybrain.feeds import check_places

        if self.kind.name == "events":
            return check_places.events(self, first_row, typed)
        return check_places.entities(self, first_row, typed)

    def _observations(self, first_row: int, frame: pd.DataFrame) -> pd.DataFrame:
        kw = dict(self.kw, first_row=first_row)
        ind = self.con.execute("SELECT indicator_id, dataset, unit FROM indicators").df()
        owner = dict(zip(ind["indicator_id"], ind["dataset"]))
        ids = frame["indicator_id"].astype("string")
        first_bad(~ids.isin(list(owner)).to_numpy(), "is not an indicator of any dataset", field="indicator_id",
                  values=ids, **kw)
        foreign = (ids.map(owner) != self.dataset).to_numpy()
        if foreign.any():
            i = int(np.flatnonzero(foreign)[0])
            raise DataError(f"indicator {ids.iloc[i]!r} belongs to dataset {owner[ids.iloc[i]]}, not {self.dataset}",
                            row=first_row + i, field="indicator_id", **self.kw)
        self.check_regions(frame["region_code"], first_row)
        ent = frame["entity_id"].astype("string")
        given = ent.dropna().unique().tolist()
        if given:
            known = set(self.entities(given)["entity_id"])
            first_bad((ent.notna() & ~ent.isin(list(known))).to_numpy(), "is not a known entity",
                      field="entity_id", values=ent, **kw)
        signed = ids.map(dict(zip(ind["indicator_id"], ind["unit"]))).isin(list(SIGNED_UNITS)).to_numpy()
        first_bad(~signed & (frame["value"].to_numpy() < 0), "is negative, which this indicator's unit does not allow",
                  field="value", values=frame["value"], **kw)
        frame["simulated"] = self.simulated
        if not (self.live or self.skip_stored):
            return frame
        probe = frame[["indicator_id", "region_code", "entity_id", "ts"]].assign(i=np.arange(len(frame)))
        lo, hi = frame["ts"].min().to_pydatetime(), frame["ts"].max().to_pydatetime()
        hits = self.stored_keys(probe, f"""SELECT p.i, o.batch_id FROM _probe p JOIN {source(self.con, "observations", lo, hi)} o
            ON o.indicator_id = p.indicator_id AND o.region_code = p.region_code AND o.ts = p.ts
               AND o.entity_id IS NOT DISTINCT FROM p.entity_id WHERE o.ts BETWEEN ? AND ?""", [lo, hi])
        return self.drop_stored(frame, hits, first_row, "an observation", "ts")

    def _tracks(self, first_row: int, frame: pd.DataFrame) -> pd.DataFrame:
        kw = dict(self.kw, first_row=first_row)
        ids = frame["id"].astype("string")
        known = self.entities(ids.unique().tolist()).set_index("entity_id")
        own = ids.map(known["dataset"]) if len(known) else pd.Series(pd.NA, index=frame.index, dtype="string")
        foreign = (own.notna() & (own != self.dataset)).to_numpy()
        first_bad(foreign, f"is an entity of another dataset, not {self.dataset}", field="id", values=ids, **kw)
        explicit = frame["kind"].notna().to_numpy() & frame["region_code"].notna().to_numpy()
        first_bad(own.isna().to_numpy() & ~explicit,
                  "is not a known entity of the dataset (send it as an entities feed first, or give kind and "
                  "region_code)", field="id", values=ids, **kw)
        region = frame["region_code"].astype("string").fillna(ids.map(known["region_code"]) if len(known) else pd.NA)
        kind = frame["kind"].astype("string").fillna(ids.map(known["kind"]) if len(known) else pd.NA)
        self.check_regions(region, first_row)
        self.check_in_china(frame["lon"], frame["lat"], first_row)
        out = pd.DataFrame({
            "track_id": ids, "kind": kind, "region_code": region, "ts": frame["ts"],
            "lon": frame["lon"], "lat": frame["lat"], "status": frame["status"].astype("string"),
            "speed_kn": frame["speed"].astype("float32"), "heading_deg": frame["heading"].astype("float32"),
            "wind_ms": np.float32("nan"), "pressure_hpa": np.float32("nan"), "grade": pd.NA, "source": "feed",
            "simulated": self.simulated, "_row": frame["_row"]})
        out["grade"] = out["grade"].astype("string")
        if not (self.live or self.skip_stored):
            return out
        probe = out[["track_id", "ts"]].assign(i=np.arange(len(out)))
        lo, hi = out["ts"].min().to_pydatetime(), out["ts"].max().to_pydatetime()
        hits = self.stored_keys(probe, f"""SELECT p.i, t.batch_id FROM _probe p JOIN {source(self.con, "tracks", lo, hi)} t
            ON t.track_id = p.track_id AND t.ts = p.ts WHERE t.ts BETWEEN ? AND ?""", [lo, hi])
        return self.drop_stored(out, hits, first_row, "a position", "ts")
