"""The sockets the production server (gunicorn) holds: one listening socket that outlives its workers,
no runtime control socket, and a clear refusal of a taken port.

A socket per worker (gunicorn's ``reuse_port``) spreads connections more evenly over the workers
(the sustained benchmark measured one worker of four doing 65 % of the work with the shared socket),
but while a lone worker restarts (``max_requests``) nothing listens and connections are refused: the
browser suite met exactly that. So the master keeps the one socket, and these tests hold it so.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from citybrain import devserver

ROOT = Path(__file__).resolve().parents[2]


def _listeners(port: int) -> list[set[int]]:
    """The processes holding each listening TCP socket on ``port`` (``ss`` of iproute2)."""
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return [{int(p) for p in re.findall(r"pid=(\d+)", line)} for line in out.splitlines() if line.strip()]


def _env(built_store) -> dict[str, str]:
    return {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_CACHE": "simple", "CITYBRAIN_AUTH": "off"}


def test_a_restarting_worker_never_refuses_a_connection(built_store, tmp_path):
    """The product's gunicorn options with a worker that restarts every 15 requests: 120 requests on
    fresh connections all succeed, because the master's socket queues them while the worker restarts."""
    port = devserver.free_port()
    conf = tmp_path / "gunicorn_test.conf.py"
    conf.write_text("from citybrain.server import gunicorn_options\n"
                    f"globals().update(gunicorn_options('127.0.0.1', {port}, 1, '-'))\n"
                    "max_requests = 15\nmax_requests_jitter = 0\naccesslog = None\n", encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(conf), "app:server"], cwd=ROOT,
                              env=dict(os.environ, **_env(built_store)), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        refused, answers = 0, []
        for _ in range(120):  # eight restarts of the only worker
            try:
                answers.append(requests.get(f"http://127.0.0.1:{port}/healthz", timeout=60).status_code)
            except requests.ConnectionError:
                refused += 1
        assert refused == 0 and answers == [200] * 120, (refused, set(answers))
        assert len(_listeners(port)) == 1  # the master's socket, shared by its workers
    finally:
        server.terminate()
        server.wait(30)


def test_no_runtime_control_socket_and_a_taken_port_is_refused(built_store):
    """gunicorn's control socket (``gunicornc``) is off: its default path is one per user, so a second
    server on the host took over the first's. A second server on a taken port stops with an error
    naming the address instead of sharing it."""
    port = devserver.free_port()
    first = devserver.start(port, _env(built_store), workers=1)
    try:
        owners = set().union(*_listeners(port))
        unix = subprocess.run(["ss", "-Hxlp"], capture_output=True, text=True, check=True).stdout
        held = [line for line in unix.splitlines() if {int(p) for p in re.findall(r"pid=(\d+)", line)} & owners]
        assert owners and not [line for line in held if "gunicorn.ctl" in line], held
        second = subprocess.run([sys.executable, "-m", "citybrain.cli", "serve", "--port", str(port), "--workers", "1"],
                                env=dict(os.environ, **_env(built_store)), capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert f"Connection in use: ('127.0.0.1', {port})" in second.stderr
        assert len(_listeners(port)) == 1 and set().union(*_listeners(port)) == owners  # the first one's alone
    finally:
        first.terminate()
        first.wait(30)
