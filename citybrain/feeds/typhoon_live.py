"""A stored typhoon replayed as live feeds (``citybrain simulate --typhoon ID``), so that every live
screen — /map, /wall, the cockpit — moves with one storm.

The replay maps the simulator's clock onto the storm's: storm time = ``start`` + (live time −
``live0``), ``live0`` being the simulator's now when the replay begins, so a ``--speed`` of N runs
the storm N times faster than real time, like every other simulated series. At each 5-minute step it
sends, through the same feed pipeline as real feeds (HTTP push or MQTT):

* ``typhoon/tracks``: the storm's centre at storm time (``citybrain.typhoon.circles.StormPath``,
  linear between fixes) as a live track ``<ID>-LIVE`` (kind ``typhoon``), stamped with the live time;
  ``status`` carries the grade of the last fix, ``speed``/``heading`` the storm's translation;
* ``fisheries/tracks``: every planned vessel of the region(s) where the simulated fleet of the
  replay (``citybrain.typhoon.fleet``, the same plan the typhoon page draws) puts it at storm time —
  fishing, heading back to port, in port;
* once, first: ``typhoon/entities``: the storm's entity gains the live track among its
  ``track_ids`` (so the map's emergency layer draws it) and ``live_replay`` =
  ``{<ID>-LIVE: {track_id, offset_s}}``, so the wall's typhoon step shows the stored storm at the
  storm time of the latest live position (``citybrain.typhoon.replay.live_replay``).

Nothing outside the stored track is sent (before its first fix or after its last, no storm rows;
the fleet stays in port after it). All rows are simulated (the simulator marks every push so).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from citybrain.queries import typhoon as tq
from citybrain.store import Store
from citybrain.typhoon import fleet as fl
from citybrain.typhoon import replay as rp
from citybrain.typhoon.circles import bearing
from citybrain.geo import haversine_m

log = logging.getLogger(__name__)
SUFFIX = tq.LIVE_SUFFIX
#: Status a vessel track carries for each state of the replay's fleet (the fisheries feed's words).
VESSEL_STATUS = {"fishing": "fishing", "returning": "at_sea", "in_port": "in_port"}
FISHING_KN = 2.0


def live_id(track_id: str) -> str:
    """The id of the live track a replay of ``track_id`` sends."""
    return f"{track_id}{SUFFIX}"


@dataclass
class TyphoonReplay:
    """One stored track replayed from storm time ``start`` as of live time ``live0``."""

    track_id: str
    start: pd.Timestamp
    live0: pd.Timestamp
    entity: dict
    path: object
    grades: pd.DataFrame
    plan: pd.DataFrame
    announced: bool = False

    @classmethod
    def from_store(cls, store: Store, track_id: str, start: datetime | None, live0: datetime,
                   regions: tuple[str, ...]) -> TyphoonReplay:
        """Read the track, its storm entity and the fleet plan of ``regions``; ValueError names what is wrong."""
        meta = rp.storm_meta(store, track_id)
        if meta is None:
            known = ", ".join(tq.storms(store)["track_id"])
            raise ValueError(f"unknown typhoon track {track_id!r} (stored: {known})")
        first, last = pd.Timestamp(meta["first_ts"]), pd.Timestamp(meta["last_ts"])
        start = pd.Timestamp(start) if start is not None else rp.default_time(meta) - pd.Timedelta(hours=48)
        start = max(start, first)
        if start > last:
            raise ValueError(f"--start {start} lies after the track's last fix {last}")
        ent = store.df("""SELECT entity_id, properties FROM entities WHERE kind = 'typhoon' AND list_contains(
                              CAST(json_extract(properties, '$.track_ids') AS VARCHAR[]), ?)""", [track_id])
        props = json.loads(ent["properties"].iloc[0])
        path = tq.storm_path(store, track_id)
        grades = store.df("SELECT ts, grade FROM tracks WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts", [track_id])
        bands = fl.Bands()
        plans = [rp.fleet_plan(store, track_id, r, bands.edges, bands.lead_h) for r in regions]
        plan = pd.concat([p for p in plans if not p.empty] or [pd.DataFrame()], ignore_index=True)
        if not plan.empty:
            plan = plan.drop_duplicates("entity_id").reset_index(drop=True)
        log.info("replaying %s from %s as of %s: %d planned vessels", track_id, start, live0, len(plan))
        return cls(track_id, start, pd.Timestamp(live0), {"entity_id": str(ent["entity_id"].iloc[0]),
                                                          "region_code": meta_region(store, track_id),
                                                          "track_ids": list(props.get("track_ids", []))},
                   path, grades, plan)

    @property
    def offset(self) -> pd.Timedelta:
        """Live time minus storm time."""
        return self.live0 - self.start

    def vessel_ids(self) -> set[str]:
        return set(self.plan["entity_id"]) if not self.plan.empty else set()

    def storm_time(self, live: datetime) -> pd.Timestamp:
        return pd.Timestamp(live) - self.offset

    def step(self, live: datetime) -> dict[tuple[str, str], list[dict]]:
        """The rows of one simulator step at live time ``live``."""
        out: dict[tuple[str, str], list[dict]] = {}
        if not self.announced:
            lid = live_id(self.track_id)
            props = {"track_ids": sorted(set(self.track_ids_without_live()) | {lid}),
                     "live_replay": {lid: {"track_id": self.track_id, "offset_s": int(self.offset.total_seconds())}}}
            out[("typhoon", "entities")] = [{"entity_id": self.entity["entity_id"],
                                             "properties": json.dumps(props, ensure_ascii=False)}]
            self.announced = True
        s = self.storm_time(live)
        stamp = pd.Timestamp(live).isoformat()
        row = self._centre(s, stamp)
        if row is not None:
            out[("typhoon", "tracks")] = [row]
        if not self.plan.empty and s >= pd.Timestamp(self.path.ts[0]):
            out[("fisheries", "tracks")] = self._fleet(s, stamp)
        return out

    def track_ids_without_live(self) -> list[str]:
        return [t for t in self.entity["track_ids"] if not t.endswith(SUFFIX)]

    def _centre(self, s: pd.Timestamp, stamp: str) -> dict | None:
        t = np.array([np.datetime64(s.to_datetime64(), "us"), np.datetime64((s + pd.Timedelta(hours=1)).to_datetime64(), "us")])
        lon, lat, ok = self.path.centre(t)
        if not ok[0]:
            return None
        nxt_lon, nxt_lat = (lon[1], lat[1]) if ok[1] else (lon[0], lat[0])
        km_h = float(haversine_m(lon[0], lat[0], nxt_lon, nxt_lat)) / 1000.0
        head = float(bearing(lon[0], lat[0], nxt_lon, nxt_lat)) if km_h > 0 else 0.0
        g = self.grades[self.grades["ts"] <= s]
        return {"id": live_id(self.track_id), "ts": stamp, "lon": round(float(lon[0]), 5), "lat": round(float(lat[0]), 5),
                "speed": round(km_h / fl.KNOTS_KMH, 1), "heading": round(head % 360.0, 1),
                "status": None if g.empty or pd.isna(g["grade"].iloc[-1]) else str(g["grade"].iloc[-1]),
                "kind": "typhoon", "region_code": self.entity["region_code"]}

    def _fleet(self, s: pd.Timestamp, stamp: str) -> list[dict]:
        now = fl.fleet_at(self.plan, s)
        back = now["state"].to_numpy() == "returning"
        head = np.where(back, bearing(now["lon"].to_numpy("float64"), now["lat"].to_numpy("float64"),
                                      now["quay_lon"].to_numpy("float64"), now["quay_lat"].to_numpy("float64")), 0.0)
        speed = np.select([back, now["state"].to_numpy() == "fishing"], [fl.SPEED_KN, FISHING_KN], 0.0)
        return [{"id": r.entity_id, "ts": stamp, "lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
                 "speed": float(v), "heading": round(float(h), 1), "status": VESSEL_STATUS[r.state]}
                for r, v, h in zip(now.itertuples(), speed, head)]


def meta_region(store: Store, track_id: str) -> str:
    """The region code the stored track's rows carry (the live track carries the same)."""
    return str(store.scalar("SELECT any_value(region_code) FROM tracks WHERE kind = 'typhoon' AND track_id = ?", [track_id]))
