"""MQTT transport: ``citybrain subscribe`` takes ``citybrain/<dataset>/<kind>`` messages into micro-batches.

A message's payload is one JSON object or an array of them (the fields of the kind's feed); topics
ending in ``/simulated`` carry simulated feeds, whose rows are marked so. The subscriber keeps a persistent session (fixed client id, ``clean_session`` off) at QoS 1 with manual
acknowledgement: a message is acknowledged only once the batch holding it is in the store (or it
was refused as bad), so a broker restart or a crash of the subscriber loses nothing delivered at
QoS 1 — the broker sends again what was not acknowledged, and redelivered rows the store already
holds are skipped (``skip_stored``). Messages are gathered for ``interval`` seconds or up to
``max_messages`` and ingested as one batch per dataset and kind; a bad row drops its message only
(logged with the reason), the rest of the batch goes in. paho reconnects after a broker restart.

Broker settings for high rates: ``max_inflight_messages 0`` and a large ``max_queued_messages``
(mosquitto's defaults, 20 and 1,000, throttle a subscriber that acknowledges per batch).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from citybrain.errors import DataError
from citybrain.feeds.kinds import KINDS
from citybrain.feeds.pipeline import DATASET_NAME, ingest
from citybrain.settings import Settings

log = logging.getLogger(__name__)
TOPIC = "citybrain/+/+"
#: Simulated feeds (``citybrain simulate --via mqtt``) publish here; their rows are marked simulated.
SIM_TOPIC = "citybrain/+/+/simulated"


def parse_broker(url: str) -> tuple[str, int]:
    """(host, port) of ``mqtt://HOST[:PORT]`` (ValueError otherwise)."""
    u = urlparse(url)
    if u.scheme != "mqtt" or not u.hostname:
        raise ValueError(f"broker must look like mqtt://HOST:PORT, not {url!r}")
    return u.hostname, u.port or 1883


@dataclass
class Message:
    mid: int
    qos: int
    dataset: str
    kind: str
    lines: list[bytes]
    simulated: bool = False


@dataclass
class Stats:
    """What the subscriber did so far."""

    messages: int = 0
    batches: int = 0
    rows: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


