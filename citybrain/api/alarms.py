"""GET /api/v1/alarms?region=R[&state=S]: the region's alarm set right now, with each alarm's state.

The same rows (``citybrain.semantics.alarms.alarm_set``) the cockpit header counts, /map lists and the
wall ticker scrolls, at the store's "now", as JSON; each row also carries its life cycle
(``citybrain.ops.alarms``): ``state`` (active, acknowledged, cleared), ``acknowledged_by``,
``acknowledged_at``, ``silenced_until``, ``escalation_level`` (0 until it escalates) and ``escalated_at``. ``state=active|acknowledged`` keeps the rows of the set in
that state; ``state=cleared`` lists the region's cleared alarms (last cleared first), which are no
longer in the set or were resolved by hand. The writes (ack, silence, resolve) are in ``citybrain.ops.api``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from flask import jsonify, request

from citybrain import context
from citybrain.ops import alarms as life
from citybrain.ops.db import ensure
from citybrain.semantics.alarms import COLUMNS
from citybrain.semantics.freshness import now as clock_now
from citybrain.api.params import Param, parse
from citybrain.api.routes import add_route, ok_answer, operation
from citybrain.auth.policy import STAFF

REGION = Param("region", "region", "Region code (adcode); default: the configured default region.")
STATE = Param("state", "enum", "Only alarms in this state (active: raised and not acknowledged; cleared: no "
                               "longer in the set or resolved by hand). Default: the whole set.", enum=life.STATES)
LIFE = ("state", "acknowledged_by", "acknowledged_at", "silenced_until", "escalation_level", "escalated_at")


def _json(v: Any) -> Any:
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        return pd.Timestamp(v).isoformat()
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):  # NaN -> null
        return None
    return v


def rows(region: str | None, state: str | None = None) -> tuple[str, Any, list[dict[str, Any]]]:
    """(region, moment, rows) of the alarm set with each row's life cycle, JSON-ready (times ISO,
    missing values null); ``state`` keeps the rows in that state."""
    ctx = context.current()
    engine, now = ensure(ctx.ops), clock_now()
    region, at, df = life.refresh(engine, region, now)
    if state == "cleared":
        recs = life.cleared(engine, region, now, ctx.settings.api_max_rows)
        return region, at, [{c: _json(r.get(c)) for c in (*COLUMNS, *LIFE)} for r in recs]
    recs = df.to_dict("records")
    known = life.states(engine, [r["id"] for r in recs], now)
    out = []
    for rec in recs:
        lc = known.get(rec["id"]) or {"state": "active", "escalation_level": 0}
        if state is not None and lc["state"] != state:
            continue
        out.append({c: _json(rec[c]) for c in COLUMNS} | {c: _json(lc.get(c)) for c in LIFE})
    return region, at, out


def alarms():
    """The alarm set of ``region`` (alarms first), with states; or its rows in one ``state``."""
    v = parse(request.args, [REGION, STATE])
    region, at, items = rows(v["region"], v["state"])
    resp = jsonify(region=region, at=at.isoformat(), count=len(items),
                   alarm=sum(1 for r in items if r["severity"] == "alarm"),
                   warning=sum(1 for r in items if r["severity"] == "warning"), rows=items)
    resp.headers["Cache-Control"] = "no-store"
    return resp


_ROW = {"type": "object", "properties": {
    "id": {"type": "string"}, "severity": {"type": "string", "enum": ["warning", "alarm"]},
    "region_code": {"type": "string"}, "domain": {"type": "string"},
    "indicator_id": {"type": "string", "nullable": True}, "entity_id": {"type": "string", "nullable": True},
    "value": {"type": "number", "nullable": True}, "threshold": {"type": "number", "nullable": True},
    "raised_at": {"type": "string", "format": "date-time"},
    "title_zh": {"type": "string"}, "title_en": {"type": "string"},
    "state": {"type": "string", "enum": list(life.STATES)},
    "acknowledged_by": {"type": "string", "nullable": True},
    "acknowledged_at": {"type": "string", "format": "date-time", "nullable": True},
    "silenced_until": {"type": "string", "format": "date-time", "nullable": True},
    "escalation_level": {"type": "integer", "description": "0, or the level reached unacknowledged"},
    "escalated_at": {"type": "string", "format": "date-time", "nullable": True}}}

add_route("/alarms", "alarms", alarms, {"get": operation(
    "alarms", "The alarm set of a region right now (what the cockpit, one-map and wall show).", "alarms",
    ok_answer("application/json", {"type": "object", "properties": {
        "region": {"type": "string"}, "at": {"type": "string"}, "count": {"type": "integer"},
        "alarm": {"type": "integer"}, "warning": {"type": "integer"}, "rows": {"type": "array", "items": _ROW}}}),
    {400: "Bad parameter"}, params=[REGION, STATE])}, access=STAFF)
