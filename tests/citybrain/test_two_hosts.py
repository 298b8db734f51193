"""Two app hosts sharing one store folder and one Redis: a batch pushed through host A is visible on
host B within 10 s. The hosts are real network namespaces (``ip netns``, veth pairs); each serves
the app with gunicorn on its own address, and Redis listens on this side of both links."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import redis

from citybrain import devserver
from citybrain.feeds import tokens
from citybrain.ops.db import make_engine
from tests.citybrain.feeds.conftest import at, feeds_template, obs_csv, store  # noqa: F401  (fixtures)
from tests.netns import hosts

PORT = 8050


def _redis(binds: list[str], tmp: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = subprocess.Popen([binary, "--port", "6390", "--bind", *binds, "--protected-mode", "no", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    client = redis.Redis(host=binds[0], port=6390)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not answer within 5 s")


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def test_a_push_through_host_a_is_visible_on_host_b_within_10_s(store, tmp_path):  # noqa: F811
    with hosts(2) as (a, b):
        cache = _redis([a.gateway, b.gateway], tmp_path)
        servers = []
        try:
            for h in (a, b):  # the same store folder, the same Redis (reached through each host's own link)
                env = {"CITYBRAIN_DB": str(store.db), "CITYBRAIN_CACHE": f"redis://{h.gateway}:6390/0"}
                servers.append(devserver.start(PORT, env, workers=2, host=h.ip, prefix=h.prefix))
            query = f"/api/v1/observations?indicator=water_level&entity=WS-330225-01&from={at(1)}"
            assert _get(f"http://{b.ip}:{PORT}{query}")["rows"] == [], "host B caches the answer before the push"
            version = _get(f"http://{b.ip}:{PORT}/api/v1/wall/status")["data_version"]
            token = tokens.add(make_engine(store), "buoys", "water")
            req = urllib.request.Request(f"http://{a.ip}:{PORT}/api/v1/ingest/water?kind=observations",
                                         data=obs_csv().encode(), method="POST",
                                         headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=60) as r:
                pushed = json.load(r)
            t0 = time.monotonic()
            rows = []
            while time.monotonic() - t0 < 10 and not rows:
                rows = _get(f"http://{b.ip}:{PORT}{query}")["rows"]
                time.sleep(0.2)
            assert [(x["ts"], x["value"]) for x in rows] == [(at(5).replace("T", " "), 31.5)]
            status = _get(f"http://{b.ip}:{PORT}/api/v1/wall/status")
            assert status["data_version"] == pushed["data_version"] != version
            # the hosts really are apart: B's address is not one of this namespace's, A cannot be reached as loopback
            local = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True).stdout
            assert f" {b.ip}/" not in local and f" {a.gateway}/" in local
        finally:
            for s in servers:
                s.terminate()
                s.wait(timeout=30)
            cache.terminate()
            cache.wait(timeout=10)
