"""Shared fixtures: settings pointing at temp dirs, tiny probe datasets, a real built store."""

from __future__ import annotations

import contextlib
import shutil
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from citybrain.settings import PROJECT_ROOT, Settings

#: The fixed "now" of every test store: a summer day inside the fishing moratorium.
TEST_ANCHOR = datetime(2026, 7, 15, 12, 0)


#: Header SSO as the duty-room tests use it: a gateway on loopback that sets the role header itself
#: (operators opt in to trusting it; see README "Security").
GATEWAY = {"trusted_proxies": ["127.0.0.1", "::1"], "sso_trust_role_header": True}


def make_settings(tmp: Path, **kw) -> Settings:
    base = dict(db=tmp / "store.duckdb", cache="simple",
                cache_dir=tmp / "cache", sim_anchor=TEST_ANCHOR)
    base.update(kw)
    return Settings(**base)


PROBE_MANIFEST = textwrap.dedent("""\
    name: probe
    title_zh: 探针数据集
    title_en: Probe dataset
    description_zh: 测试用。
    description_en: For tests.
    domain: traffic
    source: tests
    licence: CC0
    provenance: written by the test
    crs: WGS-84
    cadence: 1h
    owner_zh: 测试
    owner_en: Tests
    classification: public
    simulated: "yes"
    depends_on: [boundaries]
    regions: ["330225"]
    files:
      - path: data/points.csv
        format: csv
        key: [id]
        lon: lon
        lat: lat
        region_field: region_code
        fields:
          - {name: id, type: string}
          - {name: region_code, type: string}
          - {name: lon, type: float, unit: "°"}
          - {name: lat, type: float, unit: "°"}
          - {name: ts, type: datetime}
          - {name: value, type: float, unit: 辆/时, min: 0}
      - path: data/shapes.geojson
        format: geojson
        key: [id]
        fields:
          - {name: id, type: string}
    indicators:
      - {id: probe_flow, name_zh: 探针流量, name_en: Probe flow, unit: 辆/时, frequency: 1h}
    """)

PROBE_LOADER = textwrap.dedent("""\
    import os, time
    import pandas as pd
    def load(ctx):
        pts = ctx.read("data/points.csv")
        ctx.read("data/shapes.geojson")
        delay = float(os.environ.get("PROBE_SLEEP", "0"))
        if delay:
            print("PROBE_LOADING", flush=True)
            time.sleep(delay)
        ctx.emit("observations", pd.DataFrame({
            "indicator_id": "probe_flow", "region_code": pts["region_code"], "entity_id": pts["id"],
            "ts": pts["ts"], "value": pts["value"], "quality": "good", "simulated": True}))
    """)

GOOD_POINTS = ("id,region_code,lon,lat,ts,value\n"
               "p1,330225,121.87,29.48,2026-07-15T10:00:00,120\n"
               "p2,330225,121.95,29.20,2026-07-15T11:00:00,80.5\n")

GOOD_SHAPES = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"s1"},'
               '"geometry":{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.4],[121.9,29.5],[121.8,29.4]]]}}]}')


@pytest.fixture
def probe_datasets(tmp_path: Path) -> Path:
    """A datasets folder holding the real boundaries and a small 'probe' dataset to break."""
    root = tmp_path / "datasets"
    shutil.copytree(PROJECT_ROOT / "datasets" / "boundaries", root / "boundaries")
    probe = root / "probe"
    (probe / "data").mkdir(parents=True)
    (probe / "manifest.yaml").write_text(PROBE_MANIFEST, encoding="utf-8")
    (probe / "loader.py").write_text(PROBE_LOADER, encoding="utf-8")
    (probe / "data" / "points.csv").write_text(GOOD_POINTS, encoding="utf-8")
    (probe / "data" / "shapes.geojson").write_text(GOOD_SHAPES, encoding="utf-8")
    return root


@contextlib.contextmanager
def app_context(settings: Settings):
    """Run the block inside an app context of ``settings`` (its own store, cache and clock), as
    requests of ``create_app(settings)`` do; nothing global is set or left behind."""
    from flask import Flask

    from citybrain import context

    server = Flask("citybrain-test")
    ctx = context.build(settings)
    context.install(server, ctx)
    with server.app_context():
        yield ctx


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Settings:
    """The real store built once from every dataset with a fixed anchor and seed."""
    from citybrain.store.build import build_store

    tmp = tmp_path_factory.mktemp("store")
    settings = make_settings(tmp)
    build_store(settings, progress=False)
    return settings
