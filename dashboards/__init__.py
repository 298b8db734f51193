"""Built-in dashboard modules: one sub-package each, exposing ``MODULE`` (see citybrain.registry)."""
