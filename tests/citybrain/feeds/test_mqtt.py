"""MQTT: every kind through a real mosquitto broker, bad messages, a password, and a broker restart mid-stream."""

from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from citybrain.feeds.broker import Broker
from citybrain.feeds.mqtt import Subscriber, publish_rows, wait_published
from tests.citybrain.feeds.conftest import EXPECTED, GOOD, at, effect, stored
from tests.citybrain.feeds.test_http import to_ndjson


def rows_of(kind: str) -> tuple[str, list[dict]]:
    dataset, body, fmt = GOOD[kind]
    text = body if fmt == "ndjson" else to_ndjson(body)
    return dataset, [json.loads(line) for line in text.splitlines()]


def publisher(broker: Broker, user: str | None = None, password: str | None = None) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{time.monotonic_ns()}")
    if user:
        c.username_pw_set(user, password)
    c.reconnect_delay_set(min_delay=1, max_delay=2)
    up = threading.Event()
    c.on_connect = lambda *_: up.set()
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    assert up.wait(20), "publisher did not connect"
    return c


class Running:
    """A subscriber running in a thread until the block ends."""

    def __init__(self, settings, broker: Broker, **kw) -> None:
        self.sub = Subscriber(settings, broker.url, interval=0.3, **kw)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sub.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Subscriber:
        self.thread.start()
        assert self.sub.connected.wait(20), "subscriber did not connect"
        return self.sub

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(30)


def wait_for(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    return check()


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "mqtt").start()
    yield b
    b.stop()


def test_every_kind_over_mqtt_and_a_bad_message_alone_is_refused(store, broker):
    pub = publisher(broker)
    try:
        with Running(store, broker) as sub:
            infos = []
            for kind in GOOD:
                dataset, rows = rows_of(kind)
                if kind == "observations":  # one object per message
                    infos += [pub.publish(f"citybrain/{dataset}/{kind}", json.dumps(r, ensure_ascii=False), qos=1)
                              for r in rows]
                else:  # an array per message
                    infos += publish_rows(pub, dataset, kind, rows)
            bad = {"indicator_id": "water_level", "region_code": "330225", "entity_id": "WS-330225-03",
                   "ts": "1800-01-01T00:00:00", "value": 1, "quality": "good"}
            infos.append(pub.publish("citybrain/water/observations", json.dumps(bad), qos=1))
            infos.append(pub.publish("citybrain/water/observations", b"{not json", qos=1))
            wait_published(infos)
            for kind in GOOD:
                assert wait_for(lambda k=kind: effect(store, k) == EXPECTED[k]), kind
            assert wait_for(lambda: sub.stats.rejected == 2)
        assert any("field ts: lies before 2000-01-01" in e for e in sub.stats.errors), sub.stats.errors
        assert stored(store, "SELECT count(*) FROM observations WHERE entity_id = 'WS-330225-03' "
                             "AND ts < '2000-01-01'") == [(0,)]
    finally:
        pub.loop_stop()
        pub.disconnect()


def test_user_and_password_from_settings(store, tmp_path):
    b = Broker(tmp_path / "auth", user="feeder", password="s3cret").start()
    try:
        refused = Subscriber(store, b.url, client_id="nopass")
        refused.start()
        assert not refused.connected.wait(3), "the broker admits no anonymous subscriber"
        refused.client.loop_stop()
        s = store.model_copy(update={"mqtt_user": "feeder", "mqtt_password": "s3cret"})
        pub = publisher(b, "feeder", "s3cret")
        with Running(s, b):
            dataset, rows = rows_of("tracks")
            wait_published(publish_rows(pub, dataset, "tracks", rows))
            assert wait_for(lambda: effect(store, "tracks") == EXPECTED["tracks"])
        pub.loop_stop()
        pub.disconnect()
    finally:
        b.stop()


def test_broker_restart_mid_stream_loses_nothing(store, broker):
    """200 rows in 40 QoS 1 messages; the broker restarts after 20 of them; every row lands once."""
    stations = ["WS-330225-01", "WS-330225-02", "WS-330225-03", "WS-330225-04", "WS-330225-05"]

    def message(i: int) -> list[dict]:
        return [{"indicator_id": "water_level", "region_code": "330225", "entity_id": s, "ts": at(i + 1),
                 "value": 30 + i / 100, "quality": "good"} for s in stations]

    pub = publisher(broker)
    try:
        with Running(store, broker, client_id="restart-test") as sub:
            for i in range(20):
                wait_published([pub.publish("citybrain/water/observations", json.dumps(message(i)), qos=1)])
            broker.restart()
            infos = [pub.publish("citybrain/water/observations", json.dumps(message(i)), qos=1) for i in range(20, 40)]
            wait_published(infos, timeout=60)
            count = "SELECT count(*), count(DISTINCT (entity_id, ts)) FROM observations WHERE ts >= ? AND ts <= ?"
            got = wait_for(lambda: stored(store, count, [at(1), at(40)]) == [(200, 200)], timeout=90)
            assert got, stored(store, count, [at(1), at(40)])
            assert sub.stats.rejected == 0, sub.stats.errors
    finally:
        pub.loop_stop()
        pub.disconnect()
