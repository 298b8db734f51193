"""The body of a Dash callback request (``POST /_dash-update-component``), read defensively.

``parse`` returns a ``CallbackRequest`` only for a body of the shape the Dash renderer sends (an
object naming a registered callback's ``output``, lists of ``{id, property[, value]}`` items, or
lists of those for pattern-matching inputs); anything else is ``None`` and the guard answers 400,
so a crafted body never reaches Dash's dispatcher.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

#: Largest callback body read (the map's trace bookkeeping is the biggest real one).
MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class CallbackRequest:
    """The output key and the inputs of one callback request."""

    output: str
    inputs: list[Any]

    def input_value(self, component_id: str, prop: str) -> str | None:
        """The value of input ``component_id.prop`` (a string, else None)."""
        for item in self.inputs:
            if isinstance(item, dict) and item.get("id") == component_id and item.get("property") == prop:
                v = item.get("value")
                return v if isinstance(v, str) else None
        return None


def _item_ok(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("property"), str)
            and isinstance(item.get("id"), (str, dict)))


def _items_ok(items: Any) -> bool:
    if not isinstance(items, list):
        return False
    return all(_item_ok(i) or (isinstance(i, list) and all(_item_ok(j) for j in i)) for i in items)


def parse(raw: bytes, known: set[str] | dict[str, Any]) -> CallbackRequest | None:
    """The callback request in ``raw``, or None if it is not a well-formed call of a ``known`` key."""
    if len(raw) > MAX_BODY:
        return None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    output = body.get("output")
    if not isinstance(output, str) or output not in known:
        return None
    outputs = body.get("outputs", [])
    if not (_item_ok(outputs) or _items_ok(outputs)):
        return None
    inputs, state = body.get("inputs", []), body.get("state", [])
    if not (_items_ok(inputs) and _items_ok(state)):
        return None
    changed = body.get("changedPropIds", [])
    if not (isinstance(changed, list) and all(isinstance(c, str) for c in changed)):
        return None
    return CallbackRequest(output, inputs)
