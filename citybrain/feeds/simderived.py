"""Series the simulator derives from what it simulates, so that a card never disagrees with its list.

The build computes some region series from other data: vessel counts from the fleet's statuses,
incident counts from the incidents' steps, stations over warning from the stations' levels, a
region's rainfall from its stations, a reservoir's storage rate from its storage. A random walk of
each series on its own would let "告警渔船数 2 艘" stand beside a map with one vessel in alarm. The
simulator walks only the raw series and rebuilds these from its own state, by the build's rules:

* ``HELD``: inputs the simulator does not change (vessel statuses, 24-hour rain maxima) — the last
  value is sent again;
* incident counts: open (not closed), active (not resolved), overdue (flagged and still open), per
  region, of the incidents the cockpit lists (``citybrain.queries.kpi.INCIDENT``: ``counted``);
* ``stations_over_warning``: the region's own stations whose simulated level is above their warning
  level; a region's ``rainfall_1h``: the mean of its own stations; ``reservoir_storage_rate``: storage
  over normal storage, per reservoir and for the region's own reservoirs together.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

#: Derived series whose inputs the simulator keeps as they were: their last value holds.
HELD = frozenset({"vessels_at_sea", "vessels_in_port", "vessels_alarm", "supervision_coverage",
                  "vessels_in_port_by_port", "max_rainfall_24h"})
#: Incident counts rebuilt from the simulated incidents.
INCIDENT_COUNTS = frozenset({"open_incidents", "active_incidents", "overdue_incidents"})
#: Water series rebuilt from the simulated stations (region rows; the storage rate also per reservoir).
WATER = frozenset({"stations_over_warning", "rainfall_1h", "reservoir_storage_rate"})


def is_derived(indicator: str, entity: object) -> bool:
    """Whether the random walk must leave the series alone (it is rebuilt by ``derive``)."""
    if indicator in HELD or indicator in INCIDENT_COUNTS or indicator == "stations_over_warning":
        return True
    if indicator == "rainfall_1h":
        return entity is None or (isinstance(entity, float) and np.isnan(entity))
    return indicator == "reservoir_storage_rate"


def stations_of(entities: pd.DataFrame) -> pd.DataFrame:
    """Water stations with what the derivations need (from their ``properties`` JSON)."""
    rows = []
    for r in entities.itertuples():
        p = json.loads(r.properties or "{}")
        rows.append({"entity_id": r.entity_id, "region_code": r.region_code, "in_region": bool(p.get("in_region", True)),
                     "warning": p.get("warning_level_m"), "normal_storage": p.get("normal_storage_10k_m3")})
    return pd.DataFrame(rows, columns=["entity_id", "region_code", "in_region", "warning", "normal_storage"])


def derive(series: pd.DataFrame, stations: pd.DataFrame, incidents: pd.DataFrame) -> np.ndarray:
    """The current value of every derived row of ``series`` (NaN for raw rows), from the raw rows'
    ``last`` values, the stations and the incidents' statuses."""
    out = np.full(len(series), np.nan)
    ind, reg = series["indicator_id"].to_numpy(dtype=object), series["region_code"].to_numpy(dtype=object)
    ent = series["entity_id"].to_numpy(dtype=object)
    last = series["last"].to_numpy(dtype="float64")
    region_row = pd.isna(series["entity_id"]).to_numpy()
    held = np.isin(ind, list(HELD))
    out[held] = last[held]
    latest = {(i, r, e): v for i, r, e, v in zip(ind, reg, ent, last) if isinstance(e, str)}
    st = stations.set_index("entity_id") if not stations.empty else stations
    for k in np.flatnonzero(~held):
        i, r = ind[k], reg[k]
        if i in INCIDENT_COUNTS and region_row[k]:
            out[k] = _incident_count(incidents, i, r)
        elif i in WATER and region_row[k] and not st.empty:
            out[k] = _water(i, r, st, latest)
        elif i == "reservoir_storage_rate" and not st.empty and ent[k] in st.index:
            storage, normal = latest.get(("reservoir_storage", r, ent[k])), st.at[ent[k], "normal_storage"]
            if storage is not None and normal:
                out[k] = round(storage / normal * 100.0, 1)
    return out


def _incident_count(incidents: pd.DataFrame, indicator: str, region: str) -> float:
    g = incidents[(incidents["region_code"] == region) & incidents["counted"].astype(bool)]
    open_ = g["status"] != "closed"
    if indicator == "open_incidents":
        return float(open_.sum())
    if indicator == "active_incidents":
        return float(g["status"].isin(["reported", "dispatched", "on_scene"]).sum())
    return float((open_ & g["overdue"].fillna(False).astype(bool)).sum())


def _own(base: str, region: str, st: pd.DataFrame, latest: dict) -> list[str]:
    """The region's own stations (``in_region``) that have a simulated ``base`` series there."""
    return [e for (i, r, e) in latest if i == base and r == region and e in st.index and st.at[e, "in_region"]]


def _water(indicator: str, region: str, st: pd.DataFrame, latest: dict) -> float:
    base = {"stations_over_warning": "water_level", "rainfall_1h": "rainfall_1h"}.get(indicator, "reservoir_storage")
    own = _own(base, region, st, latest)
    if not own:
        return np.nan  # nothing simulated to rebuild it from: the last value holds
    if indicator == "stations_over_warning":
        levels = [(latest.get(("water_level", region, e)), st.at[e, "warning"]) for e in own]
        return float(sum(1 for v, w in levels if v is not None and w is not None and v > w))
    if indicator == "rainfall_1h":
        rain = [latest[("rainfall_1h", region, e)] for e in own if ("rainfall_1h", region, e) in latest]
        return round(float(np.mean(rain)), 1) if rain else np.nan
    pairs = [(latest.get(("reservoir_storage", region, e)), st.at[e, "normal_storage"]) for e in own]
    pairs = [(s, n) for s, n in pairs if s is not None and n]
    return round(sum(s for s, _ in pairs) / sum(n for _, n in pairs) * 100.0, 1) if pairs else np.nan
