"""Rules of the ``events`` and ``entities`` feeds (see ``check.Checker``).

An event row either opens an incident (status ``reported``, with kind, region, title, severity and
place) or moves a known incident of the dataset to a later step at ``ts``, never before it was
reported. An entity row either adds a place or thing (kind, name, region and place given) or
changes fields and properties of one the dataset already has. ``properties`` must be a JSON object.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import shapely

from citybrain.errors import DataError
from citybrain.feeds.kinds import EVENT_STEPS, NEW_ENTITY, NEW_EVENT

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _props(chk, frame: pd.DataFrame, first_row: int) -> pd.Series:
    """``properties`` as canonical JSON text (None when not given); DataError unless an object."""
    out = []
    for i, raw in enumerate(frame["properties"]):
        if raw is None or raw is pd.NA or (isinstance(raw, float) and np.isnan(raw)):
            out.append(None)
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise DataError("is not a JSON object", row=first_row + i, field="properties", **chk.kw)
        out.append(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return pd.Series(out, index=frame.index, dtype=object)


def _need(chk, frame: pd.DataFrame, mask: np.ndarray, fields: tuple[str, ...], first_row: int, what: str) -> None:
    for f in fields:
        first_bad = np.flatnonzero(mask & frame[f].isna().to_numpy())
        if first_bad.size:
            raise DataError(f"is empty but required {what}", row=first_row + int(first_bad[0]), field=f, **chk.kw)


def _kinds(chk, frame: pd.DataFrame, mask: np.ndarray, first_row: int) -> None:
    kinds = frame["kind"].astype("string")
    bad = mask & ~kinds.fillna("").str.match(_KIND).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"is not a kind name (lower-case letters, digits, _) (value {kinds.iloc[i]!r})",
                        row=first_row + i, field="kind", **chk.kw)


def events(chk, first_row: int, frame: pd.DataFrame) -> pd.DataFrame:
    """Check event rows; return them with ``is_new`` and the dataset's classification."""
    ids = frame["event_id"].astype("string")
    stored = chk.con.execute(
        "SELECT event_id, dataset, reported_at, " + ", ".join(c for c in EVENT_STEPS.values() if c != "reported_at")
        + " FROM events WHERE list_contains(?, event_id)", [ids.unique().tolist()]).df().set_index("event_id")
    severities = set(chk.con.execute("SELECT DISTINCT severity FROM events WHERE dataset = ?",
                                     [chk.dataset]).df()["severity"]) or {"minor", "general", "serious", "large",
                                                                          "major", "extreme"}
    is_new = np.zeros(len(frame), dtype=bool)
    keep = np.ones(len(frame), dtype=bool)
    for i, (eid, status, ts) in enumerate(zip(ids, frame["status"].astype("string"), frame["ts"])):
        row = first_row + i
        if eid in stored.index:
            rec = stored.loc[eid]
            if rec["dataset"] != chk.dataset:
                raise DataError(f"is an incident of dataset {rec['dataset']}, not {chk.dataset}", row=row,
                                field="event_id", **chk.kw)
            reported = rec["reported_at"]
        elif eid in chk.new_ids:
            rec, reported = None, chk.new_ids[eid]
        else:
            if status != "reported":
                raise DataError(f"changes an incident the store does not hold to {status} (open it first with "
                                "status reported)", row=row, field="event_id", **chk.kw)
            is_new[i] = True
            chk.new_ids[eid] = ts
            continue
        if status == "reported" and chk.skip_stored and rec is not None and reported == ts:
            keep[i] = False  # the same report delivered again
            chk.skipped += 1
            continue
        if status == "reported":
            raise DataError("reports an incident that is already reported", row=row, field="status", **chk.kw)
        if ts < reported:
            raise DataError(f"lies before the incident was reported ({reported:%Y-%m-%d %H:%M})", row=row,
                            field="ts", **chk.kw)
        if rec is not None and pd.notna(rec[EVENT_STEPS[status]]) and rec[EVENT_STEPS[status]] == ts:
            if chk.live and not chk.skip_stored:
                raise DataError("repeats a state change already in the store", row=row, field="status", **chk.kw)
            keep[i] = False
            chk.skipped += 1
    _need(chk, frame, is_new, NEW_EVENT, first_row, "for a new incident")
    _kinds(chk, frame, is_new, first_row)
    sev = frame["severity"].astype("string")
    bad = is_new & ~sev.isin(sorted(severities)).fillna(False).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"is not one of {', '.join(sorted(severities))} (value {sev.iloc[i]!r})", row=first_row + i,
                        field="severity", **chk.kw)
    chk.check_regions(frame["region_code"], first_row, given=is_new)
    chk.check_in_china(frame["lon"].where(is_new), frame["lat"].where(is_new), first_row)
    out = frame.assign(properties=_props(chk, frame, first_row), is_new=is_new,
                       classification=chk.classification, simulated=chk.simulated)
    return out[keep]


def entities(chk, first_row: int, frame: pd.DataFrame) -> pd.DataFrame:
    """Check entity rows; return them with ``is_new``, WKB ``geometry`` and a classification."""
    ids = frame["entity_id"].astype("string")
    stored = chk.entities(ids.unique().tolist()).set_index("entity_id")
    own = ids.map(stored["dataset"]) if len(stored) else pd.Series(pd.NA, index=frame.index, dtype="string")
    foreign = (own.notna() & (own != chk.dataset)).to_numpy()
    if foreign.any():
        i = int(np.flatnonzero(foreign)[0])
        raise DataError(f"is an entity of dataset {own.iloc[i]}, not {chk.dataset}", row=first_row + i,
                        field="entity_id", **chk.kw)
    is_new = own.isna().to_numpy() & ~ids.isin(list(chk.new_ids)).to_numpy()
    _need(chk, frame, is_new, NEW_ENTITY, first_row, "for a new entity")
    half = frame["lon"].isna().to_numpy() != frame["lat"].isna().to_numpy()
    if half.any():
        i = int(np.flatnonzero(half)[0])
        raise DataError("lon and lat come together", row=first_row + i,
                        field="lat" if frame["lat"].isna().iloc[i] else "lon", **chk.kw)
    _kinds(chk, frame, frame["kind"].notna().to_numpy(), first_row)
    chk.check_regions(frame["region_code"], first_row)
    chk.check_in_china(frame["lon"], frame["lat"], first_row)
    for eid in ids[is_new]:
        chk.new_ids[eid] = None
    lon, lat = frame["lon"].astype("float64").to_numpy(), frame["lat"].astype("float64").to_numpy()
    has = ~np.isnan(lon)
    geom = np.full(len(frame), None, dtype=object)
    if has.any():
        geom[has] = shapely.to_wkb(shapely.points(lon[has], lat[has]))
    cls = frame["classification"].astype("string")
    return frame.assign(properties=_props(chk, frame, first_row), is_new=is_new, geometry=geom,
                        classification=cls.mask(is_new & cls.isna().to_numpy(), chk.classification),
                        simulated=chk.simulated)
