"""The regions the product ships with: the five seed plans' places (adcodes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """One administrative region (6-digit adcode) with names and coast flag."""

    code: str
    name_zh: str
    name_en: str
    parent: str | None
    coastal: bool
    seed_file: str | None = None

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


REGIONS: dict[str, Region] = {r.code: r for r in [
    Region("330225", "象山县", "Xiangshan County", None, True, "000_6baed6801b79479c.txt"),
    Region("330900", "舟山市", "Zhoushan City", None, True, "001_890d13cd9ea45944.txt"),
    Region("330902", "定海区", "Dinghai District", "330900", True),
    Region("330903", "普陀区", "Putuo District", "330900", True),
    Region("330921", "岱山县", "Daishan County", "330900", True),
    Region("330922", "嵊泗县", "Shengsi County", "330900", True),
    Region("370215", "即墨区", "Jimo District", None, True, "002_cec44839a2cb80c3.txt"),
    Region("341623", "利辛县", "Lixin County", None, False, "003_17f445afa72636be.txt"),
    Region("210800", "营口市", "Yingkou City", None, True, "004_cf5f2e503f1fb767.txt"),
]}

#: Regions offered in the region picker (the five seed plans).
TOP_REGIONS: list[str] = [code for code, r in REGIONS.items() if r.parent is None]


def region_name(code: str, lang: str = "zh") -> str:
    """Name of a region, or the code itself when unknown."""
    r = REGIONS.get(code)
    return r.name(lang) if r else code


def is_known(code: str) -> bool:
    return code in REGIONS
