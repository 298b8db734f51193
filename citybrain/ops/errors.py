"""Errors of an operation, each with its HTTP status; the API answers them as JSON."""

from __future__ import annotations

from typing import Any


class OpsError(Exception):
    """An operation that cannot be done; ``status`` is its HTTP answer, ``body()`` its JSON."""

    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message, self.details = message, details

    def body(self) -> dict[str, Any]:
        return {"error": self.message, **self.details}


class NotFound(OpsError):
    """No such alarm or work order (or one the caller may not see)."""

    status = 404


class Forbidden(OpsError):
    """The caller's role (or department) may not take this step."""

    status = 403


class Conflict(OpsError):
    """The caller acted on a stale version: someone else changed it first."""

    status = 409


class IllegalStep(OpsError):
    """A step the life cycle does not allow from the current state."""

    status = 400
