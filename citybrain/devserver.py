"""Start the app on loopback for browser tests and benchmarks, and wait until it is ready.

One way to do it everywhere: ``citybrain serve`` (gunicorn) in a child process, polled on
``/readyz``; the child's stderr tail is raised if it exits early. Loopback by default; the
several-host tests serve on an address of their own network namespace (``prefix`` runs the server
there, e.g. ``["ip", "netns", "exec", NS]``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, env: dict[str, str], workers: int = 1, timeout_s: float = 120.0, *,
          host: str = "127.0.0.1", prefix: list[str] | None = None) -> subprocess.Popen:
    """Serve the app on ``host:port`` with ``env`` added to this environment; return when ready."""
    full = dict(os.environ, CITYBRAIN_LOG_LEVEL="WARNING")
    full.update(env)
    proc = subprocess.Popen([*(prefix or []), sys.executable, "-m", "citybrain.cli", "serve", "--host", host,
                             "--port", str(port), "--workers", str(workers)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not become ready in {timeout_s:.0f} s")
