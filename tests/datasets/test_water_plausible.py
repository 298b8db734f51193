"""Water dataset, plausibility: places in their own regions, storage that changes no faster than
its inflow, weather that follows each region's season (no forced downpour in December)."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from citybrain.regions import TOP_REGIONS
from citybrain.settings import PROJECT_ROOT

from .test_water import ANCHOR, _datasets_dir, _run

FOLDER = PROJECT_ROOT / "datasets" / "water"
DECEMBER = datetime(2026, 12, 2, 11, 0)
NINGBO = {"白溪水库", "亭下水库", "四明湖水库", "皎口水库", "周公宅水库", "横山水库"}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return _datasets_dir(tmp_path_factory.mktemp("water_plausible"))


@pytest.fixture(scope="module")
def july(root):
    return _run(root)["water"]


@pytest.fixture(scope="module")
def december(root):
    return _run(root, anchor=DECEMBER)["water"]


def test_ningbo_reservoirs_are_not_xiangshans(july):
    ent = july["entities"]
    assert not NINGBO & set(ent["name_zh"]), "the six Ningbo reservoirs lie outside every region"
    ref = pd.read_csv(FOLDER / "data" / "ningbo_reference_reservoirs.csv", dtype=str)
    assert set(ref["name_zh"]) == NINGBO and (ref["city_code"] == "330200").all()
    assert set(ref["county_code"]) == {"330226", "330213", "330281", "330203"}  # 宁海, 奉化, 余姚, 海曙
    xs = ent[(ent.region_code == "330225") & (ent.kind == "reservoir")]
    assert len(xs) == 4
    # 象山's storage rate counts 象山's reservoirs only
    ob = july["observations"]
    at = ob[(ob.ts == pd.Timestamp(ANCHOR)) & (ob.indicator_id == "reservoir_storage")]
    normal = {e: json.loads(p)["normal_storage_10k_m3"] for e, p in zip(ent.entity_id, ent.properties)}
    own = at[at.entity_id.isin(xs.entity_id)]
    rate = ob[(ob.ts == pd.Timestamp(ANCHOR)) & (ob.indicator_id == "reservoir_storage_rate")
              & ob.entity_id.isna() & (ob.region_code == "330225")]["value"].iloc[0]
    assert rate == pytest.approx(own.value.sum() / sum(normal[e] for e in own.entity_id) * 100, abs=0.2)


def _storage_gain_vs_inflow(out) -> pd.DataFrame:
    """Per reservoir and hour: the 36 h storage gain and the most its catchment could send."""
    ob, ent = out["observations"], out["entities"]
    props = {e: json.loads(p) for e, p in zip(ent.entity_id, ent.properties)}
    rows = []
    for sid in ent.loc[ent.kind == "reservoir", "entity_id"]:
        sto = ob[(ob.entity_id == sid) & (ob.indicator_id == "reservoir_storage")].set_index("ts")["value"].sort_index()
        rain = ob[(ob.entity_id == sid) & (ob.indicator_id == "rainfall_1h")].set_index("ts")["value"].sort_index()
        full = pd.date_range(sto.index.min(), sto.index.max(), freq="h")
        sto, rain = sto.reindex(full), rain.reindex(full)  # gaps between periods stay NaN
        gain = sto - sto.shift(36)
        # rain of the window and of the 10 days before it (the unit hydrograph's tail), 0.8 runoff
        inflow = 0.1 * 0.8 * (props[sid]["catchment_km2"] or 50.0) * rain.rolling(36 + 240, min_periods=36 + 240).sum()
        base = 36 * 0.0005 * props[sid]["normal_storage_10k_m3"]
        rows.append(pd.DataFrame({"sid": sid, "gain": gain, "bound": inflow + base + 0.2,
                                  "rate_gain": gain / props[sid]["normal_storage_10k_m3"] * 100}).dropna())
    return pd.concat(rows)


@pytest.mark.parametrize("which", ["july", "december"])
def test_storage_gains_no_more_than_its_catchment_sends(which, request):
    g = _storage_gain_vs_inflow(request.getfixturevalue(which))
    over = g[g.gain > g.bound]
    assert over.empty, over.head()


def test_december_is_dry_and_storage_moves_slowly(december):
    ob = december["observations"]
    now = ob[ob.ts == pd.Timestamp(DECEMBER)]
    kpi = now[now.entity_id.isna()].set_index(["indicator_id", "region_code"])["value"]
    # no forced downpour outside the flood season: December's 24 h maxima stay small everywhere
    assert (kpi.loc["max_rainfall_24h"] < 40).all(), kpi.loc["max_rainfall_24h"]
    assert (kpi.loc["stations_over_warning"] == 0).all()
    last60 = ob[ob.ts > pd.Timestamp(DECEMBER) - pd.Timedelta(days=60)]
    g = _storage_gain_vs_inflow({"observations": last60, "entities": december["entities"]})
    assert g.rate_gain.max() < 10.0, g.sort_values("rate_gain").tail()  # never 60 % -> 90 % in 36 h


def _hydro():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("citybrain_test_hydro", FOLDER / "hydro.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_plum_rain_in_zhejiang_not_in_liaoning():
    """The generator over 20 seeds: 15 Jun – 13 Jul rain against each region's climate mean of those
    days — Zhejiang's plum season (梅雨) about triples it, Liaoning gets its ordinary summer."""
    hydro = _hydro()
    ts = pd.date_range("2026-05-01", "2026-07-31 23:00", freq="h")
    win = (ts >= "2026-06-15") & (ts < "2026-07-14")
    ratio = {}
    for code in ("330225", "330900", "210800", "370215"):
        clim = hydro.CLIMATES[code]
        expect = (np.asarray(clim.monthly_mm, dtype="float64")[ts.month.to_numpy() - 1] / (30.4 * 24))[win].sum()
        got = [hydro.background_rain(ts, clim, 3, np.random.default_rng(s)).mean(axis=1)[win].sum() for s in range(20)]
        ratio[code] = float(np.mean(got) / expect)
    assert ratio["330225"] > 2.2 and ratio["330900"] > 2.2, ratio
    assert 0.6 < ratio["210800"] < 1.5 and 0.6 < ratio["370215"] < 1.5, ratio


def test_each_region_its_own_rain_on_the_anchor_night(july):
    """Not one downpour everywhere: the regions' 24 h maxima at the anchor all differ."""
    ob = july["observations"]
    now = ob[(ob.ts == pd.Timestamp(ANCHOR)) & (ob.indicator_id == "max_rainfall_24h") & ob.entity_id.isna()]
    assert now["value"].round(0).nunique() == len(TOP_REGIONS)
    assert now["value"].max() - now["value"].min() > 15, now
