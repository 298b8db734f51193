"""Running the app under gunicorn (the production server) from the CLI."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for k, v in self.options.items():
            self.cfg.set(k, v)

    def load(self):
        # the package's own factory, not the top-level ``app`` module: an editable install (pip
        # install -e .) maps packages only, so ``import app`` failed outside the checkout's folder
        from citybrain.app_factory import create_app

        return create_app().server


def gunicorn_options(host: str, port: int, workers: int, accesslog: str = "-") -> dict[str, Any]:
    """The gunicorn settings the product runs with (also used by gunicorn.conf.py); the access log
    never holds a wall token (``citybrain.logredact.GunicornLogger``)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 20,
        "keepalive": 5,
        # no runtime control socket (gunicornc: worker count, reload, shutdown): nothing uses it, and its
        # default path is one per user, so a second server on the host would take over the first's
        "control_socket_disable": True,
        # no reuse_port (a socket per worker): it balances the workers better, but while a lone worker
        # restarts (max_requests) nothing listens and connections are refused; the master's socket waits
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": accesslog,
        "logger_class": "citybrain.logredact.GunicornLogger",
        "post_worker_init": follow_store,
        # a warmer beside the workers rebuilds what people watch before each version is served
        "on_starting": start_warmer,
        "on_exit": stop_warmer,
    }


def start_warmer(arbiter: Any) -> None:
    """gunicorn's ``on_starting`` (in the master, before any worker): start the warmer
    (``citybrain.warm``) and tell the workers-to-be where its pointer and notes are."""
    from citybrain.settings import get_settings
    from citybrain.warm import served

    settings = get_settings()
    if not settings.warm or settings.cache in ("simple", "null"):
        return  # nothing to warm into: each worker's cache is its own
    pointer = served.pointer_path(settings.db)
    folder = Path(tempfile.mkdtemp(prefix=f"citybrain-warm-{os.getpid()}-"))
    os.environ["CITYBRAIN_SERVED"], os.environ["CITYBRAIN_WARM_DIR"] = str(pointer), str(folder)
    get_settings.cache_clear()  # the workers fork from here: they read the two above
    proc = subprocess.Popen([sys.executable, "-m", "citybrain.warm"])
    arbiter.citybrain_warmer = (proc, pointer, folder)
    log.info("warmer %d started (pointer %s)", proc.pid, pointer)


def stop_warmer(arbiter: Any) -> None:
    """gunicorn's ``on_exit``: stop the warmer, remove its pointer and notes."""
    from citybrain.warm import served

    got = getattr(arbiter, "citybrain_warmer", None)
    if got is None:
        return
    proc, pointer, folder = got
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    served.remove(pointer)
    shutil.rmtree(folder, ignore_errors=True)


def follow_store(worker: Any) -> None:
    """gunicorn's ``post_worker_init``: the worker's store opens each new version in the background
    (``Store.follow``), so no request waits for it."""
    from citybrain.context import EXTENSION

    ctx = getattr(worker.wsgi, "extensions", {}).get(EXTENSION)
    if ctx is not None:
        ctx.store.follow()


def run_gunicorn(host: str, port: int, workers: int, accesslog: str = "-") -> None:
    _Gunicorn(gunicorn_options(host, port, workers, accesslog)).run()
