"""Bytes of the one-map figure as the browser receives it (JSON), per region: the /map page's
full figure and the compact one of the cockpit panel and the wall, and how much of it is the
basemap (land around the region, coarse coast, labels).

Usage: ``CITYBRAIN_DB=... python -m bench.bench_map_payload``.
"""

from __future__ import annotations

import json

from plotly.io.json import to_json_plotly

from bench.appctx import app_context
from citybrain.regions import TOP_REGIONS
from citybrain.settings import Settings
from citybrain.store import get_store
from layers.figure import map_figure_dict

LAYERS = ["boundaries", "traffic", "fisheries", "water", "emergency"]


def basemap_bytes(fig: dict) -> int:
    """Bytes of the basemap part of a figure (map layers whose id starts with 'basemap', labels)."""
    lay = fig["layout"]["map"]
    n = sum(len(json.dumps(x, ensure_ascii=False).encode()) for x in lay.get("layers", [])
            if str(x.get("name", "")).startswith("basemap"))
    return n + len(json.dumps(fig["layout"].get("meta", {}), ensure_ascii=False).encode())


def main() -> None:
    settings = Settings()
    store = get_store(settings.db)
    with app_context(settings, store):
        print(f"{'region':8} {'page':>10} {'compact':>10} {'basemap':>10}")
        tot = [0, 0, 0]
        for region in TOP_REGIONS:
            full = map_figure_dict(region, LAYERS, None, "zh", store=store)
            comp = map_figure_dict(region, LAYERS, None, "zh", compact=True, store=store)
            a, b = len(to_json_plotly(full).encode()), len(to_json_plotly(comp).encode())
            c = basemap_bytes(full)
            tot = [tot[0] + a, tot[1] + b, tot[2] + c]
            print(f"{region:8} {a:10d} {b:10d} {c:10d}")
        print(f"{'total':8} {tot[0]:10d} {tot[1]:10d} {tot[2]:10d}")


if __name__ == "__main__":
    main()
