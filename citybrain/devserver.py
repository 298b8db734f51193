"""Start the app on loopback for browser tests and benchmarks, and wait until it is ready.

One way to do it everywhere: ``citybrain serve`` (gunicorn) in a child process, polled on
``/readyz``; the child's stderr tail is raised if it exits early. Loopback only.
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


def start(port: int, env: dict[str, str], workers: int = 1, timeout_s: float = 120.0) -> subprocess.Popen:
    """Serve the app on ``127.0.0.1:port`` with ``env`` added to this environment; return when ready."""
    full = dict(os.environ, CITYBRAIN_LOG_LEVEL="WARNING")
    full.update(env)
    proc = subprocess.Popen([sys.executable, "-m", "citybrain.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not become ready in {timeout_s:.0f} s")
