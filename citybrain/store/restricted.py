"""Restricted fields (分类分级): kept apart from the main tables so no view can leak them by accident.

At build (and ingest) time every field a manifest lists in ``restricted_fields`` is moved out of
``entities`` / ``events`` — whether it is a column (``events.reporter_name``) or a key of the
``properties`` JSON (a vessel's ``owner_name``) — into ``restricted_values``, and the main tables
keep the mask ``***``. Pages, GeoJSON, JSON and CSV therefore show the mask to everyone by default;
only ``unmask_sql`` (used by the API for a role cleared for restricted data) joins them back.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from citybrain.store.tables import MASK, RESTRICTABLE

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def split(table: str, frame: pd.DataFrame, fields: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (masked frame, restricted rows) for one emitted frame of ``table``."""
    empty = pd.DataFrame(columns=["table_name", "row_key", "field", "value"])
    if table not in RESTRICTABLE or not fields or frame.empty:
        return frame, empty
    key = RESTRICTABLE[table]
    out = frame.copy()
    kept = []
    for f in fields:
        if not _IDENT.match(f):
            raise ValueError(f"restricted field name {f!r} is not a plain identifier")
        if f in out.columns:
            has = out[f].notna()
            kept.append(pd.DataFrame({"table_name": table, "row_key": out.loc[has, key].astype(str),
                                      "field": f, "value": out.loc[has, f].astype(str)}))
            out[f] = out[f].where(~has, MASK)
    if "properties" in out.columns:
        keys, names, values, masked = [], [], [], []
        for k, raw in zip(out[key].astype(str), out["properties"]):
            if raw is None or (isinstance(raw, float) and pd.isna(raw)):
                masked.append(raw)
                continue
            props = json.loads(raw)
            hit = False
            for f in fields:
                if f in props and props[f] is not None and props[f] != MASK:
                    keys.append(k)
                    names.append(f)
                    values.append(str(props[f]))
                    props[f] = MASK
                    hit = True
            masked.append(json.dumps(props, ensure_ascii=False, sort_keys=True) if hit else raw)
        out["properties"] = masked
        if keys:
            kept.append(pd.DataFrame({"table_name": table, "row_key": keys, "field": names, "value": values}))
    rows = pd.concat(kept, ignore_index=True) if kept else empty
    return out, rows


def unmask_sql(table: str, alias: str, fields_col: bool = True) -> tuple[str, str]:
    """SQL pieces that restore restricted values for ``table`` (aliased ``alias``).

    Returns (join clause, properties expression): join ``restricted_values`` aggregated per row
    and merge them back into ``properties``; column fields are restored with ``restored_column``.
    """
    key = RESTRICTABLE[table]
    join = (f"LEFT JOIN (SELECT row_key, json_group_object(field, value) AS restored FROM restricted_values "
            f"WHERE table_name = '{table}' GROUP BY row_key) rv ON rv.row_key = {alias}.{key}")
    props = f"CASE WHEN rv.restored IS NULL THEN {alias}.properties ELSE json_merge_patch({alias}.properties, rv.restored) END"
    return join, props


def restored_column(alias: str, field: str) -> str:
    """SQL expression of a restricted column restored from ``rv.restored`` (after ``unmask_sql``'s join)."""
    if not _IDENT.match(field):
        raise ValueError(field)
    return f"coalesce(json_extract_string(rv.restored, '$.{field}'), {alias}.{field})"
