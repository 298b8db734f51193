"""Life cycle rules of incidents: step deadlines (SLA), the status and overdue flag as of a time,
the ``events`` rows, and the region KPIs counted from them (open, active, overdue, response time).

Deadlines are counted from ``reported_at``: dispatch 10 min; on scene 60 min (landslide 90 min,
marine distress 180 min); resolved 12 / 24 / 48 / 96 h and closed 7 / 15 / 30 / 60 days for
severity general / large / major / extreme. An evacuation (the alert episode) has 2 h, 6 h, 96 h,
14 days. At any time an incident that is not closed waits for its *next* step; it is overdue when
that step's deadline has passed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .incidents import KIND_ZH, SEVERITY, SEVERITY_ZH, SLA_CLOSE_D, SLA_RESOLVE_H, STATUS, STEP_NAMES, STEPS

NEVER = np.iinfo("int64").max


def deadlines(kind: np.ndarray, sev: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """(n, 4) deadlines of dispatch, on scene, resolve, close as datetime64[us]."""
    kind = np.asarray(kind, dtype=object)
    sev = np.asarray(sev, dtype=int)
    mins = np.empty((len(kind), 4))
    mins[:, 0] = 10.0
    mins[:, 1] = np.select([kind == "marine_distress", kind == "landslide"], [180.0, 90.0], 60.0)
    mins[:, 2] = np.asarray(SLA_RESOLVE_H, dtype=float)[sev] * 60.0
    mins[:, 3] = np.asarray(SLA_CLOSE_D, dtype=float)[sev] * 1440.0
    ev = kind == "evacuation"
    mins[ev] = [120.0, 360.0, 96 * 60.0, 14 * 1440.0]
    return reported[:, None] + (mins * 60e6).astype("int64").astype("timedelta64[us]")


def _int(a: np.ndarray) -> np.ndarray:
    """datetime64 -> int64 microseconds with NaT as +infinity (never happens)."""
    a = np.asarray(a, dtype="datetime64[us]")
    out = a.astype("int64")
    return np.where(np.isnat(a), NEVER, out)


def state_at(steps: np.ndarray, due: np.ndarray, reported: np.ndarray, t: np.ndarray) -> tuple:
    """For incidents (rows) at times ``t`` (columns): (open, active, overdue) boolean matrices.

    ``steps`` is (n, 4) int64 (NEVER when not reached), ``due`` (n, 4) int64, ``reported`` (n,).
    """
    tt = t[None, :]
    done = (steps[:, None, :] <= tt[..., None]).sum(axis=2)          # steps completed by t
    started = reported[:, None] <= tt
    open_ = started & (done < 4)
    active = started & (done < 3)                                       # not yet resolved
    due_next = np.take_along_axis(due, np.minimum(done, 3), axis=1)
    overdue = open_ & (tt > due_next)
    return open_, active, overdue


def to_events(raw: pd.DataFrame, anchor: np.datetime64, classification: str) -> pd.DataFrame:
    """Cut step times at the anchor and derive status, due_at and the overdue flag."""
    raw = raw.sort_values(["region_code", "reported_at", "kind"], kind="stable").reset_index(drop=True)
    n = len(raw)
    rep = raw["reported_at"].to_numpy(dtype="datetime64[us]")
    full = np.column_stack([raw[c].to_numpy(dtype="datetime64[us]") for c in STEPS])
    cut = np.where(full <= anchor, full, np.datetime64("NaT"))
    due = deadlines(raw["kind"].to_numpy(), raw["sev"].to_numpy(), rep)
    done = (~np.isnat(cut)).sum(axis=1)
    status = np.asarray(STATUS, dtype=object)[done]
    nxt = np.minimum(done, 3)
    due_at = due[np.arange(n), nxt]
    overdue = (done < 4) & (anchor > due_at)
    late = (~np.isnat(cut)) & (cut > due)
    seq = raw.groupby("region_code").cumcount() + 1
    day = pd.DatetimeIndex(rep).strftime("%Y%m%d")
    ids = np.where(raw["kind"] == "evacuation",
                   "EM-" + raw["region_code"] + "-EVAC-" + day,
                   "EM-" + raw["region_code"] + "-" + day + "-" + seq.astype(str).str.zfill(4))
    resp = np.where(np.isnat(cut[:, 1]), np.nan, (cut[:, 1] - rep).astype("int64") / 6e7)
    props = []
    for i, r in enumerate(raw.itertuples(index=False)):
        props.append(json.dumps({
            "overdue": bool(overdue[i]),
            "overdue_step": STEP_NAMES[nxt[i]] if overdue[i] else None,
            "late_steps": [STEP_NAMES[j] for j in range(4) if late[i, j]],
            "sla_due": {STEP_NAMES[j]: str(due[i, j])[:19] for j in range(4)},
            "kind_zh": KIND_ZH[r.kind], "severity_zh": SEVERITY_ZH[SEVERITY[r.sev]],
            "report_channel": r.channel, "responder_id": r.responder_id, "town_zh": r.town_zh,
            "district_code": r.district_code, "in_episode": bool(r.in_episode),
            "displaced": int(r.displaced), "shelter_id": r.shelter_id,
            "response_min": None if np.isnan(resp[i]) else round(float(resp[i]), 1),
        }, ensure_ascii=False, sort_keys=True))
    return pd.DataFrame({
        "event_id": ids, "kind": raw["kind"].to_numpy(dtype=object), "region_code": raw["region_code"],
        "entity_id": raw["entity_id"].to_numpy(dtype=object), "title_zh": raw["title_zh"],
        "title_en": raw["title_en"], "severity": np.asarray(SEVERITY, dtype=object)[raw["sev"].to_numpy()],
        "status": status, "reported_at": rep,
        **{c: cut[:, j] for j, c in enumerate(STEPS)},
        "due_at": due_at, "lon": raw["lon"].to_numpy(dtype="float64"), "lat": raw["lat"].to_numpy(dtype="float64"),
        "reporter_name": raw["reporter_name"].to_numpy(dtype=object), "properties": props,
        "classification": classification, "simulated": True,
    })


def kpis(events: pd.DataFrame, anchor: np.datetime64, days: int = 30) -> pd.DataFrame:
    """Region KPIs from the emitted events (evacuations excluded): hourly open/active/overdue counts,
    daily new incidents and mean response time (reported → on scene, incidents on scene that day)."""
    ev = events[events["kind"] != "evacuation"]
    end_h = anchor.astype("datetime64[h]").astype("datetime64[us]")
    hours = end_h - np.arange(days * 24)[::-1].astype("timedelta64[h]").astype("timedelta64[us]")
    end_d = anchor.astype("datetime64[D]").astype("datetime64[us]")
    daily = end_d - np.arange(days)[::-1].astype("timedelta64[D]").astype("timedelta64[us]")
    frames = []
    for code, g in ev.groupby("region_code", sort=True):
        rep = g["reported_at"].to_numpy(dtype="datetime64[us]")
        steps = np.column_stack([_int(g[c].to_numpy()) for c in STEPS])
        due = _int(deadlines(g["kind"].to_numpy(), g["severity"].map(SEVERITY.index).to_numpy(), rep))
        open_, active, overdue = state_at(steps, due, _int(rep), _int(hours))
        for ind, m in (("open_incidents", open_), ("active_incidents", active), ("overdue_incidents", overdue)):
            frames.append(pd.DataFrame({"indicator_id": ind, "region_code": code, "ts": hours,
                                        "value": m.sum(axis=0).astype("float64")}))
        day_of = rep.astype("datetime64[D]").astype("datetime64[us]")
        frames.append(pd.DataFrame({"indicator_id": "incidents_reported", "region_code": code, "ts": daily,
                                    "value": (day_of[:, None] == daily[None, :]).sum(axis=0).astype("float64")}))
        on = g["on_scene_at"].to_numpy(dtype="datetime64[us]")
        ok = ~np.isnat(on)
        resp = (on[ok] - rep[ok]).astype("int64") / 6e7
        on_day = on[ok].astype("datetime64[D]").astype("datetime64[us]")
        hit = on_day[:, None] == daily[None, :]
        cnt = hit.sum(axis=0)
        mean = np.where(cnt > 0, (resp[:, None] * hit).sum(axis=0) / np.maximum(cnt, 1), np.nan)
        keep = cnt > 0
        frames.append(pd.DataFrame({"indicator_id": "avg_response_min", "region_code": code,
                                    "ts": daily[keep], "value": np.round(mean[keep], 1)}))
    out = pd.concat(frames, ignore_index=True)
    out["entity_id"] = None
    return out
