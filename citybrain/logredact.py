"""Secrets never reach a log: the wall token in URLs (``?token=``) and in ``X-Wall-Token``.

``redact`` rewrites ``token=…`` in any text to ``token=***``. ``RedactFilter`` does it for the
records of a stdlib logger (werkzeug's request log under ``citybrain serve --dev``);
``GunicornLogger`` for gunicorn's access log (request line, query, referer, any header atom).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"((?:^|[?&;\s\"'])token=)[^&\s\"';#]*", re.I)
SECRET_HEADERS = ("{x-wall-token}i", "{cookie}i", "{authorization}i")


def redact(text: str) -> str:
    """``text`` with every ``token=`` value replaced by ``***``."""
    return _TOKEN.sub(r"\1***", text) if "oken=" in text or "OKEN=" in text else text


class RedactFilter(logging.Filter):
    """Redacts the formatted message of each record (its arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


def install_werkzeug_filter() -> None:
    """Redact werkzeug's request log (idempotent)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactFilter) for f in logger.filters):
        logger.addFilter(RedactFilter())


class GunicornLogger(Logger):
    """gunicorn's logger with wall tokens and credentials removed from the access-log atoms."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in SECRET_HEADERS and value not in ("-", None):
                atoms[key] = "***"
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
