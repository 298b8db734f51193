"""Declared request parameters: one spec drives validation, error messages and the OpenAPI document.

Every parameter from a request is checked against its spec; an unknown parameter or a bad value
raises ``ParamError`` (400 with a JSON body naming the parameter and the allowed form). Values
reach SQL only as bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from werkzeug.datastructures import MultiDict

from ..regions import REGIONS

Kind = Literal["string", "int", "datetime", "region", "enum", "id", "bool"]
_ID = re.compile(r"^[A-Za-z0-9_.:\-\u4e00-\u9fff]{1,80}$")
_MAX_LEN = 200


class ParamError(ValueError):
    """A request parameter that is unknown or has a bad value (HTTP 400)."""

    def __init__(self, parameter: str, problem: str, expected: str, got: Any = None) -> None:
        self.parameter, self.problem, self.expected, self.got = parameter, problem, expected, got
        super().__init__(f"{parameter}: {problem}")

    def body(self) -> dict[str, Any]:
        out = {"error": self.problem, "parameter": self.parameter, "expected": self.expected}
        if self.got is not None:
            out["got"] = str(self.got)[:_MAX_LEN]
        return out


@dataclass(frozen=True)
class Param:
    """One query parameter of an endpoint."""

    name: str
    kind: Kind
    description: str
    repeat: bool = False
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None

    def expected(self) -> str:
        if self.kind == "region":
            return "a 6-digit region code (adcode), one of " + ", ".join(REGIONS)
        if self.kind == "datetime":
            return "an ISO 8601 date or date-time in China Standard Time, e.g. 2026-07-15 or 2026-07-15T08:00"
        if self.kind == "int":
            return f"a whole number from {self.minimum} to {self.maximum}"
        if self.kind == "enum":
            return "one of " + ", ".join(self.enum)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "id":
            return "an identifier of letters, digits, Chinese characters and _ . : - (at most 80)"
        return f"text of at most {_MAX_LEN} characters"

    def schema(self) -> dict[str, Any]:
        base: dict[str, Any]
        if self.kind == "int":
            base = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        elif self.kind == "datetime":
            base = {"type": "string", "format": "date-time"}
        elif self.kind == "region":
            base = {"type": "string", "enum": list(REGIONS)}
        elif self.kind == "enum":
            base = {"type": "string", "enum": list(self.enum)}
        elif self.kind == "bool":
            base = {"type": "boolean"}
        else:
            base = {"type": "string", "maxLength": 80 if self.kind == "id" else _MAX_LEN}
        if self.default is not None:
            base["default"] = self.default
        return {"type": "array", "items": base} if self.repeat else base

    def openapi(self) -> dict[str, Any]:
        doc = {"name": self.name, "in": "query", "required": self.required, "description": self.description,
               "schema": self.schema()}
        if self.repeat:
            doc.update(style="form", explode=True)
        return doc

    def convert(self, raw: str) -> Any:
        bad = ParamError(self.name, "invalid parameter value", self.expected(), raw)
        if len(raw) > _MAX_LEN or "\x00" in raw:
            raise bad
        if self.kind == "int":
            if not re.fullmatch(r"-?\d{1,12}", raw.strip()):
                raise bad
            v = int(raw)
            if (self.minimum is not None and v < self.minimum) or (self.maximum is not None and v > self.maximum):
                raise bad
            return v
        if self.kind == "datetime":
            try:
                v = datetime.fromisoformat(raw.strip())
            except ValueError:
                raise bad from None
            if v.tzinfo is not None:
                from datetime import timedelta, timezone

                v = v.astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
            if not 1900 <= v.year <= 2100:
                raise bad
            return v
        if self.kind == "region":
            if raw not in REGIONS:
                raise bad
            return raw
        if self.kind == "enum":
            if raw not in self.enum:
                raise bad
            return raw
        if self.kind == "bool":
            if raw.lower() not in ("true", "false", "1", "0"):
                raise bad
            return raw.lower() in ("true", "1")
        if self.kind == "id" and not _ID.match(raw):
            raise bad
        return raw


def parse(args: MultiDict, params: list[Param]) -> dict[str, Any]:
    """Validate request args against ``params``; return converted values (lists for repeats)."""
    known = {p.name: p for p in params}
    for name in args:
        if name not in known:
            raise ParamError(name, "unknown parameter", "one of: " + ", ".join(known) if known else "no parameters")
    out: dict[str, Any] = {}
    for p in params:
        values = args.getlist(p.name)
        if not values:
            if p.required:
                raise ParamError(p.name, "missing required parameter", p.expected())
            out[p.name] = [] if p.repeat else p.default
            continue
        if not p.repeat and len(values) > 1:
            raise ParamError(p.name, "parameter given more than once", p.expected())
        if p.repeat and len(values) > 50:
            raise ParamError(p.name, "too many values", "at most 50 values")
        conv = [p.convert(v) for v in values]
        out[p.name] = conv if p.repeat else conv[0]
    return out
