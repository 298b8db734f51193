"""The registered one-map layers, in drawing order (boundaries first, under everything)."""

from __future__ import annotations

import hashlib
import importlib
import pickle
from typing import Any

from .base import Layer

#: Layer modules, each exposing ``LAYER``; drawing order.
LAYER_MODULES = ("boundaries", "water", "traffic", "emergency", "fisheries", "workorders")
_layers: dict[str, Layer] | None = None


def all_layers() -> list[Layer]:
    """Every registered layer, in drawing order; ids are unique."""
    global _layers
    if _layers is None:
        found: dict[str, Layer] = {}
        for name in LAYER_MODULES:
            layer = importlib.import_module(f"layers.{name}").LAYER
            if layer.id in found:
                raise ValueError(f"two layers share the id {layer.id!r}")
            found[layer.id] = layer
        _layers = found
    return list(_layers.values())


def get(layer_id: str) -> Layer:
    """The layer with this id (``KeyError`` if none)."""
    all_layers()
    assert _layers is not None
    return _layers[layer_id]


def layer_ids() -> list[str]:
    return [la.id for la in all_layers()]


from citybrain.cache import cached_query  # noqa: E402


@cached_query
def _features(store, layer_id: str, region: str, at, window_h: float = 24.0, track_id: str | None = None):
    from .base import LayerContext

    return get(layer_id).features(LayerContext(store=store, region=region, at=at, window_h=window_h, track_id=track_id))


def cached_features(store, layer_id: str, region: str, at, window_h: float = 24.0, track_id: str | None = None):
    """A layer's features for a region and time, memoised by the versions of what they read (the replay
    revisits times); a live layer's (``Layer.live``: read from the operational database) are read on every call."""
    fn = _features.uncached if get(layer_id).live else _features  # type: ignore[attr-defined]
    return fn(store, layer_id, region, at, window_h, track_id)


def trace_digest(trace: dict[str, Any]) -> str:
    """A short hash of a trace's content (the page re-sends only traces whose hash changed).

    Hashes the pickled dict (a memory copy of its big base64 strings) rather than its JSON (a scan of
    every character); the same content always gives the same digest."""
    return hashlib.blake2b(pickle.dumps(trace, protocol=5), digest_size=8).hexdigest()


def cached_traces(store, layer_id: str, region: str, at, window_h: float, track_id: str | None, lang: str,
                  sublayers: tuple[str, ...], compact: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """A layer's traces as JSON-ready dicts and their digests, memoised by the versions of what they read
    and by everything they depend on (region, time, window, typhoon track, language, sub-layers, compact); a live layer's
    are drawn on every call."""
    fn = _traces.uncached if get(layer_id).live else _traces  # type: ignore[attr-defined]
    return fn(store, layer_id, region, at, window_h, track_id, lang, sublayers, compact)


@cached_query
def _traces(store, layer_id: str, region: str, at, window_h: float, track_id: str | None, lang: str,
            sublayers: tuple[str, ...], compact: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    from .base import LayerContext

    layer = get(layer_id)
    ctx = LayerContext(store=store, region=region, at=at, window_h=window_h, track_id=track_id)
    feats = cached_features(store, layer_id, region, at, window_h, track_id)
    traces = layer.traces(ctx, feats, lang, list(sublayers), compact)
    return traces, [trace_digest(t) for t in traces]


@cached_query
def cached_map_layers(store, layer_id: str, region: str, at) -> list[dict[str, Any]]:
    """A layer's MapLibre GeoJSON layers (the boundaries' simplified land) for a region, memoised by what
    they read (they depend on the region only: the slider moving never rebuilds them)."""
    from .base import LayerContext

    return get(layer_id).map_layers(LayerContext(store=store, region=region, at=at))
