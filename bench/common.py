"""Shared helpers of the benchmark scripts: timing with medians, percentiles, table printing, a
recorder of HTTP latencies and errors, and a gunicorn server of a benchmark's store."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from citybrain.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def median_ms(fn: Callable[[], Any], repeat: int = 15, warmup: int = 2) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain-text table (what the closing notes quote)."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n## {title}")
    for j, r in enumerate(cells):
        print("  ".join(c.rjust(w) if j and _numeric(c) else c.ljust(w) for c, w in zip(r, widths)))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(c: Any) -> str:
    if isinstance(c, float):
        return f"{c:,.2f}"
    if isinstance(c, int):
        return f"{c:,}"
    return str(c)


def _numeric(s: str) -> bool:
    return s.replace(",", "").replace(".", "").replace("-", "").replace("×", "").replace("%", "").isdigit()


def pct(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile (inclusive method; NaN when empty)."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class Recorder:
    """Thread-safe latencies (ms) and errors per kind of request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def request(self, session: requests.Session, kind: str, method: str, url: str, stream: bool = False,
                ok: tuple[int, ...] = (200,), **kw: Any) -> bytes | None:
        """Send one request, record its time under ``kind``; the body, or None (an error) unless the
        status is in ``ok``."""
        t0 = time.perf_counter()
        try:
            r = session.request(method, url, timeout=60, stream=stream, **kw)
            body = b"".join(r.iter_content(1 << 16)) if stream else r.content
            good = r.status_code in ok
            problem = f"{r.status_code} {method} {url}: {body[:200]!r}"
        except requests.RequestException as exc:
            good, body, problem = False, b"", f"{type(exc).__name__} {method} {url}: {exc}"
        self.record(kind, (time.perf_counter() - t0) * 1000, None if good else problem)
        return body if good else None

    def record(self, kind: str, ms: float, problem: str | None = None) -> None:
        """Record one time of ``kind`` and, when given, its problem."""
        with self.lock:
            self.times[kind].append(ms)
            if problem is not None:
                self.errors[kind].append(problem)

    def get(self, session: requests.Session, kind: str, url: str, stream: bool = False) -> bytes | None:
        return self.request(session, kind, "GET", url, stream=stream)


def server_env(settings: Settings, port: int, workers: int) -> dict[str, str]:
    """The environment of a benchmark's server (and CLI children) for ``settings``' store, auth off."""
    env = dict(os.environ)
    env.update({"CITYBRAIN_DB": str(settings.db), "CITYBRAIN_CACHE": settings.cache,
                "CITYBRAIN_CACHE_DIR": str(settings.cache_dir), "CITYBRAIN_HOST": HOST, "CITYBRAIN_PORT": str(port),
                "CITYBRAIN_WORKERS": str(workers), "CITYBRAIN_AUTH": "off", "CITYBRAIN_LOG_LEVEL": "WARNING"})
    if settings.sim_anchor is not None:
        env["CITYBRAIN_SIM_ANCHOR"] = settings.sim_anchor.isoformat()
    return env


def start_gunicorn(env: dict[str, str], errlog: Path) -> subprocess.Popen:
    """``gunicorn app:server`` (the product's gunicorn.conf.py) with ``env``; returns once /readyz answers."""
    with errlog.open("w") as err:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                   "app:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://{HOST}:{env['CITYBRAIN_PORT']}"
    for _ in range(600):
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {errlog}")
        time.sleep(0.1)
    stop_process(server)
    raise SystemExit("gunicorn did not become ready within 60 s")


def stop_process(proc: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """Terminate ``proc`` (kill it after ``timeout`` seconds)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_logged(cmd: list[str], env: dict[str, str], log: Path, ready: str, timeout: float = 30.0) -> subprocess.Popen:
    """Start ``cmd`` (output to ``log``.out and .err) and return once ``ready`` appears in its .err."""
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    with out.open("w") as o, err.open("w") as e:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=o, stderr=e)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready in err.read_text(encoding="utf-8", errors="replace"):
            return proc
        time.sleep(0.1)
    stop_process(proc)
    raise SystemExit(f"{' '.join(cmd[1:])} did not say {ready!r}: {err.read_text(errors='replace')[-1000:]}")


def log_errors(path: Path) -> list[str]:
    """The ERROR events of a server's or a CLI's log, each with the traceback that follows it."""
    events: list[str] = []
    for ln in (path.read_text(encoding="utf-8", errors="replace") if path.exists() else "").splitlines():
        if " ERROR " in ln:
            events.append(ln)
        elif events and (ln.startswith((" ", "Traceback")) or re.match(r"[\w.]+(Error|Exception)\b", ln)):
            events[-1] += "\n    " + ln
    return events
