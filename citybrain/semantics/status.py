"""Status of a value against its thresholds: the one rule, its colours, icons and words.

The rule (stated once, tested with property-based tests in tests/citybrain/test_semantics.py):

- ``direction == "down"`` (higher is worse: water level, congestion, overdue cases):
  ``value >= alarm`` → alarm, else ``value >= warn`` → warning, else normal. Reaching a threshold
  (警戒水位 reached) is already the worse band.
- ``direction == "up"`` (lower is worse: coverage, reserve ratio): ``value < alarm`` → alarm, else
  ``value < warn`` → warning, else normal. Meeting a threshold (达标) is acceptable.
- ``direction == "none"`` behaves as ``"down"`` when thresholds are given.
- no threshold at all → ``none``; a missing value (None/NaN) → ``nodata``.

Each threshold may be a scalar or an array as long as the values (per-entity levels such as a
station's own warning level); a missing threshold (None/NaN) is not applied.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from citybrain.i18n import label as vocab

#: Every status a value can have, worst last among the judged ones.
STATUSES = ("normal", "warning", "alarm", "none", "nodata")
#: Statuses that put an item into the alarm set.
RAISED = ("warning", "alarm")
#: Screen colours (assets/citybrain.css uses the same: --cb-normal, --cb-warning, --cb-alarm).
COLOURS = {"normal": "#2ecc71", "warning": "#f5b400", "alarm": "#ff4d4f", "none": "#8fb3d1", "nodata": "#6b7f95"}
#: Status is never colour alone: every status has an icon (and a word, ``word``).
ICONS = {"normal": "●", "warning": "▲", "alarm": "■", "none": "○", "nodata": "—"}
#: Sort rank: alarms first.
RANK = {"alarm": 0, "warning": 1, "normal": 2, "none": 3, "nodata": 4}

def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x))


def status(value: Any, warn: Any, alarm: Any, direction: str = "down") -> str:
    """The status of one value (see the module docstring for the rule)."""
    if _missing(value):
        return "nodata"
    w = None if _missing(warn) else float(warn)
    a = None if _missing(alarm) else float(alarm)
    if w is None and a is None:
        return "none"
    v = float(value)
    if direction == "up":
        if a is not None and v < a:
            return "alarm"
        return "warning" if w is not None and v < w else "normal"
    if a is not None and v >= a:
        return "alarm"
    return "warning" if w is not None and v >= w else "normal"


def classify(values: Any, warn: Any, alarm: Any, direction: str = "down", missing: str = "nodata") -> np.ndarray:
    """``status`` of each value, vectorised (thresholds scalar or per value).

    ``missing`` is what a missing value becomes (``nodata`` by default; the map draws such places
    with the ``none`` look). An element whose thresholds are both missing is ``none``."""
    v = np.asarray(values, dtype="float64")
    n = v.shape
    w = np.broadcast_to(np.asarray(np.nan if warn is None else warn, dtype="float64"), n)
    a = np.broadcast_to(np.asarray(np.nan if alarm is None else alarm, dtype="float64"), n)
    out = np.full(n, "normal", dtype=object)
    with np.errstate(invalid="ignore"):
        if direction == "up":
            out[v < w] = "warning"
            out[v < a] = "alarm"
        else:
            out[v >= w] = "warning"
            out[v >= a] = "alarm"
    out[np.isnan(w) & np.isnan(a)] = "none"
    out[np.isnan(v)] = missing
    return out


def word(st: str, lang: str) -> str:
    """The status as a word, e.g. 预警 / warning."""
    return vocab("status", st, lang)


def label(st: str, lang: str) -> str:
    """Icon and word of a status, e.g. '▲ 预警'."""
    return f"{ICONS.get(st, ICONS['none'])} {word(st, lang)}"


def colour(st: str) -> str:
    """The screen colour of a status."""
    return COLOURS.get(st, COLOURS["none"])
