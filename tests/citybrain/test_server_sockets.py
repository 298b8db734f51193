"""Each gunicorn worker listens on a socket of its own (SO_REUSEPORT), so the kernel spreads connections
over the workers.

With one listening socket shared by all workers, the worker that is awake wins every accept: in the
sustained benchmark one of four workers did 89 % of the builds while the others idled, and every
request of that worker waited for its GIL. With a socket per worker the kernel hashes each new
connection to one of them (``bench/bench_sustained.py`` prints the workers' CPU shares).
"""

from __future__ import annotations

import re
import subprocess
import time

from citybrain import devserver

WORKERS = 3


def _listeners(port: int) -> list[set[int]]:
    """The processes holding each listening TCP socket on ``port`` (``ss`` of iproute2)."""
    out = subprocess.run(["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return [{int(p) for p in re.findall(r"pid=(\d+)", line)} for line in out.splitlines() if line.strip()]


def test_every_worker_listens_on_a_socket_of_its_own(built_store):
    port = devserver.free_port()
    server = devserver.start(port, {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_CACHE": "simple",
                                    "CITYBRAIN_AUTH": "off"}, workers=WORKERS)
    try:
        deadline = time.monotonic() + 60  # /readyz answers once the first worker is up
        while len(_listeners(port)) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        sockets = _listeners(port)
        assert len(sockets) == WORKERS, sockets
        assert all(len(owners) == 1 for owners in sockets), sockets  # not one socket shared by all
        owners = set().union(*sockets)
        assert len(owners) == WORKERS and server.pid not in owners  # one per worker; the master holds none
        # and no runtime control socket (gunicorn's default is one path per user, shared by every server)
        unix = subprocess.run(["ss", "-Hxlp"], capture_output=True, text=True, check=True).stdout
        held = [line for line in unix.splitlines()
                if {int(p) for p in re.findall(r"pid=(\d+)", line)} & (owners | {server.pid})]
        assert not [line for line in held if "gunicorn.ctl" in line], held
    finally:
        server.terminate()
        server.wait(30)


def test_a_second_server_on_a_taken_port_stops_with_a_clear_error(built_store):
    """SO_REUSEPORT would let a second server of the same user join the port and silently take half
    the connections (e.g. an old release left running); the master refuses to start instead."""
    import os
    import sys

    port = devserver.free_port()
    env = {"CITYBRAIN_DB": str(built_store.db), "CITYBRAIN_CACHE": "simple", "CITYBRAIN_AUTH": "off"}
    first = devserver.start(port, env, workers=1)
    try:
        second = subprocess.run([sys.executable, "-m", "citybrain.cli", "serve", "--port", str(port), "--workers", "1"],
                                env=dict(os.environ, **env), capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert f"127.0.0.1:{port} is already in use" in second.stderr
        assert "Traceback" not in second.stderr
        assert len(_listeners(port)) == 1  # the first server's one worker, nobody else
    finally:
        first.terminate()
        first.wait(30)
