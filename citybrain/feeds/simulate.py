"""The live demo: continue the store's simulated series from its 'now' and send them as live feeds.

Every ``step`` (5 simulated minutes) the simulator produces, deterministically from the store's
last values, the settings' seed and the step's time:

* observations of every simulated indicator with a cadence of an hour or less, at the times its
  cadence falls on — a mean-reverting random walk around the series' last day for raw series, and
  series the build derives from others (vessel and incident counts, stations over warning …)
  rebuilt from the simulated state by the build's rules (``citybrain.feeds.simderived``);
* positions of every vessel at sea (on a slow circle around where it was, so it stays in its waters);
* now and then a state change of an open simulated incident (its next step);
* with ``attach_typhoon``, a stored typhoon replayed as live (``citybrain.feeds.typhoon_live``): the
  storm's centre and the simulated fleet's reaction, which then moves those vessels instead of the
  slow circles.

Rows are sent as feeds over HTTP (``POST /api/v1/ingest``, a feed token per dataset) or MQTT
(``citybrain/<dataset>/<kind>``). It first catches up from the store's now to the wall clock (at
most ``MAX_CATCH_UP``), then runs ``speed`` times faster than real time. All rows are marked
simulated by their datasets (the manifests say so); nothing here is real.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from citybrain.feeds.check import COUNT_UNITS, SIGNED_UNITS
from citybrain.feeds.kinds import EVENT_STEPS
from citybrain.feeds.simderived import derive, is_derived, stations_of
from citybrain.queries.kpi import INCIDENT
from citybrain.semantics.freshness import clock
from citybrain.settings import Settings

log = logging.getLogger(__name__)
STEP = timedelta(minutes=5)
MAX_CATCH_UP = timedelta(days=1)
Rows = dict[tuple[str, str], list[dict]]


def _rng(seed: int, ts: datetime, stream: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{stream}:{ts.isoformat()}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


@dataclass
class Simulator:
    """The state of the simulated series (read from the store once) and how to step them on."""

    settings: Settings
    series: pd.DataFrame
    vessels: pd.DataFrame
    incidents: pd.DataFrame
    now: datetime
    stations: pd.DataFrame = field(default_factory=lambda: stations_of(pd.DataFrame()))
    typhoon: object | None = None  # a ``citybrain.feeds.typhoon_live.TyphoonReplay``

    @classmethod
    def from_store(cls, settings: Settings) -> Simulator:
        con = duckdb.connect(str(settings.db), read_only=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            now = datetime.fromisoformat(meta["anchor"])
            now = now.replace(minute=now.minute - now.minute % 5)  # the series' 5-minute steps (a real feed may end off-step)
            series = con.execute("""
                SELECT o.dataset, o.indicator_id, o.region_code, o.entity_id, i.cadence_s, i.unit,
                       arg_max(o.value, o.ts) AS last, max(o.ts) AS last_ts, avg(o.value) AS mean,
                       coalesce(stddev_pop(o.value), 0) AS sd
                FROM observations o JOIN indicators i USING (indicator_id)
                WHERE o.simulated AND i.cadence_s <= 3600 AND o.ts > ? - INTERVAL 1 DAY AND o.ts <= ?
                GROUP BY ALL ORDER BY ALL""", [now, now]).df()
            vessels = con.execute("""
                SELECT dataset, track_id, arg_max(lon, ts) AS lon, arg_max(lat, ts) AS lat,
                       arg_max(speed_kn, ts) AS speed_kn, arg_max(heading_deg, ts) AS heading_deg,
                       arg_max(status, ts) AS status
                FROM tracks WHERE kind = 'vessel' AND simulated AND ts > ? - INTERVAL 2 HOUR AND ts <= ?
                GROUP BY ALL HAVING arg_max(speed_kn, ts) > 0.5 ORDER BY track_id""", [now, now]).df()
            incidents = con.execute(f"""SELECT dataset, event_id, status, region_code, kind,
                       coalesce(json_extract(properties, '$.overdue')::BOOLEAN, due_at < ?) AS overdue,
                       {INCIDENT} AS counted
                FROM events WHERE simulated AND status NOT IN ('closed') AND reported_at <= ?
                ORDER BY event_id""", [now, now]).df()
            stations = stations_of(con.execute("""SELECT entity_id, region_code, properties FROM entities
                WHERE kind IN ('reservoir', 'river_station', 'tide_station') ORDER BY entity_id""").df())
        finally:
            con.close()
        # which series are rebuilt rather than walked: fixed for the run, so decided once
        series["derived"] = [is_derived(i, e) for i, e in zip(series["indicator_id"], series["entity_id"])]
        log.info("simulating %d series, %d vessels, %d open incidents from %s", len(series), len(vessels),
                 len(incidents), now)
        return cls(settings, series, vessels, incidents, now, stations)

    def datasets(self) -> list[str]:
        """The datasets the simulator sends feeds of."""
        extra = {"typhoon", "fisheries"} if self.typhoon is not None else set()
        return sorted(set(self.series["dataset"]) | set(self.vessels["dataset"]) | set(self.incidents["dataset"]) | extra)

    def attach_typhoon(self, replay) -> None:
        """Replay a stored typhoon with the live series: its vessels follow the replay's fleet."""
        self.typhoon = replay
        self.vessels = self.vessels[~self.vessels["track_id"].isin(replay.vessel_ids())].reset_index(drop=True)

    def step(self) -> Rows:
        """Advance 5 minutes; return the new rows by (dataset, kind)."""
        ts = self.now + STEP
        self.now = ts
        out: Rows = {}
        self._incidents(ts, out)  # first: this step's counts include its state changes
        self._observations(ts, out)
        self._positions(ts, out)
        if self.typhoon is not None:
            merge(out, self.typhoon.step(ts))
        return out

    def _observations(self, ts: datetime, out: Rows) -> None:
        s = self.series
        if s.empty:
            return
        secs = int((ts - datetime(2000, 1, 1)).total_seconds())
        due = ((secs % s["cadence_s"].to_numpy()) == 0) & (s["last_ts"] < pd.Timestamp(ts)).to_numpy()
        z = _rng(self.settings.seed, ts, "observations").standard_normal(len(s))
        last, mean, sd = s["last"].to_numpy(), s["mean"].to_numpy(), s["sd"].to_numpy()
        value = last + 0.2 * (mean - last) + 0.3 * np.maximum(sd, 1e-3) * z
        signed = s["unit"].isin(list(SIGNED_UNITS)).to_numpy()
        value = np.round(np.where(signed, value, np.maximum(value, 0)), 3)
        whole = s["unit"].isin(list(COUNT_UNITS)).to_numpy()  # 1.8 vessels is no count
        value = np.where(whole, np.round(value), value)
        raw = due & ~s["derived"].to_numpy(dtype=bool)
        s.loc[raw, "last"] = value[raw]
        rebuilt = derive(s, self.stations, self.incidents)
        value = np.where(np.isnan(rebuilt), s["last"].to_numpy(dtype="float64"), rebuilt)
        s.loc[due, "last"] = value[due]
        s.loc[due, "last_ts"] = pd.Timestamp(ts)
        stamp = ts.isoformat()
        for r in s[due].itertuples():
            out.setdefault((r.dataset, "observations"), []).append({
                "indicator_id": r.indicator_id, "region_code": r.region_code,
                "entity_id": None if pd.isna(r.entity_id) else r.entity_id, "ts": stamp, "value": float(r.last),
                "quality": "good"})

    def _positions(self, ts: datetime, out: Rows) -> None:
        v = self.vessels
        if v.empty:
            return
        rng = _rng(self.settings.seed, ts, "positions")
        heading = (v["heading_deg"].to_numpy() + 15 + rng.normal(0, 3, len(v))) % 360
        speed = np.clip(v["speed_kn"].to_numpy() + rng.normal(0, 0.3, len(v)), 1, 14)
        km = speed * 1.852 * STEP.total_seconds() / 3600
        lat = v["lat"].to_numpy() + km * np.cos(np.radians(heading)) / 111.2
        lon = v["lon"].to_numpy() + km * np.sin(np.radians(heading)) / (111.2 * np.cos(np.radians(lat)))
        v["lon"], v["lat"], v["heading_deg"], v["speed_kn"] = lon, lat, heading, speed
        stamp = ts.isoformat()
        for r in v.itertuples():
            out.setdefault((r.dataset, "tracks"), []).append({
                "id": r.track_id, "ts": stamp, "lon": round(r.lon, 6), "lat": round(r.lat, 6),
                "speed": round(float(r.speed_kn), 2), "heading": round(float(r.heading_deg), 1), "status": r.status})

    def _incidents(self, ts: datetime, out: Rows) -> None:
        inc = self.incidents
        if inc.empty:
            return
        rng = _rng(self.settings.seed, ts, "incidents")
        if rng.random() > 0.3:
            return
        i = int(rng.integers(len(inc)))
        steps = list(EVENT_STEPS)
        nxt = steps[min(steps.index(inc.at[i, "status"]) + 1, len(steps) - 1)]
        out.setdefault((inc.at[i, "dataset"], "events"), []).append(
            {"event_id": inc.at[i, "event_id"], "ts": ts.isoformat(), "status": nxt})
        if nxt == "closed":
            self.incidents = inc.drop(index=i).reset_index(drop=True)
        else:
            inc.at[i, "status"] = nxt


