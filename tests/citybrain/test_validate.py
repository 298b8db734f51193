"""Bad input fails with one message naming dataset, file, row, field; good input loads."""

from __future__ import annotations

import re

import duckdb
import pytest

from citybrain.store.build import build_store
from citybrain.errors import DataError
from tests.conftest import GOOD_POINTS, GOOD_SHAPES, make_settings

HEADER = "id,region_code,lon,lat,ts,value\n"


def _write(root, name, data: bytes | str):
    p = root / "probe" / "data" / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def test_good_probe_builds(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    res = build_store(s, progress=False)
    con = duckdb.connect(str(res.path), read_only=True)
    assert con.execute("select count(*), sum(value) from observations").fetchone() == (2, 200.5)
    assert con.execute("select count(*) from regions").fetchone()[0] == 9


BAD_POINTS = [
    ("missing column", HEADER.replace(",value", "") + "p1,330225,121.87,29.48,2026-07-15T10:00:00\n",
     r"row 1, field value: missing column"),
    ("extra column", HEADER.replace("\n", ",note\n") + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1,x\n",
     r"row 1, field note: unexpected column"),
    ("unparsable number", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,330225,121.9,29.3,2026-07-15T11:00:00,12O\n",
     r"row 3, field value: is not a number .*'12O'"),
    ("unparsable time", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,330225,121.9,29.3,2026-13-45 25:00,2\n",
     r"row 3, field ts: is not an ISO 8601 datetime"),
    ("outside region", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,330225,116.39,39.9,2026-07-15T11:00:00,2\n",
     r"row 3, field lon: coordinates lie outside the row's region"),
    ("projected CRS", HEADER + "p1,330225,13566000.5,3410000.2,2026-07-15T10:00:00,1\n",
     r"row 2, field lon: is not a longitude/latitude in degrees"),
    ("swapped lon/lat", HEADER + "p1,330225,29.48,121.87,2026-07-15T10:00:00,1\n",
     r"row 2, field lon: .*(outside China|not a longitude)"),
    ("duplicate key", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np1,330225,121.9,29.3,2026-07-15T11:00:00,2\n",
     r"row 3, field id: duplicate key \(id='p1'\)"),
    ("truncated", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,330225,121.9",
     r"row 3: file is truncated"),
    ("short record", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,330225,121.9\n",
     r"row 3: has 3 fields, the header has 6"),
    ("wrong encoding", (HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,1\np2,象山,121.9,29.3,2026-07-15T11:00:00,2\n").encode("gbk"),
     r"row 3: not valid UTF-8"),
    ("below minimum", HEADER + "p1,330225,121.87,29.48,2026-07-15T10:00:00,-5\n",
     r"row 2, field value: is below the minimum 0"),
    ("empty required", HEADER + "p1,330225,121.87,29.48,,1\n", r"row 2, field ts: is empty but required"),
    ("unknown region", HEADER + "p1,999999,121.87,29.48,2026-07-15T10:00:00,1\n",
     r"row 2, field region_code: is not a known region code"),
    ("empty file", "", r"file data/points.csv: file is empty"),
]

POLY = '{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.4],[121.9,29.5],[121.8,29.4]]]}'
BAD_SHAPES = [
    ("empty geometry", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"s1"},'
                       '"geometry":{"type":"Polygon","coordinates":[]}}]}', r"row 1, field geometry: geometry is empty"),
    ("invalid geometry", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"s1"},'
                         '"geometry":{"type":"Polygon","coordinates":[[[121.8,29.4],[121.9,29.5],[121.9,29.4],[121.8,29.5],[121.8,29.4]]]}}]}',
     r"row 1, field geometry: geometry is invalid: Self-intersection"),
    ("missing geometry", '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"s1"},"geometry":null}]}',
     r"row 1, field geometry: geometry is missing"),
    ("wrong CRS declared", '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},'
                           '"features":[{"type":"Feature","properties":{"id":"s1"},"geometry":' + POLY + '}]}',
     r"declares CRS 'EPSG:3857' but the manifest says WGS-84"),
    ("truncated json", GOOD_SHAPES[:-20], r"is not valid JSON .*truncated"),
    ("projected coordinates", GOOD_SHAPES.replace("121.8", "13566000").replace("121.9", "13577000"),
     r"row 1, field geometry: geometry lies outside China"),
]


