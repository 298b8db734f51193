"""The five plans the planning targets come from: each seed file (``targets.source_file``) mapped to
its plan's title, issuer and period (read from the seed texts in /work/shared/seeds, see
datasets/targets/NOTES.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """One plan: its id (the seed file), region, titles, kind and period (first and last year)."""

    id: str
    region: str
    title_zh: str
    title_en: str
    kind_zh: str
    kind_en: str
    start: int
    end: int
    issued_zh: str  # issuer, document number and date as printed
    issued_en: str

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def issued(self, lang: str) -> str:
        return self.issued_zh if lang == "zh" else self.issued_en

    def period(self) -> str:
        return f"{self.start}–{self.end}"

    def label(self, lang: str) -> str:
        """'象山县政府数字化转型三年行动计划（2020–2022）'."""
        return f"{self.title(lang)}（{self.period()}）" if lang == "zh" else f"{self.title(lang)} ({self.period()})"


PLANS: dict[str, Plan] = {p.id: p for p in (
    Plan("000_6baed6801b79479c.txt", "330225", "加快象山政府数字化转型三年行动计划",
         "Xiangshan three-year action plan for the digital transformation of government",
         "行动计划", "action plan", 2020, 2022, "象山县人民政府 2020-05-06 印发", "Xiangshan County Government, 2020-05-06"),
    Plan("001_890d13cd9ea45944.txt", "330900", "舟山市数字政府建设“十四五”规划",
         "Zhoushan digital government plan for the 14th Five-Year Plan period",
         "“十四五”规划", "14th Five-Year plan", 2021, 2025, "舟山市“十四五”专项规划", "Zhoushan, 14th Five-Year special plan"),
    Plan("002_cec44839a2cb80c3.txt", "370215", "数字即墨建设实施方案",
         "Digital Jimo implementation plan",
         "实施方案", "implementation plan", 2021, 2022, "即政办发〔2021〕40号 2021-07-01", "Jimo District Government Office No. 40 (2021), 2021-07-01"),
    Plan("003_17f445afa72636be.txt", "341623", "“数字利辛”建设规划",
         "Digital Lixin plan", "建设规划", "development plan", 2021, 2025, "利辛县人民政府办公室 2023 印发", "Lixin County Government Office, 2023"),
    Plan("004_cf5f2e503f1fb767.txt", "210800", "数字营口发展规划",
         "Digital Yingkou development plan", "发展规划", "development plan", 2022, 2025,
         "营政办发〔2022〕24号 2022-09-26", "Yingkou Government Office No. 24 (2022), 2022-09-26"),
)}


def plan_of(source_file: str | None, region: str) -> Plan | None:
    """The plan of a target row (by its seed file, else the region's only plan)."""
    if source_file in PLANS:
        return PLANS[source_file]
    return next((p for p in PLANS.values() if p.region == region), None)


def region_plan(region: str) -> Plan | None:
    """The plan of a region (each region has one)."""
    return next((p for p in PLANS.values() if p.region == region), None)
