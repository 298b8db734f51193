"""Wind radii read from raw JMA ``bst_all`` lines and the circles drawn from them, checked against
circles computed by hand from those lines (In-Fa, 2021-07-25)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from citybrain.geo import haversine_m
from citybrain.settings import PROJECT_ROOT
from citybrain.typhoon.circles import StormPath, bearing, destination, profile_km
from citybrain.typhoon.radii import RadiiError, parse_line

RAW = PROJECT_ROOT.parent / "shared" / "data" / "typhoon" / "jma_bst_all_2015-202108_PIVASIA.txt"
# In-Fa (2106) data lines of 2021-07-25, as they stand in the raw file (read below when it is there)
INFA = {
    "21072500": "21072500 002 5 297 1231  970     065     90080 0080 20325 0240",
    "21072506": "21072506 002 5 300 1225  970     065     90080 0080 20325 0240",
    "21072512": "21072512 002 4 301 1221  975     060     90060 0060 20325 0240",
    "21072518": "21072518 002 4 303 1216  980     055     90040 0040 20300 0210",
}
NM = 1.852


def test_lines_are_the_raw_files():
    if not RAW.exists():
        pytest.fail(f"the raw JMA file is missing: {RAW}")
    lines = {ln[:8]: ln.rstrip("\r\n").rstrip() for ln in RAW.read_text(encoding="ascii").splitlines()
             if ln.startswith("210725") and " 002 " in ln[8:13] and ln[19:21] == "12" and ln[15:17] in ("29", "30")}
    for key, line in INFA.items():
        assert lines[key] == line


def test_parse_infa_0725_06utc():
    r = parse_line(INFA["21072506"])
    assert (r[50].direction, r[50].long_nm, r[50].short_nm) == (9, 80.0, 80.0)  # 80 nm all round
    assert (r[30].direction, r[30].long_nm, r[30].short_nm) == (2, 325.0, 240.0)  # 325 nm toward E
    assert r[30].bearing == 90.0 and r[50].bearing is None


def test_parse_no_radii_and_no_winds():
    assert parse_line("15062906 002 2 086 1604 1004     000") is None  # a TD line stops before col 42
    r = parse_line("15062106 002 3 164 1114  990     040     00000 0000 40140 0060")
    assert not r[50].present and r[30].present and r[30].bearing == 180.0


@pytest.mark.parametrize("line, field", [
    ("21072506 002 5 300 1225  970     065     90080 0070 20325 0240", "r50_short_nm"),  # 9 with two radii
    ("21072506 002 5 300 1225  970     065     90080 0080 20240 0325", "r30_short_nm"),  # short > long
    ("21072506 002 5 300 1225  970     065     9008x 0080 20325 0240", "r50_long_nm"),
    ("21072506 002 5 300 1225  970     065     90080 0080", "r30_direction"),
])
def test_parse_refuses_bad_fields(line, field):
    with pytest.raises(RadiiError) as e:
        parse_line(line)
    assert e.value.field == field


def _infa_path() -> StormPath:
    keys = sorted(INFA)
    ts = np.array([np.datetime64(f"2021-07-{k[4:6]}T{k[6:8]}:00") + np.timedelta64(8, "h") for k in keys],
                  dtype="datetime64[us]")  # CST, as the store keeps them
    lat = np.array([int(INFA[k][15:18]) / 10 for k in keys])
    lon = np.array([int(INFA[k][19:23]) / 10 for k in keys])
    radii = {kt: np.array([parse_line(INFA[k])[kt].as_list() for k in keys], dtype="float64") for kt in (30, 50)}
    return StormPath(ts=ts, lon=lon, lat=lat, radii=radii)


def test_circles_by_hand_at_the_fix():
    path = _infa_path()
    t = datetime(2021, 7, 25, 14, 0)  # 06 UTC
    ring50 = np.array(path.circle(t, 50))
    ring30 = np.array(path.circle(t, 30))
    assert len(ring30) == 73 and tuple(ring30[0]) == tuple(ring30[-1])  # closed ring of 72 points
    d50 = haversine_m(122.5, 30.0, ring50[:-1, 0], ring50[:-1, 1]) / 1000
    assert np.allclose(d50, 80 * NM, atol=0.05)  # 148.16 km all round
    d30 = haversine_m(122.5, 30.0, ring30[:-1, 0], ring30[:-1, 1]) / 1000
    # points every 5°: index 18 = east (longest), 54 = west (shortest), 0/36 = N/S (halfway, 282.5 nm)
    assert d30[18] == pytest.approx(325 * NM, abs=0.05) and d30.max() == pytest.approx(325 * NM, abs=0.05)
    assert d30[54] == pytest.approx(240 * NM, abs=0.05) and d30.min() == pytest.approx(240 * NM, abs=0.05)
    assert d30[0] == pytest.approx(282.5 * NM, abs=0.05) and d30[36] == pytest.approx(282.5 * NM, abs=0.05)
    b = bearing(122.5, 30.0, ring30[18, 0], ring30[18, 1])
    assert b == pytest.approx(90.0, abs=0.01)


def test_circles_between_fixes():
    path = _infa_path()
    lon, lat, ok = path.centre(np.array(["2021-07-25T11:00"], dtype="datetime64[us]"))  # 03 UTC
    assert ok[0] and lon[0] == pytest.approx(122.8) and lat[0] == pytest.approx(29.85)
    # 09 UTC: halfway from 80 nm (06 UTC) to 60 nm (12 UTC), all round
    r = path.radius_km(np.array(["2021-07-25T17:00"], dtype="datetime64[us]"), 50, np.array([[0.0, 90.0, 200.0]]))
    assert np.allclose(r, 70 * NM)
    # 15 UTC, 30 kt: east 325 -> 300 nm gives 312.5 nm; west 240 -> 210 nm gives 225 nm
    r30 = path.radius_km(np.array(["2021-07-25T23:00"], dtype="datetime64[us]"), 30, np.array([[90.0, 270.0]]))
    assert np.allclose(r30, [[312.5 * NM, 225 * NM]])
    outside = path.radius_km(np.array(["2021-07-27T00:00"], dtype="datetime64[us]"), 30, np.array([[0.0]]))
    assert np.isnan(outside).all()  # nothing after the last fix


def test_inside_matches_the_profile():
    path = _infa_path()
    t = np.array(["2021-07-25T14:00"], dtype="datetime64[us]")
    east_in = destination(122.5, 30.0, 90.0, 325 * NM - 1)
    east_out = destination(122.5, 30.0, 90.0, 325 * NM + 1)
    west_out = destination(122.5, 30.0, 270.0, 240 * NM + 1)
    lon = np.array([east_in[0], east_out[0], west_out[0]])
    lat = np.array([east_in[1], east_out[1], west_out[1]])
    assert path.inside(t, 30, lon, lat)[0].tolist() == [True, False, False]


def test_no_radii_no_circle():
    path = _infa_path()
    blank = StormPath(ts=path.ts, lon=path.lon, lat=path.lat,
                      radii={kt: np.full((len(path.ts), 3), np.nan) for kt in (30, 50)})
    assert not blank.has_radii
    assert blank.circle(datetime(2021, 7, 25, 14), 30) is None
    assert not blank.inside(path.ts, 30, np.array([122.5]), np.array([30.0])).any()


def test_profile_symmetric_and_none():
    assert profile_km(9, 80, 80, np.array([0.0, 123.0])).tolist() == pytest.approx([80 * NM] * 2)
    assert profile_km(0, 0, 0, np.array([0.0])).tolist() == [0.0]
