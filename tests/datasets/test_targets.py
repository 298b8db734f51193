"""Planning targets: every quote is verbatim in its seed file and contains its value."""

from __future__ import annotations

import pandas as pd
import pytest

from citybrain.store.build import run_loaders
from citybrain.manifest import load_manifest
from citybrain.regions import REGIONS
from citybrain.settings import PROJECT_ROOT

#: The seed plans live in shared/, beside the repository (in every checkout and on CI).
SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def targets() -> pd.DataFrame:
    return run_loaders(["targets"])["targets"]["targets"]


def _num(v: float) -> str:
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return s


def test_manifest_loads():
    m = load_manifest(PROJECT_ROOT / "datasets" / "targets" / "manifest.yaml")
    assert m.simulated == "no" and m.crs == "none"


def test_well_over_a_hundred_rows_for_all_five_plans(targets):
    assert len(targets) >= 120
    assert set(targets["region_code"]) == {"330225", "330900", "370215", "341623", "210800"}
    assert set(targets["kind"]) == {"baseline", "current", "target"}


def test_every_quote_is_verbatim_in_its_seed(targets):
    assert SEEDS.exists(), f"seed texts not found at {SEEDS}"
    texts = {f: (SEEDS / f).read_text(encoding="utf-8") for f in targets["source_file"].unique()}
    missing = [(r.source_file, r.source_quote) for r in targets.itertuples() if r.source_quote not in texts[r.source_file]]
    assert not missing, missing[:5]


def test_every_value_appears_in_its_quote(targets):
    bad = [(r.indicator_id, r.value, r.source_quote) for r in targets.itertuples()
           if _num(r.value) not in r.source_quote]
    assert not bad, bad[:5]


def test_seed_file_matches_region(targets):
    for r in targets.itertuples():
        assert REGIONS[r.region_code].seed_file == r.source_file


def test_attribute_only_binding_or_expected(targets):
    assert set(targets["attribute"].dropna()) <= {"约束性", "预期性"}
    assert targets["attribute"].notna().sum() > 0
