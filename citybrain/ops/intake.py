"""Work orders from the incident feed: one order per new incident, made once (idempotent).

``from_incidents(engine, store, region, at, now)`` opens an order (state ``received``, by the system
user ``feed``) for every incident of the emergency feed that is reported and not yet dispatched at
the store's ``at``. The order's ``source`` is ``incident:<event id>`` and unique in the database, so
calling it again — from ``citybrain workorders from-incidents``, or twice at once from two hosts —
never makes a second order of one incident.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from citybrain.ops import workorders
from citybrain.ops.tables import workorders as table
from citybrain.queries import geo
from citybrain.store import Store

log = logging.getLogger(__name__)
#: The user and role the feed acts as.
FEED_USER, FEED_ROLE = "feed", "admin"
#: Incidents reported this far back are still "new" (an older one has its own order or was handled).
SINCE_H = 24.0
URGENT = frozenset({"extreme", "major", "large", "serious"})


def source_of(event_id: str) -> str:
    return f"incident:{event_id}"


def from_incidents(engine: Engine, store: Store, region: str, at: datetime, now: datetime) -> list[int]:
    """Open an order for each new incident of ``region`` at ``at`` that has none; the new orders' ids."""
    ev = geo.incidents_at(store, region, "emergency", at, SINCE_H)
    new = np.flatnonzero(ev["step"] == "reported") if len(ev["event_id"]) else []
    if not len(new):
        return []
    sources = [source_of(str(ev["event_id"][i])) for i in new]
    with engine.connect() as conn:
        have = {r.source for r in conn.execute(select(table.c.source).where(table.c.source.in_(sources)))}
    made = []
    for i, src in zip(new, sources):
        if src in have:
            continue
        lon, lat = float(ev["lon"][i]), float(ev["lat"][i])
        try:
            out = workorders.create(
                engine, user=FEED_USER, role=FEED_ROLE, title=str(ev["title_zh"][i])[:200],
                category="urgent" if str(ev["severity"][i]) in URGENT else "normal", region=region, now=now,
                lon=None if np.isnan(lon) else lon, lat=None if np.isnan(lat) else lat, source=src)
        except IntegrityError:  # another caller made it first
            continue
        made.append(out["id"])
    if made:
        log.info("%d work order(s) opened from new incidents of %s", len(made), region)
    return made
