"""The alarm set of a region right now: one list that every screen counts and shows.

The cockpit header counts it, /map lists it, the wall ticker scrolls it and
``GET /api/v1/alarms?region=R`` serves it. An item is raised (``status.RAISED``) by

- a region-level indicator value of the region (its latest at ``at``) against the indicator's
  thresholds (``status.status``); id ``kpi:<region>:<indicator>``;
- a thing on the one-map in warning or alarm, as its layer classifies it (water level over its
  station's warning level, an overdue incident, a vessel that lost contact, …); id
  ``<layer>:<feature id>``. The map's own statuses are therefore the set's statuses.

Rows (``COLUMNS``) are sorted alarms first, then by domain and id; the same call with the same
store version, region and moment gives the same rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from citybrain.cache import cached_query
from citybrain.semantics.status import RAISED, RANK, status as status_of

COLUMNS = ["id", "severity", "region_code", "domain", "indicator_id", "entity_id", "value", "threshold",
           "raised_at", "title_zh", "title_en"]
_DTYPES = {"value": "float64", "threshold": "float64", "raised_at": "datetime64[us]"}


def _kpi_rows(store: Any, region: str, at: datetime, applicable: dict[str, tuple[bool, str | None]]) -> list[dict]:
    from citybrain import kpi
    from citybrain.i18n import fmt_number
    from citybrain.queries import kpi as qk

    defs = kpi.definitions(store)
    ids = tuple(sorted(i for i, d in defs.items()
                       if (d.warn is not None or d.alarm is not None) and applicable.get(d.dataset, (True, None))[0]))
    if not ids:
        return []
    snap = qk.snapshot(store, region, ids, at)
    rows = []
    for r in snap.itertuples(index=False):
        d = defs[r.indicator_id]
        value = None if pd.isna(r.value) else float(r.value)
        sev = status_of(value, d.warn, d.alarm, d.direction)
        if sev not in RAISED:
            continue
        rows.append({"id": f"kpi:{region}:{d.id}", "severity": sev, "region_code": region, "domain": d.domain,
                     "indicator_id": d.id, "entity_id": None, "value": value,
                     "threshold": d.alarm if sev == "alarm" else d.warn,
                     "raised_at": pd.Timestamp(r.ts).to_pydatetime(),
                     "title_zh": f"{d.name_zh} {fmt_number(value, d.unit, 'zh')}",
                     "title_en": f"{d.name_en} {fmt_number(value, d.unit, 'en')}"})
    return rows


def _layer_rows(store: Any, region: str, at: datetime, applicable: dict[str, tuple[bool, str | None]]) -> list[dict]:
    from layers.registry import all_layers, cached_features

    rows = []
    for layer in all_layers():
        if layer.live or not applicable.get(layer.dataset, (True, None))[0]:
            continue
        feats = cached_features(store, layer.id, region, at)
        if feats.empty:
            continue
        raised = feats[feats["status"].isin(RAISED)]
        if raised.empty:
            continue
        thr = layer.raised_thresholds(store, raised)
        when = layer.raised_times(raised, at)
        for (_, f), th, ts in zip(raised.iterrows(), thr, when):
            name_zh, name_en = f["name_zh"], f["name_en"] or f["name_zh"]
            value = f["value"]
            rows.append({"id": f"{layer.id}:{f['id']}", "severity": f["status"], "region_code": None,
                         "domain": layer.domain,
                         "indicator_id": f["indicator"] if isinstance(f["indicator"], str) and f["indicator"] else None,
                         "entity_id": str(f["id"]).split("#")[0],
                         "value": None if value is None or pd.isna(value) else float(value),
                         "threshold": th, "raised_at": ts,
                         "title_zh": f"{layer.title('zh')} · {name_zh}：{f['detail_zh']}",
                         "title_en": f"{layer.title('en')} · {name_en}: {f['detail_en']}"})
    return rows


@cached_query
def alarm_set(store: Any, region: str, at: datetime) -> pd.DataFrame:
    """The alarm set of ``region`` at ``at`` (``COLUMNS``), alarms first; memoised by the versions of
    what it reads (``citybrain.cache``)."""
    from citybrain.semantics import scope

    applicable = scope.coverage_map(store, region)
    rows = _kpi_rows(store, region, at, applicable) + _layer_rows(store, region, at, applicable)
    rows.sort(key=lambda r: (RANK[r["severity"]], r["domain"], r["id"]))
    home = _home_regions(store, tuple(sorted({r["entity_id"] for r in rows if isinstance(r["entity_id"], str)})))
    for r in rows:
        r["region_code"] = r["region_code"] or home.get(r["entity_id"]) or region
    # text stays object (None, never NaN); numbers float64; times datetime64
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=_DTYPES.get(c, object)) for c in COLUMNS})


def _home_regions(store: Any, ids: tuple[str, ...]) -> dict[str, str]:
    """The region each entity or event belongs to."""
    return _home_regions_of(store, ids) if ids else {}


@cached_query(reads=("entities", "events"))
def _home_regions_of(store: Any, ids: tuple[str, ...]) -> dict[str, str]:
    df = store.df("""SELECT entity_id AS id, region_code FROM entities WHERE list_contains(?, entity_id)
                     UNION ALL SELECT event_id, region_code FROM events WHERE list_contains(?, event_id)""",
                  [list(ids), list(ids)])
    return dict(zip(df["id"].tolist(), df["region_code"].tolist()))


def counts(alarms: pd.DataFrame) -> dict[str, int]:
    """How many items of the set are alarms and warnings."""
    sev = alarms["severity"].to_numpy(object) if len(alarms) else np.array([], object)
    return {"alarm": int((sev == "alarm").sum()), "warning": int((sev == "warning").sum())}
