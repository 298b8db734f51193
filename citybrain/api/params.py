"""Declared request parameters: one spec drives validation, error messages and the OpenAPI document.

Every parameter from a request is checked against its spec; an unknown parameter or a bad value
raises ``ParamError`` (400 with a JSON body naming the parameter and the allowed form). The same
spec gives the OpenAPI schema: lengths, patterns, enums, bounds and the order of a time range
(``Param.before``) are declared exactly as they are enforced. Values reach SQL only as bound
parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from werkzeug.datastructures import MultiDict

from citybrain.regions import REGIONS

Kind = Literal["string", "int", "datetime", "region", "enum", "id", "bool"]
_ID_LEN = 80
_MAX_LEN = 200
#: Patterns of the kinds that have one, written so that Python and ECMA-262 (OpenAPI) read them alike.
PATTERNS: dict[str, str] = {
    "id": r"^[A-Za-z0-9_.:\-\u4e00-\u9fff]{1,80}$",
    "region": r"^[0-9]{6}$",
    "datetime": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$",
    "int": r"^-?[0-9]{1,12}$",
}
_COMPILED = {k: re.compile(v) for k, v in PATTERNS.items()}
_YEARS = (1900, 2100)


class ParamError(ValueError):
    """A request parameter that is unknown or has a bad value (HTTP 400)."""

    def __init__(self, parameter: str, problem: str, expected: str, got: Any = None) -> None:
        self.parameter, self.problem, self.expected, self.got = parameter, problem, expected, got
        super().__init__(f"{parameter}: {problem}")

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.problem, "parameter": self.parameter[:_ID_LEN],
                               "expected": self.expected}
        if self.got is not None:
            out["got"] = str(self.got)[:_MAX_LEN]
        if self.others:
            out["parameters"] = [self.parameter[:_ID_LEN], *self.others]
        return out

    #: Further parameters the problem involves (e.g. both ends of a time range).
    others: tuple[str, ...] = ()


class RangeError(ParamError):
    """Two parameters that are each valid but out of order (``from`` not before ``to``)."""

    def __init__(self, lo: str, hi: str, got: str) -> None:
        super().__init__(lo, f"{lo} must be earlier than {hi}", f"{lo} < {hi} ({hi} is exclusive)", got)
        self.others = (hi,)


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
    #: The name of a parameter this one must be less than (a time range's ``from`` → ``to``).
    before: str | None = None

    def expected(self) -> str:
        if self.kind == "region":
            return "a 6-digit region code (adcode), one of " + ", ".join(REGIONS)
        if self.kind == "datetime":
            order = f", earlier than {self.before}" if self.before else ""
            return ("an ISO 8601 date or date-time in China Standard Time, e.g. 2026-07-15 or 2026-07-15T08:00, "
                    f"years {_YEARS[0]}–{_YEARS[1]}{order}")
        if self.kind == "int":
            return f"a whole number from {self.minimum} to {self.maximum}"
        if self.kind == "enum":
            return "one of " + ", ".join(self.enum)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "id":
            return f"an identifier of letters, digits, Chinese characters and _ . : - (at most {_ID_LEN})"
        return f"text of at most {_MAX_LEN} characters"

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the values ``convert`` accepts (as an OpenAPI 3.0 schema object)."""
        base: dict[str, Any]
        if self.kind == "int":
            base = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        elif self.kind == "region":
            base = {"type": "string", "enum": list(REGIONS), "pattern": PATTERNS["region"]}
        elif self.kind == "enum":
            base = {"type": "string", "enum": list(self.enum)}
        elif self.kind == "bool":
            base = {"type": "boolean"}
        else:
            base = {"type": "string", "maxLength": _ID_LEN if self.kind == "id" else _MAX_LEN}
            if self.kind in PATTERNS:
                base["pattern"] = PATTERNS[self.kind]
        if self.default is not None:
            base["default"] = self.default
        if self.repeat:
            return {"type": "array", "items": base, "maxItems": MAX_REPEAT}
        return base

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI parameter object (a ``before`` rule is stated and given as ``x-before``)."""
        doc: dict[str, Any] = {"name": self.name, "in": "query", "required": self.required,
                               "description": self.description, "schema": self.schema()}
        if self.before:
            doc["description"] += f" Must be earlier than `{self.before}` (else 400 naming both)."
            doc["x-before"] = self.before
        if self.repeat:
            doc.update(style="form", explode=True)
        return doc

    def convert(self, raw: str) -> Any:
        """The value of one raw query string value, or ``ParamError``."""
        bad = ParamError(self.name, "invalid parameter value", self.expected(), raw)
        if len(raw) > _MAX_LEN or "\x00" in raw:
            raise bad
        pattern = _COMPILED.get(self.kind)
        if pattern is not None and not pattern.match(raw):
            raise bad
        if self.kind == "int":
            v = int(raw)
            if (self.minimum is not None and v < self.minimum) or (self.maximum is not None and v > self.maximum):
                raise bad
            return v
        if self.kind == "datetime":
            try:
                v = datetime.fromisoformat(raw)
                if v.tzinfo is not None:
                    v = v.astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
            except (ValueError, OverflowError):
                raise bad from None
            if not _YEARS[0] <= v.year <= _YEARS[1]:
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
        return raw


MAX_REPEAT = 50


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
        if p.repeat and len(values) > MAX_REPEAT:
            raise ParamError(p.name, "too many values", f"at most {MAX_REPEAT} values")
        conv = [p.convert(v) for v in values]
        out[p.name] = conv if p.repeat else conv[0]
    for p in params:
        hi = out.get(p.before) if p.before else None
        if out[p.name] is not None and hi is not None and not out[p.name] < hi:
            raise RangeError(p.name, p.before, f"{p.name}={out[p.name]} {p.before}={hi}")  # type: ignore[arg-type]
    return out
