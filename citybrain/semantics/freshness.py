"""Freshness of a feed against its cadence, measured against the one clock.

A feed is **stale** when its newest row is older than ``STALE_FACTOR`` cadences at the moment the
screen is drawn (``clock()``: the real time in China Standard Time, or the fixed
``CITYBRAIN_CLOCK`` of a replay or a test). A static dataset (no time series) is ``none``. Every
screen (/, /d/*, /map, /wall, /catalog) asks ``dataset_states`` and says stale the same way
(``citybrain.ui.stale_note``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from citybrain.store.files import CST  # China Standard Time, the store's zone (one definition)

#: A feed is stale when its last value is older than this many cadences.
STALE_FACTOR = 2.0


def clock(fixed: datetime | None = None) -> datetime:
    """The moment freshness is judged at: ``fixed`` (settings.clock) or now in CST (naive)."""
    if fixed is not None:
        return fixed
    return datetime.now(CST).replace(tzinfo=None, microsecond=0)


def now() -> datetime:
    """``clock`` with the running app's settings (``citybrain.context``; ``CITYBRAIN_CLOCK``)."""
    from citybrain.context import current

    return clock(current().settings.clock)


#: Icons of the freshness states (never colour alone); ``label`` adds the word.
ICONS = {"fresh": "●", "stale": "◷", "none": "○", "na": "ⓘ"}


def label(state: str, lang: str) -> str:
    """Icon and word of a freshness state, e.g. '◷ 数据超时'."""
    from citybrain.i18n import label as vocab

    return f"{ICONS.get(state, '○')} {vocab('freshness', state, lang)}"


def freshness(last_ts: Any, cadence_s: Any, now: datetime) -> str:
    """'fresh', 'stale' or 'none' (no series): the one rule for every panel, card and catalog row."""
    if last_ts is None or pd.isna(last_ts) or cadence_s is None or pd.isna(cadence_s):
        return "none"
    age = (now - pd.Timestamp(last_ts).to_pydatetime()).total_seconds()
    return "fresh" if age <= STALE_FACTOR * float(cadence_s) else "stale"


def dataset_states(store: Any, region: str, now: datetime) -> dict[str, dict[str, Any]]:
    """Per dataset of ``region``: ``state`` (fresh/stale/none/na), ``last_ts``, ``cadence_s``.

    ``na``: the dataset does not apply to the region (``scope.coverage_map``)."""
    from citybrain.queries import kpi as qk
    from citybrain.semantics import scope

    applies = scope.coverage_map(store, region)
    out: dict[str, dict[str, Any]] = {}
    for ds, cadence_s, last_ts in zip(*(qk.dataset_last(store, region)[c].tolist()
                                        for c in ("dataset", "cadence_s", "last_ts"))):
        last = None if last_ts is None or pd.isna(last_ts) else pd.Timestamp(last_ts).to_pydatetime()
        state = freshness(last, cadence_s, now) if applies.get(ds, (True, None))[0] else "na"
        out[str(ds)] = {"state": state, "last_ts": last, "cadence_s": cadence_s}
    return out


def stale_datasets(store: Any, region: str, now: datetime, datasets: tuple[str, ...] | None = None) -> list[str]:
    """Names of the region's stale datasets (of ``datasets`` when given), sorted."""
    states = dataset_states(store, region, now)
    return sorted(d for d, s in states.items() if s["state"] == "stale" and (datasets is None or d in datasets))
