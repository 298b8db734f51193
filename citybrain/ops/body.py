"""JSON request bodies: declared fields, each checked; a bad body is a 400 naming the field.

The same ``ParamError`` as query parameters (``citybrain.api.params``), so every 400 of the API has
one shape: ``{"error", "parameter", "expected", "got"}``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from citybrain.api.params import PATTERNS, ParamError
from citybrain.regions import REGIONS

MAX_TEXT = 2000
_ID = re.compile(PATTERNS["id"])
_TIME = re.compile(PATTERNS["datetime"])
_CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Field:
    """One field of a JSON body."""

    name: str
    kind: str  # text | int | float | enum | region | id | datetime
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_len: int = MAX_TEXT

    def expected(self) -> str:
        if self.kind == "enum":
            return "one of " + ", ".join(self.enum)
        if self.kind == "region":
            return "a 6-digit region code (adcode), one of " + ", ".join(REGIONS)
        if self.kind in ("int", "float"):
            whole = "a whole number" if self.kind == "int" else "a number"
            return f"{whole} from {self.minimum:g} to {self.maximum:g}"
        if self.kind == "id":
            return "an identifier of letters, digits, Chinese characters and _ . : - (at most 80)"
        if self.kind == "datetime":
            return "a date and time in ISO 8601, China Standard Time (e.g. 2026-12-02T08:00)"
        return f"non-empty text of at most {self.max_len} characters"

    def schema(self) -> dict[str, Any]:
        """The field's OpenAPI 3.0 schema."""
        if self.kind == "enum":
            return {"type": "string", "enum": list(self.enum)}
        if self.kind == "region":
            return {"type": "string", "enum": list(REGIONS)}
        if self.kind in ("int", "float"):
            return {"type": "integer" if self.kind == "int" else "number", "minimum": self.minimum,
                    "maximum": self.maximum}
        if self.kind == "id":
            return {"type": "string", "pattern": PATTERNS["id"], "maxLength": 80}
        if self.kind == "datetime":
            return {"type": "string", "format": "date-time", "pattern": PATTERNS["datetime"]}
        return {"type": "string", "minLength": 1, "maxLength": self.max_len}

    def convert(self, v: Any) -> Any:
        bad = ParamError(self.name, "invalid field value", self.expected(), v)
        if self.kind in ("int", "float"):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
                raise bad
            if self.kind == "int" and not (isinstance(v, int) or float(v).is_integer()):
                raise bad
            if not self.minimum <= v <= self.maximum:  # type: ignore[operator]
                raise bad
            return int(v) if self.kind == "int" else float(v)
        if not isinstance(v, str) or "\x00" in v:
            raise bad
        if self.kind == "enum" and v not in self.enum:
            raise bad
        if self.kind == "region" and v not in REGIONS:
            raise bad
        if self.kind == "id" and not _ID.match(v):
            raise bad
        if self.kind == "datetime":
            return _datetime(v, bad)
        if self.kind == "text" and (not v.strip() or len(v) > self.max_len):
            raise bad
        return v.strip() if self.kind == "text" else v


def _datetime(v: str, bad: ParamError) -> datetime:
    """An ISO 8601 time as naive China Standard Time (a zone, if given, converted), or ``bad``."""
    if len(v) > 40 or not _TIME.match(v):
        raise bad
    try:
        out = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise bad from None
    if out.tzinfo is not None:
        out = out.astimezone(_CST).replace(tzinfo=None)
    if not 1900 <= out.year <= 2100:
        raise bad
    return out


def parse_body(data: Any, fields: list[Field]) -> dict[str, Any]:
    """The converted fields of a JSON body (absent optional fields are None), or ``ParamError``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamError("body", "the body must be a JSON object", "a JSON object with fields "
                         + ", ".join(f.name for f in fields))
    known = {f.name: f for f in fields}
    for k in data:
        if k not in known:
            raise ParamError(str(k), "unknown field", "one of: " + ", ".join(known) if known else "no fields")
    out: dict[str, Any] = {}
    for f in fields:
        v = data.get(f.name)
        if v is None:
            if f.required:
                raise ParamError(f.name, "missing required field", f.expected())
            out[f.name] = None
            continue
        out[f.name] = f.convert(v)
    return out


def openapi_body(fields: list[Field]) -> dict[str, Any]:
    """The OpenAPI requestBody of a JSON body of ``fields``."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": {f.name: f.schema() for f in fields}}
    req = [f.name for f in fields if f.required]
    if req:
        schema["required"] = req
    return {"required": bool(req), "content": {"application/json": {"schema": schema}}}
