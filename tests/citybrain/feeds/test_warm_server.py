"""The production server runs its warmer (``citybrain.warm``) beside the gunicorn workers: it publishes
each pushed version in the server's pointer, a push is visible in the API within 10 s, still within
10 s after the warmer is killed (the workers' lag guard), and stopping the server removes the pointer
and the notes. A real gunicorn, a real filesystem cache, a real HTTP push."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
import urllib.request
from pathlib import Path

from citybrain import devserver
from citybrain.feeds import tokens
from citybrain.ops.db import make_engine
from citybrain.warm import served
from tests.citybrain.feeds.conftest import at, obs_csv


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def _push(base: str, token: str, minutes: int, value: float) -> dict:
    req = urllib.request.Request(f"{base}/api/v1/ingest/water?kind=observations",
                                 data=obs_csv(minutes, value).encode(), method="POST",
                                 headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def _visible_within(base: str, minutes: int, value: float, limit_s: float) -> float:
    """Seconds until the pushed value is served (fails past ``limit_s``)."""
    query = f"/api/v1/observations?indicator=water_level&entity=WS-330225-01&from={at(minutes)}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if [(r["ts"], r["value"]) for r in _get(base + query)["rows"]] == [(at(minutes).replace("T", " "), value)]:
            return time.monotonic() - t0
        time.sleep(0.2)
    raise AssertionError(f"the push of +{minutes} min was not visible within {limit_s} s")


def _until(check, limit_s: float, what: str):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{what} within {limit_s} s")


def test_the_server_publishes_pushes_through_its_warmer_and_survives_its_death(store, tmp_path):
    port = devserver.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"CITYBRAIN_DB": str(store.db), "CITYBRAIN_CACHE": "filesystem", "CITYBRAIN_CACHE_DIR": str(tmp_path / "c")}
    server = devserver.start(port, env, workers=2)
    pointer = served.pointer_path(store.db, pid=server.pid)
    try:
        warmer = _until(lambda: [p for p in _children(server.pid) if b"citybrain.warm" in _cmdline(p)], 30,
                        "a warmer among the server's children")[0]
        _until(lambda: served.read(pointer) == os.path.basename(os.path.realpath(store.db)), 60,
               "the warmer publishes the current version")
        assert os.sched_getscheduler(warmer) == os.SCHED_IDLE  # only on CPU the workers leave idle
        (notes,) = Path(tempfile.gettempdir()).glob(f"citybrain-warm-{server.pid}-*")  # the server's notes
        token = tokens.add(make_engine(store), "buoys", "water")

        pushed = _push(base, token, 5, 41.5)
        _visible_within(base, 5, 41.5, 10)
        _until(lambda: served.read(pointer) == os.path.basename(os.path.realpath(store.db)), 10,
               "the pointer names the pushed version")
        assert _get(f"{base}/api/v1/wall/status")["data_version"] == pushed["data_version"]

        os.kill(warmer, signal.SIGKILL)  # a dead warmer holds a batch back by warm_lag_s (8 s) at most
        _until(lambda: not os.path.exists(f"/proc/{warmer}") or b"citybrain.warm" not in _cmdline(warmer), 10,
               "the warmer gone")
        pushed = _push(base, token, 10, 42.5)
        waited = _visible_within(base, 10, 42.5, 10)
        assert waited > 2, "served before the lag: the workers did not wait for the (dead) warmer at all"
        assert _get(f"{base}/api/v1/wall/status")["data_version"] == pushed["data_version"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not pointer.exists() and not notes.exists()
