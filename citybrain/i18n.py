"""The one message catalog (Chinese first, English available) and number formatting with units.

Core messages live here; a dashboard or layer module adds its own with ``register({...})`` at
import time, keys prefixed by its id (``"traffic.title"``). Every text a user sees goes through
``t(key, lang)``.
"""

from __future__ import annotations

import logging
import math
import re

log = logging.getLogger(__name__)

MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("城市大脑运行驾驶舱", "CityBrain Operations Cockpit"),
    "nav.catalog": ("数据目录", "Data catalog"),
    "nav.home": ("首页", "Home"),
    "region": ("地区", "Region"),
    "lang.switch": ("English", "中文"),
    "catalog.title": ("数据资源目录", "Data catalog"),
    "catalog.intro": ("全部数据集与指标：行数、时间范围、更新频率与新鲜度、来源与许可。",
                      "Every dataset and indicator: rows, time span, cadence and freshness, provenance and licence."),
    "catalog.datasets": ("数据集", "Datasets"),
    "catalog.indicators": ("指标", "Indicators"),
    "catalog.not_applicable": ("本地区不适用的数据集", "Datasets not applicable to this region"),
    "col.dataset": ("数据集", "Dataset"),
    "col.title": ("名称", "Title"),
    "col.domain": ("领域", "Domain"),
    "col.rows": ("行数", "Rows"),
    "col.span": ("时间范围", "Time span"),
    "col.last": ("最新数据时间", "Latest data"),
    "col.cadence": ("更新频率", "Cadence"),
    "col.freshness": ("新鲜度", "Freshness"),
    "col.owner": ("责任单位", "Owner"),
    "col.classification": ("密级", "Classification"),
    "col.simulated": ("模拟数据", "Simulated"),
    "col.source": ("来源", "Source"),
    "col.licence": ("许可", "Licence"),
    "col.provenance": ("数据沿革", "Provenance"),
    "col.indicator": ("指标", "Indicator"),
    "col.unit": ("单位", "Unit"),
    "col.thresholds": ("预警/告警阈值", "Warning / alarm"),
    "col.reason": ("原因", "Reason"),
    "col.status_text": ("状态", "Status"),
    "fresh.last": ("最后更新", "last update"),
    "store.version": ("数据版本", "Data version"),
    "store.anchor": ("模拟数据截止", "Simulated data until"),
    "summary.datasets": ("数据集", "datasets"),
    "summary.indicators": ("项指标", "indicators"),
    "summary.rows": ("行数据", "rows"),
    "export.csv": ("导出 CSV", "Export CSV"),
    "export.title": ("按当前筛选条件下载（UTF-8，Excel 可直接打开）", "Download what is filtered on screen (UTF-8, opens in Excel)"),
}

DOMAINS: dict[str, tuple[str, str]] = {
    "boundaries": ("行政区划", "Boundaries"), "targets": ("规划目标", "Planning targets"),
    "fisheries": ("智慧渔港", "Fisheries"), "traffic": ("智慧交通", "Traffic"), "water": ("智慧水利", "Water"),
    "emergency": ("应急管理", "Emergency"), "typhoon": ("台风", "Typhoon"),
    "government_service": ("政务服务", "Government services"), "economy": ("数字经济", "Economy"),
    "infrastructure": ("数字基础设施", "Infrastructure"), "data": ("数据资源", "Data"),
    "society": ("社会治理与民生", "Society"), "environment": ("生态环境", "Environment"),
    "security": ("安全", "Security"), "other": ("其他", "Other"),
}
MESSAGES.update({f"domain.{k}": v for k, v in DOMAINS.items()})


def domain_label(domain: str, lang: str = "zh") -> str:
    """A domain's name in the interface language (the id itself when unknown)."""
    return t(f"domain.{domain}", lang) if f"domain.{domain}" in MESSAGES else domain


