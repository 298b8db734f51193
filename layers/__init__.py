"""One-map layers: one module per layer (see citybrain.layers contract)."""
