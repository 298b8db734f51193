"""What the warmer can rebuild: a registry of kinds, each a function of JSON-able arguments.

The code that serves a thing registers how to rebuild it (``register``) and notes each time someone
watches it (``citybrain.warm.notes.note``) with the same arguments; the warmer calls ``run``. A kind's
function only reads (it fills the shared cache as a request would); it must never write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: kind -> the function rebuilding it (code, registered at import, like Dash's callbacks).
_KINDS: dict[str, Callable[..., Any]] = {}


def register(kind: str, rebuild: Callable[..., Any]) -> None:
    """Make ``kind`` rebuildable by ``rebuild(*args)``."""
    _KINDS[kind] = rebuild


def known(kind: str) -> bool:
    return kind in _KINDS


def run(kind: str, args: list[Any]) -> None:
    """Rebuild one noted thing (``KeyError`` for an unknown kind)."""
    _KINDS[kind](*args)
