"""JSON the API answers is valid JSON: a NaN or an infinity becomes null, never the non-standard token.

Flask's default provider writes ``NaN`` for a float NaN (Python's json allows it; JSON does not).
``SafeJSONProvider`` replaces such floats (also numpy's) with None before dumping and refuses any
left (``allow_nan=False``), for every ``jsonify`` of the server.
"""

from __future__ import annotations

import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (at any depth of dicts, lists, tuples) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


class SafeJSONProvider(DefaultJSONProvider):
    """Flask JSON provider that never writes NaN or Infinity."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(finite(obj), **kwargs)

    @staticmethod
    def default(o: Any) -> Any:
        """numpy scalars as Python numbers (NaN as None), then Flask's own conversions."""
        item = getattr(o, "item", None)
        if callable(item) and getattr(o, "shape", None) == ():
            value = item()
            return finite(value)
        return DefaultJSONProvider.default(o)
