"""The registered one-map layers, in drawing order (boundaries first, under everything)."""

from __future__ import annotations

import importlib

from .base import Layer

#: Layer modules, each exposing ``LAYER``; drawing order.
LAYER_MODULES = ("boundaries", "water", "traffic", "emergency", "fisheries")
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
def cached_features(store, layer_id: str, region: str, at, window_h: float = 24.0, track_id: str | None = None):
    """A layer's features for a region and time, memoised by data version (the replay revisits times)."""
    from .base import LayerContext

    return get(layer_id).features(LayerContext(store=store, region=region, at=at, window_h=window_h, track_id=track_id))