@pytest.mark.parametrize("case,content,pattern", BAD_POINTS, ids=[c[0] for c in BAD_POINTS])
def test_bad_points_named_precisely(probe_datasets, tmp_path, case, content, pattern):
    _write(probe_datasets, "points.csv", content)
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    with pytest.raises(DataError) as exc:
        build_store(s, progress=False)
    msg = str(exc.value)
    assert msg.startswith("dataset probe, file data/points.csv"), msg
    assert re.search(pattern, msg), msg


@pytest.mark.parametrize("case,content,pattern", BAD_SHAPES, ids=[c[0] for c in BAD_SHAPES])
def test_bad_geojson_named_precisely(probe_datasets, tmp_path, case, content, pattern):
    _write(probe_datasets, "points.csv", GOOD_POINTS)
    _write(probe_datasets, "shapes.geojson", content)
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    with pytest.raises(DataError) as exc:
        build_store(s, progress=False)
    msg = str(exc.value)
    assert msg.startswith("dataset probe, file data/shapes.geojson"), msg
    assert re.search(pattern, msg), msg


def test_failed_build_keeps_previous_store(probe_datasets, tmp_path):
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    first = build_store(s, progress=False)
    before = s.db.read_bytes()
    _write(probe_datasets, "points.csv", HEADER + "p1,330225,121.87,29.48,not-a-time,1\n")
    with pytest.raises(DataError):
        build_store(s, progress=False)
    assert s.db.read_bytes() == before
    con = duckdb.connect(str(s.db), read_only=True)
    assert con.execute("select value from meta where key='data_version'").fetchone()[0] == first.data_version
    assert not list(tmp_path.glob(".building-*")), "temporary file left behind"


def test_emitted_frame_checked(probe_datasets, tmp_path):
    (probe_datasets / "probe" / "loader.py").write_text(
        "import pandas as pd\n"
        "def load(ctx):\n"
        "    ctx.emit('observations', pd.DataFrame({'indicator_id': ['x'], 'region_code': ['330225']}))\n")
    s = make_settings(tmp_path, datasets_dir=probe_datasets)
    with pytest.raises(DataError, match=r"dataset probe, field entity_id: \(emitted to table observations\) missing"):
        build_store(s, progress=False)


def test_geojson_extent_declared_in_the_manifest(probe_datasets, tmp_path):
    """A file may declare a wider extent than China's box (the basemap's East Asia land); a geometry
    beyond the declared extent is still refused, naming it."""
    man = probe_datasets / "probe" / "manifest.yaml"
    text = man.read_text(encoding="utf-8")
    pad = re.search(r"\n( *)format: geojson\n", text).group(1)
    man.write_text(text.replace(f"{pad}format: geojson\n", f"{pad}format: geojson\n{pad}extent: [100, 0, 150, 50]\n"),
                   encoding="utf-8")
    _write(probe_datasets, "points.csv", GOOD_POINTS)
    japan = GOOD_SHAPES.replace("121.8", "139.8").replace("121.9", "139.9")  # outside China's box, inside the extent
    _write(probe_datasets, "shapes.geojson", japan)
    build_store(make_settings(tmp_path / "a", datasets_dir=probe_datasets), progress=False)
    _write(probe_datasets, "shapes.geojson", GOOD_SHAPES.replace("121.8", "151.8").replace("121.9", "151.9"))
    with pytest.raises(DataError) as exc:
        build_store(make_settings(tmp_path / "b", datasets_dir=probe_datasets), progress=False)
    assert "geometry lies outside the file's extent [100.0, 0.0, 150.0, 50.0]" in str(exc.value)
