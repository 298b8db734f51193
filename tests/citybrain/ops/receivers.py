"""Real local receivers of notifications for tests: an SMTP server (aiosmtpd) and an HTTP server
(``http.server`` in a thread) that keep what they receive."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from citybrain import devserver


class Mailbox:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 OK"

    def wait(self, n: int, timeout: float = 30) -> list[Any]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= n, timeout)
        return self.messages


class Hooks:
    """An HTTP receiver: every POST's path and JSON body; ``gate`` (when set) holds answers until opened."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.gate: threading.Event | None = None
        self.answer: bytes = b'{"errcode": 0}'
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hooks.arrived:
                    hooks.posts.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                        "json": json.loads(body)})
                    hooks.arrived.notify_all()
                if hooks.gate is not None:
                    hooks.gate.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(hooks.answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.port = devserver.free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, n: int, timeout: float = 30) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.posts) >= n, timeout)
        return self.posts

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def smtp_server() -> tuple[Controller, Mailbox]:
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=devserver.free_port())
    ctl.start()
    return ctl, box
