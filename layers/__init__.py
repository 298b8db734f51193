"""One-map layers (全市态势一张图): one module per layer, all on the contract of ``layers.base``.

``layers.registry`` lists them; ``layers.figure.map_figure`` draws any of them for a region and a
time (the /map page, the leaders' overview and the wall embed it); ``citybrain.api.layers``
serves each as GeoJSON.
"""