def merge(into: Rows, more: Rows) -> Rows:
    for k, rows in more.items():
        into.setdefault(k, []).extend(rows)
    return into


def http_sender(base_url: str, tokens: dict[str, str]) -> Callable[[Rows], None]:
    """Send rows as NDJSON pushes to ``base_url`` with the dataset's feed token."""
    def send(rows: Rows) -> None:
        for (dataset, kind), items in rows.items():
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items).encode()
            req = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/ingest/{dataset}?kind={kind}&simulated=true",
                                         data=body,
                                         method="POST", headers={"Content-Type": "application/x-ndjson",
                                                                 "Authorization": f"Bearer {tokens[dataset]}"})
            for attempt in range(60):  # the server may still be starting (serve --demo)
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:
                        log.info("pushed %d %s rows of %s: %s", len(items), kind, dataset,
                                 resp.read().decode()[:200])
                    break
                except urllib.error.HTTPError as exc:
                    log.error("push of %s/%s refused: %s %s", dataset, kind, exc.code, exc.read().decode()[:500])
                    break
                except urllib.error.URLError as exc:
                    log.warning("server not reachable (%s); retrying", exc.reason)
                    time.sleep(2)
    return send


def mqtt_sender(client) -> Callable[[Rows], None]:
    """Publish rows to ``citybrain/<dataset>/<kind>/simulated`` at QoS 1 (waits for the broker's acknowledgement)."""
    from citybrain.feeds.mqtt import publish_rows, wait_published

    def send(rows: Rows) -> None:
        infos = []
        for (dataset, kind), items in rows.items():
            infos += publish_rows(client, dataset, kind, items, simulated=True)
        wait_published(infos, timeout=120)
    return send


