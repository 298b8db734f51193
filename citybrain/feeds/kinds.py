"""The four feed kinds: which columns a feed of each kind carries, which must be there, its key.

* ``observations``: measurements (→ ``observations``), the columns of ``citybrain ingest`` so far.
* ``tracks``: positions of moving things (→ ``tracks``): ``id, ts, lon, lat, speed, heading`` and
  optionally ``status``, ``kind``, ``region_code`` (default: the entity's).
* ``events``: a new incident, or a state change of a known one, at time ``ts`` (→ ``events``).
* ``entities``: a new place or thing, or changed fields and properties of a known one (→ ``entities``).

A CSV feed has these columns (optional ones may be left out); an NDJSON feed has one JSON object
per line with the same names. Types, ranges and allowed values are checked like a build's files.
"""

from __future__ import annotations

from dataclasses import dataclass

from citybrain.manifest import FieldSpec
from citybrain.store import tables

#: Incident steps in order and the column each sets (``reported`` opens the incident).
EVENT_STEPS = {"reported": "reported_at", "dispatched": "dispatched_at", "on_scene": "on_scene_at",
               "resolved": "resolved_at", "closed": "closed_at"}


@dataclass(frozen=True)
class FeedKind:
    """One kind of feed: its accepted fields, those its header must have, its key and time field."""

    name: str
    table: str
    fields: tuple[FieldSpec, ...]
    required: frozenset[str]
    key: tuple[str, ...]
    time_field: str | None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _f(name: str, type_: str, required: bool = True, **kw) -> FieldSpec:
    return FieldSpec(name=name, type=type_, required=required, **kw)


_LON = dict(min=-180, max=180, unit="°")
_LAT = dict(min=-90, max=90, unit="°")

KINDS: dict[str, FeedKind] = {k.name: k for k in (
    FeedKind("observations", "observations", (
        _f("indicator_id", "string"), _f("region_code", "string"), _f("entity_id", "string", False),
        _f("ts", "datetime", description="China Standard Time"), _f("value", "float"),
        _f("quality", "string", allowed=list(tables.QUALITY)),
    ), frozenset({"indicator_id", "region_code", "entity_id", "ts", "value", "quality"}),
        ("indicator_id", "region_code", "entity_id", "ts"), "ts"),
    FeedKind("tracks", "tracks", (
        _f("id", "string"), _f("ts", "datetime"), _f("lon", "float", **_LON), _f("lat", "float", **_LAT),
        _f("speed", "float", min=0, max=100, unit="kn"), _f("heading", "float", min=0, max=360, unit="°"),
        _f("status", "string", False), _f("kind", "string", False), _f("region_code", "string", False),
    ), frozenset({"id", "ts", "lon", "lat", "speed", "heading"}), ("id", "ts"), "ts"),
    FeedKind("events", "events", (
        _f("event_id", "string"), _f("ts", "datetime"), _f("status", "string", allowed=list(EVENT_STEPS)),
        _f("kind", "string", False), _f("region_code", "string", False), _f("entity_id", "string", False),
        _f("title_zh", "string", False), _f("title_en", "string", False), _f("severity", "string", False),
        _f("lon", "float", False, **_LON), _f("lat", "float", False, **_LAT),
        _f("reporter_name", "string", False), _f("properties", "string", False),
    ), frozenset({"event_id", "ts", "status"}), ("event_id", "status"), "ts"),
    FeedKind("entities", "entities", (
        _f("entity_id", "string"), _f("kind", "string", False), _f("name_zh", "string", False),
        _f("name_en", "string", False), _f("region_code", "string", False),
        _f("lon", "float", False, **_LON), _f("lat", "float", False, **_LAT),
        _f("properties", "string", False), _f("classification", "string", False,
                                              allowed=["public", "internal", "restricted"]),
    ), frozenset({"entity_id"}), ("entity_id",), None),
)}

#: Fields a new event (an incident not yet in the store) must give; a state change needs none.
NEW_EVENT = ("kind", "region_code", "title_zh", "severity", "lon", "lat")
#: Fields a new entity must give; an update needs only ``entity_id`` and what changes.
NEW_ENTITY = ("kind", "name_zh", "region_code", "lon", "lat")


def kind_of(name: str) -> FeedKind:
    """The feed kind called ``name`` (ValueError naming the choices otherwise)."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown feed kind {name!r}: one of {', '.join(KINDS)}") from None