class Subscriber:
    """Subscribes to every dataset's feed topics and ingests micro-batches (see the module doc)."""

    def __init__(self, settings: Settings, broker: str, *, target: Path | None = None,
                 client_id: str = "citybrain-ingest", interval: float = 1.0, max_messages: int = 5000,
                 simulated: bool = False) -> None:
        self.settings, self.target, self.simulated = settings, target, simulated
        self.interval, self.max_messages = interval, max_messages
        self.host, self.port = parse_broker(broker)
        self.stats = Stats()
        self.connected = threading.Event()
        self._buf: list[Message] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                                  protocol=mqtt.MQTTv311, manual_ack=True)
        if settings.mqtt_user:
            self.client.username_pw_set(settings.mqtt_user, settings.mqtt_password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # ---- paho callbacks (its network thread) ----------------------------------------------------------
    def _on_connect(self, client, _userdata, _flags, reason, _props) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        client.subscribe([(TOPIC, 1), (SIM_TOPIC, 1)])

    def _on_subscribe(self, _client, _userdata, _mid, reasons, _props) -> None:
        if any(r.is_failure for r in reasons):
            log.error("MQTT broker %s:%s refused the subscription to %s: %s", self.host, self.port, TOPIC, reasons)
            return
        self.connected.set()  # only now: a message published from here on reaches us
        log.info("subscribed to %s on %s:%s", TOPIC, self.host, self.port)

    def _on_disconnect(self, _client, _userdata, _flags, reason, _props) -> None:
        self.connected.clear()
        log.warning("MQTT broker %s:%s disconnected (%s); reconnecting", self.host, self.port, reason)

    def _on_message(self, _client, _userdata, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/")
        simulated = len(parts) == 4 and parts[3] == "simulated"
        dataset, kind = (parts[1], parts[2]) if len(parts) == 3 or simulated else ("", "")
        lines = self._lines(msg.payload, msg.topic) if DATASET_NAME.match(dataset) and kind in KINDS else None
        if lines is None:
            if not (DATASET_NAME.match(dataset) and kind in KINDS):
                self._reject(msg.topic, "topic is not citybrain/<dataset>/<observations|tracks|events|entities>")
            self.client.ack(msg.mid, msg.qos)
            return
        with self._lock:
            self._buf.append(Message(msg.mid, msg.qos, dataset, kind, lines, simulated))
            self.stats.messages += 1
            if len(self._buf) >= self.max_messages:
                self._wake.set()

    def _lines(self, payload: bytes, topic: str) -> list[bytes] | None:
        try:
            doc = json.loads(payload)
        except ValueError as exc:
            self._reject(topic, f"payload is not JSON ({exc})")
            return None
        items = doc if isinstance(doc, list) else [doc]
        if not items or not all(isinstance(i, dict) for i in items):
            self._reject(topic, "payload must be one JSON object or an array of objects")
            return None
        return [json.dumps(i, ensure_ascii=False).encode() + b"\n" for i in items]

    def _reject(self, topic: str, why: str) -> None:
        self.stats.rejected += 1
        self.stats.errors.append(f"{topic}: {why}")
        del self.stats.errors[:-100]
        log.error("MQTT message on %s refused: %s", topic, why)

    # ---- batches (the caller's thread) ----------------------------------------------------------------
    def flush(self) -> None:
        """Ingest what has arrived: one batch per dataset and kind; acknowledge what is settled."""
        with self._lock:
            taken, self._buf = self._buf, []
            self._wake.clear()
        groups: dict[tuple[str, str, bool], list[Message]] = {}
        for m in taken:
            groups.setdefault((m.dataset, m.kind, m.simulated), []).append(m)
        keep: list[Message] = []
        for (dataset, kind, simulated), msgs in groups.items():
            keep += self._ingest_group(dataset, kind, msgs, simulated)
        if keep:  # not the feed's fault (store busy, disk): try again with the next batch
            with self._lock:
                self._buf[:0] = keep

    def _ingest_group(self, dataset: str, kind: str, msgs: list[Message], simulated: bool) -> list[Message]:
        while msgs:
            owner, lines, seen = [], [], set()
            for i, m in enumerate(msgs):
                for line in m.lines:
                    if line not in seen:  # a redelivered message repeats rows exactly: keep one
                        seen.add(line)
                        owner.append(i)
                        lines.append(line)
            body = b"".join(lines)
            try:
                res = ingest(dataset, io.BytesIO(body), self.settings, kind=kind, target=self.target,
                             file=f"mqtt citybrain/{dataset}/{kind}", fmt="ndjson", simulated=self.simulated or simulated,
                             skip_stored=True)
            except DataError as exc:
                if exc.row is None or not 1 <= exc.row <= len(owner):
                    for m in msgs:
                        self._settle(m, f"citybrain/{dataset}/{kind}", str(exc))
                    return []
                bad = msgs.pop(owner[exc.row - 1])
                self._settle(bad, f"citybrain/{dataset}/{kind}", str(exc))
                continue
            except Exception:
                log.exception("MQTT batch of %s/%s failed for a reason outside the feed; will retry", dataset, kind)
                return msgs
            self.stats.batches += 0 if res.noop else 1
            self.stats.rows += res.rows
            self.stats.skipped += res.skipped
            for m in msgs:
                self.client.ack(m.mid, m.qos)
            return []
        return []

    def _settle(self, m: Message, topic: str, why: str) -> None:
        self._reject(topic, why)
        self.client.ack(m.mid, m.qos)

    def start(self) -> None:
        """Connect (in the background; paho retries until the broker answers)."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def run(self, stop: threading.Event | None = None) -> None:
        """Connect and ingest micro-batches until ``stop`` is set."""
        stop = stop or threading.Event()
        self.start()
        try:
            while not stop.is_set():
                self._wake.wait(self.interval)
                self.flush()
        finally:
            self.flush()
            self.client.loop_stop()
            self.client.disconnect()


def publish_rows(client: mqtt.Client, dataset: str, kind: str, rows: list[dict], chunk: int = 500,
                 simulated: bool = False) -> list:
    """Publish ``rows`` to ``citybrain/<dataset>/<kind>[/simulated]`` at QoS 1 as arrays of ``chunk`` objects."""
    infos = []
    topic = f"citybrain/{dataset}/{kind}" + ("/simulated" if simulated else "")
    for i in range(0, len(rows), chunk):
        infos.append(client.publish(topic, json.dumps(rows[i:i + chunk], ensure_ascii=False,
                                                                             default=str), qos=1))
    return infos


def wait_published(infos: list, timeout: float = 30.0) -> None:
    """Wait until the broker acknowledged every publish of ``infos``."""
    deadline = time.monotonic() + timeout
    for info in infos:
        if info.rc == mqtt.MQTT_ERR_NO_CONN:  # queued while the broker was away: paho sends it on reconnect
            info.rc = mqtt.MQTT_ERR_AGAIN
        info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        if not info.is_published():
            raise TimeoutError(f"the broker did not acknowledge message {info.mid} in {timeout:.0f} s")