def run(sim: Simulator, send: Callable[[Rows], None], *, speed: float = 1.0, steps: int | None = None,
        stop: Callable[[], bool] = lambda: False) -> int:
    """Catch up to the wall clock, then send a step every 5 minutes / ``speed``; return the steps sent."""
    wall = clock(sim.settings.clock)
    if wall - sim.now > MAX_CATCH_UP:
        log.warning("the store's now %s is more than a day behind; the live series start a day ago", sim.now)
        sim.now = wall - MAX_CATCH_UP
        sim.now = sim.now.replace(second=0, microsecond=0, minute=sim.now.minute - sim.now.minute % 5)
    done = 0
    pending: Rows = {}
    while sim.now + STEP <= clock(sim.settings.clock) and (steps is None or done < steps):
        merge(pending, sim.step())  # catching up: up to an hour of steps per batch
        done += 1
        if done % 12 == 0:
            send(pending)
            pending = {}
    if pending:
        send(pending)
    interval = STEP.total_seconds() / max(speed, 1e-3)
    next_at = time.monotonic() + interval
    while (steps is None or done < steps) and not stop():
        time.sleep(max(0.0, min(next_at - time.monotonic(), 1.0)))
        if time.monotonic() < next_at:
            continue
        send(sim.step())
        done += 1
        next_at += interval
    return done