CADENCE_LABELS = {"s": ("秒", "s"), "min": ("分钟", "min"), "h": ("小时", "h"), "d": ("天", "day"),
                  "w": ("周", "week"), "mo": ("月", "month"), "y": ("年", "year")}


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Add a module's messages to the one catalog (keys must be new, e.g. prefixed by module id)."""
    for key, pair in messages.items():
        if key in MESSAGES and MESSAGES[key] != pair:
            raise ValueError(f"message key {key!r} is already defined differently")
        MESSAGES[key] = pair


def t(key: str, lang: str = "zh") -> str:
    """Translate a message key (falls back to the key itself)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def cadence_label(cadence: str, lang: str = "zh") -> str:
    """'5min' -> '每5分钟' / 'every 5 min'."""
    import re

    m = re.match(r"^(\d+)(s|min|h|d|w|mo|y)$", cadence)
    if not m:
        return cadence
    n, u = m.groups()
    zh, en = CADENCE_LABELS[u]
    if lang == "zh":
        return f"每{'' if n == '1' else n}{zh}"
    return f"every {'' if n == '1' else n + ' '}{en}"


#: Vocabularies: the codes a screen may show, each with its Chinese and English display text.
#: ``label(vocabulary, code, lang)`` is the one way to show a code; a module adds its own
#: vocabulary (or codes) with ``register_vocabulary``.
VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {
    "incident_kind": {
        "fire": ("火灾", "Fire"), "traffic_rescue": ("交通事故救援", "Traffic rescue"),
        "traffic_accident": ("交通事故", "Traffic accident"), "waterlogging": ("城乡内涝", "Waterlogging"),
        "landslide": ("地质灾害", "Landslide"), "hazchem_leak": ("危化品泄漏", "Hazardous chemical leak"),
        "marine_distress": ("海上遇险", "Marine distress"), "storm_damage": ("台风/大风灾损", "Storm damage"),
        "evacuation": ("避险转移", "Evacuation"),
    },
    "severity": {
        "minor": ("轻微", "minor"), "general": ("一般(IV)", "general (IV)"), "large": ("较大(III)", "large (III)"),
        "serious": ("较大(III)", "serious (III)"), "major": ("重大(II)", "major (II)"),
        "extreme": ("特别重大(I)", "extreme (I)"),
    },
    "step": {  # an incident's life cycle (also its status)
        "reported": ("接报", "reported"), "dispatched": ("派警", "dispatched"), "on_scene": ("到场", "on scene"),
        "resolved": ("处置完毕", "resolved"), "closed": ("结案", "closed"),
    },
    "status": {
        "normal": ("正常", "normal"), "warning": ("预警", "warning"), "alarm": ("告警", "alarm"),
        "none": ("无阈值", "no threshold"), "nodata": ("无数据", "no data"),
    },
    "vessel_status": {
        "in_port": ("在港", "in port"), "at_sea": ("航行", "under way"), "fishing": ("作业", "fishing"),
        "alarm_left_zone": ("越界告警", "left permitted zone"), "alarm_lost": ("失联告警", "position lost"),
        "unknown": ("状态未报", "status not reported"),
    },
    "entity_kind": {
        "checkpoint": ("卡口", "checkpoint"), "depot": ("物资储备库", "supply depot"),
        "hazard_site": ("地质灾害隐患点", "hazard site"), "rescue_team": ("救援队伍", "rescue team"),
        "reservoir": ("水库", "reservoir"), "river_station": ("河道水位站", "river gauge"),
        "typhoon": ("台风", "typhoon"), "vessel": ("渔船", "fishing vessel"), "black_spot": ("事故黑点", "accident black spot"),
        "overload_station": ("治超站", "overload station"), "port": ("渔港", "fishing port"),
        "road_segment": ("路段", "road segment"), "shelter": ("避灾安置点", "shelter"),
        "tide_station": ("潮位站", "tide station"),
    },
    "quality": {
        "good": ("正常", "good"), "partial": ("未满周期", "partial period"), "estimated": ("估算", "estimated"),
        "suspect": ("存疑", "suspect"), "missing": ("缺测", "missing"),
    },
    "classification": {"public": ("公开", "public"), "internal": ("内部", "internal"),
                       "restricted": ("受限", "restricted")},
    "simulated": {"no": ("真实", "real"), "yes": ("模拟", "simulated"), "partly": ("部分模拟", "partly simulated")},
    "target_attribute": {"约束性": ("约束性", "binding"), "预期性": ("预期性", "indicative")},
    "freshness": {"fresh": ("正常更新", "fresh"), "stale": ("数据超时", "stale"), "none": ("无时序", "no series"),
                  "na": ("本地区不适用", "not applicable here")},
}
#: What an unknown code shows (never the code itself in Chinese).
UNKNOWN = ("其他", "other")


def date_format(lang: str = "zh", time: bool = True) -> str:
    """The strftime pattern of a short date (with time) in ``lang``: '12-02 14:00' / 'Dec 2 14:00'."""
    day = "%m-%d" if lang == "zh" else "%b %-d"
    return f"{day} %H:%M" if time else day


def register_vocabulary(vocabulary: str, codes: dict[str, tuple[str, str]]) -> None:
    """Add codes to a vocabulary (a new one or an existing one; a code may not change its texts)."""
    voc = VOCABULARIES.setdefault(vocabulary, {})
    for code, pair in codes.items():
        if code in voc and voc[code] != pair:
            raise ValueError(f"code {code!r} of {vocabulary!r} is already defined differently")
        voc[code] = pair


def label(vocabulary: str, code: str | None, lang: str = "zh") -> str:
    """The display text of a code of a vocabulary in ``lang``.

    An unknown code is logged and shown as a generic text in Chinese ("其他"); in English the code
    is shown with underscores as spaces (readable, never a Chinese fallback)."""
    pair = VOCABULARIES.get(vocabulary, {}).get(code or "")
    if pair is None:
        log.warning("no display text for code %r of vocabulary %r", code, vocabulary)
        if lang == "zh" or not code:
            return UNKNOWN[0] if lang == "zh" else UNKNOWN[1]
        return str(code).replace("_", " ")
    return pair[0] if lang == "zh" else pair[1]


#: Chinese units in English: (English unit, factor). A factor other than 1 rescales the value
#: (万 = 10⁴, 亿 = 10⁸) so that "927.2 万m³" reads "9.3 million m³".
UNITS_EN: dict[str, tuple[str, float]] = {
    "艘": ("vessels", 1), "个": ("", 1), "辆/时": ("veh/h", 1), "辆": ("vehicles", 1), "起": ("cases", 1),
    "人": ("people", 1), "分钟": ("min", 1), "小时": ("h", 1), "天": ("days", 1), "吨": ("t", 1),
    "张": ("beds", 1), "件": ("items", 1), "条": ("pcs", 1), "顶": ("tents", 1), "指数": ("", 1),
    "户": ("households", 1), "座": ("facilities", 1), "家": ("firms", 1), "套": ("systems", 1),
    "类": ("categories", 1), "项": ("items", 1), "所": ("schools", 1), "处": ("sites", 1),
    "块": ("plots", 1), "路": ("channels", 1), "村(居)": ("villages", 1), "元": ("CNY", 1),
    "次": ("times", 1), "人次": ("visits", 1), "核": ("cores", 1), "平方米": ("m²", 1),
    "亿条": ("records", 1e8),  # data records (条 alone counts quilts in the depots)
    "m³": ("m³", 1), "": ("", 1),
}
# 个 and 指数 have no English unit: the indicator's name says what is counted ("Stations over
# warning level: 2"), an index is a bare number.
#: Units shown as a bare number in both languages.
UNITLESS = ("指数",)
#: English units in the singular, for a value of exactly one.
SINGULAR_EN = {"cases": "case", "vessels": "vessel", "people": "person", "stations": "station",
               "items": "item", "vehicles": "vehicle", "boats": "boat"}


#: English of Chinese texts that come with the data and have no English column (the coverage
#: table's reasons, from the manifests' ``not_applicable``), keyed by the Chinese text.
DATA_TEXTS_EN: dict[str, str] = {
    "本库构建时未载入该数据集": "The store was built without this dataset",
    "利辛县为内陆县，无海洋捕捞渔业，也无渔港": "Lixin is an inland county: no sea fishing and no fishing port",
    "即墨区沿海，有渔港和海洋捕捞渔业，但本数据集暂未覆盖（仅收录象山、舟山）":
        "Jimo is coastal with fishing ports, but this dataset does not cover it yet (Xiangshan and Zhoushan only)",
    "营口市沿渤海，有渔港和海洋捕捞渔业，但本数据集暂未覆盖（仅收录象山、舟山）":
        "Yingkou lies on the Bohai Sea with fishing ports, but this dataset does not cover it yet "
        "(Xiangshan and Zhoushan only)",
}


def reason_text(reason: str | None, lang: str = "zh") -> str:
    """A data-borne Chinese text (a coverage reason) in ``lang``: in English its registered
    translation, else a generic sentence (logged), never the Chinese."""
    if not reason or lang == "zh":
        return reason or ""
    if reason not in DATA_TEXTS_EN:
        log.warning("no English for data text %r", reason)
        return "Not covered in this region"
    return DATA_TEXTS_EN[reason]


def unit_label(unit: str | None, lang: str = "zh") -> str:
    """A unit as shown in ``lang`` (a unit column, an axis title): '万m³' -> '10⁴ m³' in English."""
    if lang == "zh" or not unit:
        return unit or ""
    en, factor = _unit_en(unit)
    if factor == 1:
        return en
    return f"{'10⁴' if factor == 1e4 else '10⁸'} {en}".strip()


def _unit_en(unit: str) -> tuple[str, float]:
    """English unit and scale factor of a unit (万/亿 prefixes; a unit with no CJK is kept)."""
    if unit in UNITS_EN:
        return UNITS_EN[unit]
    m = re.match(r"^(万|亿)(.*)$", unit)
    if m:
        en, f = _unit_en(m.group(2))
        return en, f * (1e4 if m.group(1) == "万" else 1e8)
    if re.search(r"[\u3400-\u9fff]", unit):
        log.warning("no English for unit %r", unit)
        return "", 1
    return unit, 1


def fmt_number(value: float | int | None, unit: str = "", lang: str = "zh", digits: int = 1) -> str:
    """Format a number with its unit; Chinese uses 万 and 亿 for large counts, English units are
    translated (``UNITS_EN``) and 万/亿 values read as thousands, millions and billions."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if round(v, digits) == 0:  # never "-0.0": a value that rounds to zero is zero
        v = 0.0
    if lang != "zh":
        unit = unit.strip()
        unit, factor = _unit_en(unit)
        if factor != 1:
            v *= factor
            for div, word in ((1e9, "billion"), (1e6, "million")):
                if abs(v) >= div:
                    return f"{v / div:,.{digits}f} {word}" + (f" {unit}" if unit else "")
    if unit in UNITLESS:  # an index is a bare number in both languages ("0.4", not "0.4指数")
        unit = ""
    if lang != "zh" and v == 1 and unit in SINGULAR_EN:  # "1 case", "1 vessel"
        unit = SINGULAR_EN[unit]
    sep = "" if unit in ("%", "‰", "") or lang == "zh" else " "
    if lang == "zh" and unit not in ("%", "‰") and abs(v) >= 1e8:
        return f"{v / 1e8:,.{digits}f}亿{unit}"
    if lang == "zh" and unit not in ("%", "‰") and abs(v) >= 1e5:
        return f"{v / 1e4:,.{digits}f}万{unit}"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}{sep}{unit}"
    return f"{v:,.{digits}f}{sep}{unit}"
