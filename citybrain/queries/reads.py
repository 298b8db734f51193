"""What the cached queries read, as facets (``citybrain.store.facets``), for their declarations.

A query of observations of some indicators reads the rows of the datasets that own them (a feed may
only send its own dataset's indicators: ``citybrain.feeds.check``), so a water push leaves the traffic
queries cached. ``ENTITIES``, ``TRACKS``, ``EVENTS`` and ``OBSERVATIONS`` name a whole table (any
dataset): tracks of vessels, for one, may come from any dataset's feed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from citybrain.store import facets
from citybrain.store.read import unobserved

ENTITIES, TRACKS, EVENTS, OBSERVATIONS = "entities", "tracks", "events", "observations"
ANCHOR = facets.ANCHOR
#: Dimension tables only (regions, basemap, indicators, datasets, coverage, targets): a build changes them.
DIMENSIONS: tuple[str, ...] = ()

_OWNERS: dict[tuple[str, str], dict[str, str]] = {}


def _owners(store: Any) -> dict[str, str]:
    """Indicator id → its dataset, once per build of the store in this process."""
    key = (str(store.path), store.facet("base"))
    hit = _OWNERS.get(key)
    if hit is None:
        with unobserved():  # bookkeeping: which facets a query will read
            hit = dict(store.df("SELECT indicator_id, dataset FROM indicators").itertuples(index=False, name=None))
        _OWNERS.clear()
        _OWNERS[key] = hit
    return hit


def observations_of(store: Any, ids: Iterable[str], *more: str) -> tuple[str, ...]:
    """The facets of the observations of indicators ``ids`` (an unknown one: every dataset's), and ``more``."""
    owners = _owners(store)
    out = {f"{OBSERVATIONS}:{owners[i]}" if i in owners else OBSERVATIONS for i in ids}
    return tuple(sorted(out)) + more


def by_dataset(store: Any, ids: Iterable[str]) -> list[tuple[str | None, tuple[str, ...]]]:
    """``ids`` grouped by the dataset that owns them, datasets in name order; indicators no dataset owns
    come last, under None. A query asked per group re-reads only the group a batch changed."""
    owners = _owners(store)
    groups: dict[str | None, list[str]] = {}
    for i in ids:
        groups.setdefault(owners.get(i), []).append(i)
    return sorted(((d, tuple(g)) for d, g in groups.items()), key=lambda dg: (dg[0] is None, dg[0] or ""))


def indicators_of(store: Any, dataset: str) -> tuple[str, ...]:
    """Every indicator ``dataset`` owns, sorted."""
    return tuple(sorted(i for i, d in _owners(store).items() if d == dataset))


def events_of(dataset: str) -> str:
    """The facet of one dataset's events."""
    return f"{EVENTS}:{dataset}"
