"""The one message catalog (Chinese first, English available) and number formatting with units.

Core messages live here; a dashboard or layer module adds its own with ``register({...})`` at
import time, keys prefixed by its id (``"traffic.title"``). Every text a user sees goes through
``t(key, lang)``.
"""

from __future__ import annotations

import math

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
    "fresh.fresh": ("正常更新", "fresh"),
    "fresh.stale": ("数据超时", "stale"),
    "fresh.none": ("无时序", "no series"),
    "fresh.na": ("本地区不适用", "not applicable here"),
    "fresh.last": ("最后更新", "last update"),
    "sim.no": ("真实", "real"),
    "sim.yes": ("模拟", "simulated"),
    "sim.partly": ("部分模拟", "partly simulated"),
    "cls.public": ("公开", "public"),
    "cls.internal": ("内部", "internal"),
    "cls.restricted": ("受限", "restricted"),
    "store.version": ("数据版本", "Data version"),
    "store.anchor": ("模拟数据截止", "Simulated data until"),
    "summary.datasets": ("数据集", "datasets"),
    "summary.indicators": ("项指标", "indicators"),
    "summary.rows": ("行数据", "rows"),
    "export.csv": ("导出 CSV", "Export CSV"),
    "export.title": ("按当前筛选条件下载（UTF-8，Excel 可直接打开）", "Download what is filtered on screen (UTF-8, opens in Excel)"),
}

DOMAINS: dict[str, tuple[str, str]] = {
    "boundaries": ("行政区划", "boundaries"), "targets": ("规划目标", "planning targets"),
    "fisheries": ("智慧渔港", "fisheries"), "traffic": ("智慧交通", "traffic"), "water": ("智慧水利", "water"),
    "emergency": ("应急管理", "emergency"), "typhoon": ("台风", "typhoon"),
    "government_service": ("政务服务", "government services"), "economy": ("数字经济", "economy"),
    "infrastructure": ("数字基础设施", "infrastructure"), "data": ("数据资源", "data"),
    "society": ("社会治理与民生", "society"), "environment": ("生态环境", "environment"),
    "security": ("安全", "security"), "other": ("其他", "other"),
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


def fmt_number(value: float | int | None, unit: str = "", lang: str = "zh", digits: int = 1) -> str:
    """Format a number with its unit; Chinese uses 万 and 亿 for large counts."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    sep = "" if unit in ("%", "‰", "") or lang == "zh" else " "
    if lang == "zh" and unit not in ("%", "‰") and abs(v) >= 1e8:
        return f"{v / 1e8:,.{digits}f}亿{unit}"
    if lang == "zh" and unit not in ("%", "‰") and abs(v) >= 1e5:
        return f"{v / 1e4:,.{digits}f}万{unit}"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}{sep}{unit}"
    return f"{v:,.{digits}f}{sep}{unit}"
