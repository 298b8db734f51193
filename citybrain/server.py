"""Running the app under gunicorn (the production server) from the CLI."""

from __future__ import annotations

import errno
import socket
from typing import Any

from gunicorn.app.base import BaseApplication


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
        # a listening socket per worker: the kernel spreads connections over the workers (with one
        # shared socket, the worker that happens to be awake wins every accept)
        "reuse_port": True,
        "on_starting": refuse_a_taken_port,
        # no runtime control socket (gunicornc: worker count, reload, shutdown): nothing uses it, and its
        # default path is one per user, so a second server on the host would take over the first's
        "control_socket_disable": True,
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": accesslog,
        "logger_class": "citybrain.logredact.GunicornLogger",
        "post_worker_init": follow_store,
    }


def refuse_a_taken_port(arbiter: Any) -> None:
    """gunicorn's ``on_starting`` (in the master, before any worker binds): stop with a clear error when
    the address is taken. Workers bind with SO_REUSEPORT, which would let a second server of the same
    user — an old one left running — silently take half the connections; a plain bind fails instead."""
    if getattr(arbiter, "master_pid", 0):  # a re-executed master (USR2 upgrade) shares the port on purpose
        return
    for address in arbiter.cfg.address:
        if not isinstance(address, tuple):  # a unix socket: no SO_REUSEPORT there
            continue
        family, kind, proto, _name, sockaddr = socket.getaddrinfo(address[0], address[1], type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT leftover is no owner
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise SystemExit(f"citybrain serve: {address[0]}:{address[1]} is already in use (another "
                                 "server still running?); stop it or choose another --port") from None


def follow_store(worker: Any) -> None:
    """gunicorn's ``post_worker_init``: the worker's store opens each new version in the background
    (``Store.follow``), so no request waits for it."""
    from citybrain.context import EXTENSION

    ctx = getattr(worker.wsgi, "extensions", {}).get(EXTENSION)
    if ctx is not None:
        ctx.store.follow()


def run_gunicorn(host: str, port: int, workers: int, accesslog: str = "-") -> None:
    _Gunicorn(gunicorn_options(host, port, workers, accesslog)).run()
