"""Fixtures of the feed tests: a small real store with water, vessels and incidents, copied per test."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from citybrain.settings import PROJECT_ROOT, Settings
from citybrain.store.build import build_store
from tests.conftest import TEST_ANCHOR, make_settings

DATASETS = ("boundaries", "water", "fisheries", "emergency")
#: Real ids of the template store (seeded generators; fixed anchor).
VESSELS = ("浙岱渔X18537", "浙嵊渔X66758")
OPEN_INCIDENT = "EM-370215-20260612-0060"  # resolved at the anchor
DEPOT = "EM-JM-DP01"


@pytest.fixture(scope="session")
def feeds_template(tmp_path_factory) -> Path:
    """The store built once from the real boundaries, water, fisheries and emergency datasets."""
    root = tmp_path_factory.mktemp("feeds_template")
    for name in DATASETS:
        shutil.copytree(PROJECT_ROOT / "datasets" / name, root / "datasets" / name)
    build_store(make_settings(root / "db", datasets_dir=root / "datasets"), progress=False)
    return root


@pytest.fixture
def store(feeds_template, tmp_path) -> Settings:
    """Settings of a private copy of the template store."""
    shutil.copytree(feeds_template / "db", tmp_path / "db", symlinks=True)
    return make_settings(tmp_path / "db", datasets_dir=feeds_template / "datasets")


def at(minutes: int) -> str:
    """ISO time ``minutes`` after the store's now."""
    return (TEST_ANCHOR + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S")


def obs_csv(minutes: int = 5, value: float = 31.5) -> str:
    return ("indicator_id,region_code,entity_id,ts,value,quality\n"
            f"water_level,330225,WS-330225-01,{at(minutes)},{value},good\n"
            f"water_level,330225,WS-330225-02,{at(minutes)},{value + 1},good\n")


def tracks_csv(minutes: int = 5) -> str:
    return ("id,ts,lon,lat,speed,heading,status\n"
            f"{VESSELS[0]},{at(minutes)},123.03,30.21,9.5,100,at_sea\n"
            f"{VESSELS[1]},{at(minutes)},123.23,30.49,7.4,278,at_sea\n")


def events_ndjson(event_id: str = "FEED-EV-1", minutes: int = 3) -> str:
    return (f'{{"event_id":"{OPEN_INCIDENT}","ts":"{at(minutes)}","status":"closed"}}\n'
            f'{{"event_id":"{event_id}","ts":"{at(minutes)}","status":"reported","kind":"fire",'
            '"region_code":"330225","title_zh":"测试火情","severity":"general","lon":121.87,"lat":29.48,'
            '"reporter_name":"张三"}\n'
            f'{{"event_id":"{event_id}","ts":"{at(minutes + 2)}","status":"dispatched"}}\n')


def entities_csv() -> str:
    return ('entity_id,kind,name_zh,region_code,lon,lat,properties\n'
            f'{DEPOT},,,,,,"{{""level"": ""市级""}}"\n'
            'FEED-SHELTER-1,shelter,新避灾点,330225,121.88,29.47,"{""capacity"": 300}"\n')


#: One good feed per kind: (dataset, kind, body, format).
GOOD = {
    "observations": ("water", obs_csv(), "csv"),
    "tracks": ("fisheries", tracks_csv(), "csv"),
    "events": ("emergency", events_ndjson(), "ndjson"),
    "entities": ("emergency", entities_csv(), "csv"),
}


def stored(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb

    from citybrain.feeds.pipeline import READ_CONFIG

    try:
        con = duckdb.connect(str(settings.db), read_only=True)
    except duckdb.ConnectionException:  # an in-process subscriber has the file open with its settings
        con = duckdb.connect(str(settings.db), read_only=True, config=READ_CONFIG)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def effect(settings: Settings, kind: str) -> list[tuple]:
    """What a good feed of ``kind`` changes, as rows (empty before it is ingested)."""
    q = {"observations": "SELECT entity_id, value FROM observations WHERE ts = ? ORDER BY 1",
         "tracks": "SELECT track_id, speed_kn FROM tracks WHERE ts = ? ORDER BY 1",
         "events": "SELECT event_id, status FROM events WHERE event_id = 'FEED-EV-1' OR closed_at = ? ORDER BY 1",
         "entities": "SELECT entity_id, properties->>'level' FROM entities WHERE entity_id = 'FEED-SHELTER-1' "
                     "OR (entity_id = ? AND properties->>'level' = '市级') ORDER BY 1"}[kind]
    param = {"observations": datetime.fromisoformat(at(5)), "tracks": datetime.fromisoformat(at(5)),
             "events": datetime.fromisoformat(at(3)), "entities": DEPOT}[kind]
    return stored(settings, q, [param])


EXPECTED = {
    "observations": [("WS-330225-01", 31.5), ("WS-330225-02", 32.5)],
    "tracks": [(VESSELS[0], 9.5), (VESSELS[1], 7.400000095367432)],
    "events": [(OPEN_INCIDENT, "closed"), ("FEED-EV-1", "dispatched")],
    "entities": [(DEPOT, "市级"), ("FEED-SHELTER-1", None)],
}
