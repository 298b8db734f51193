"""Progress of planning targets recorded by hand: an analyst or admin reports a value for a year with
its source (统计公报, 部门报送 …) and a note, one at a time (the form on /d/targets, ``POST
/api/v1/targets/progress``) or as a CSV upload. Every report is kept (who, when); the newest report
of the latest year is a target's latest value (``latest``).

A CSV has the header ``region_code,indicator_id,year,value,source,note`` (``note`` may be empty or
left out). A bad file is refused as a whole with the row (its line number, the header being row 1)
and the field named: nothing of it is stored.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from citybrain.ops.db import write
from citybrain.ops.errors import OpsError
from citybrain.ops.tables import target_progress
from citybrain.regions import REGIONS

COLUMNS = ("region_code", "indicator_id", "year", "value", "source", "note")
REQUIRED = ("region_code", "indicator_id", "year", "value", "source")
MIN_YEAR, MAX_YEAR = 2010, 2035
MAX_ROWS = 5000
MAX_BYTES = 1_000_000
MAX_SOURCE, MAX_NOTE = 500, 2000

Key = tuple[str, str]


class BadRow(OpsError):
    """A report that cannot be stored: 400 naming the row (CSV line; absent for a form) and field."""

    def __init__(self, field: str, problem: str, expected: str, got: Any = None, row: int | None = None) -> None:
        details: dict[str, Any] = {"field": field, "expected": expected}
        if row is not None:
            details["row"] = row
        if got is not None:
            details["got"] = str(got)[:80]
        where = f"row {row}, field {field}" if row is not None else f"field {field}"
        super().__init__(f"{where}: {problem}", **details)
        self.row, self.field, self.problem = row, field, problem

    def text(self, lang: str) -> str:
        """The error in the interface language (the field's name stays the column name)."""
        if lang != "zh":
            return self.message
        where = f"第 {self.row} 行，字段 {self.field}" if self.row is not None else f"字段 {self.field}"
        return f"{where}：{PROBLEMS_ZH.get(self.problem, self.problem)}"


#: The problems of ``BadRow`` in Chinese (a cell count is said in ``BadRow.text``'s English form).
PROBLEMS_ZH = {
    "unknown region": "未知地区", "no planning target of this region has this id": "该地区没有此指标的规划目标",
    "not a whole number": "不是整数", "out of range": "超出范围", "not a number": "不是数值",
    "not a finite number": "不是有限数值", "missing or too long": "缺失或过长", "too long": "过长",
    "too large": "文件过大", "not UTF-8 text": "不是 UTF-8 文本", "missing column": "缺少列",
    "unknown column": "未知列", "wrong number of cells": "单元格数与表头不符", "too many rows": "行数过多", "no rows": "没有数据行",
    "not a readable upload": "无法读取上传内容",
}


def check(raw: dict[str, Any], known: set[Key], row: int | None = None) -> dict[str, Any]:
    """One report as stored (``COLUMNS``), or ``BadRow``. ``known``: the (region, indicator) pairs
    that have a target (a report of anything else is refused)."""
    def text(name: str) -> str:
        v = raw.get(name)
        return "" if v is None else str(v).strip()

    region = text("region_code")
    if region not in REGIONS:
        raise BadRow("region_code", "unknown region", "one of " + ", ".join(REGIONS), region, row)
    ind = text("indicator_id")
    if (region, ind) not in known:
        raise BadRow("indicator_id", "no planning target of this region has this id",
                     "the indicator_id of one of the region's targets (see /api/v1/dashboards/targets/views/table)",
                     ind, row)
    y = text("year")
    try:
        year = int(y)
    except ValueError:
        raise BadRow("year", "not a whole number", f"a year from {MIN_YEAR} to {MAX_YEAR}", y, row) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadRow("year", "out of range", f"a year from {MIN_YEAR} to {MAX_YEAR}", y, row)
    v = text("value").replace(",", "")
    try:
        value = float(v)
    except ValueError:
        raise BadRow("value", "not a number", "a number in the target's unit (e.g. 92.5)", v, row) from None
    if not math.isfinite(value):
        raise BadRow("value", "not a finite number", "a number in the target's unit (e.g. 92.5)", v, row)
    source = text("source")
    if not source or len(source) > MAX_SOURCE or "\x00" in source:
        raise BadRow("source", "missing or too long", f"where the value comes from, 1 to {MAX_SOURCE} characters",
                      source or None, row)
    note = text("note")
    if len(note) > MAX_NOTE or "\x00" in note:
        raise BadRow("note", "too long", f"at most {MAX_NOTE} characters", note[:40], row)
    return {"region_code": region, "indicator_id": ind, "year": year, "value": value, "source": source,
            "note": note or None}


def parse_csv(data: bytes, known: set[Key]) -> list[dict[str, Any]]:
    """The reports of a CSV file (UTF-8, a BOM allowed), every row checked, or ``BadRow``."""
    if len(data) > MAX_BYTES:
        raise BadRow("file", "too large", f"at most {MAX_BYTES} bytes", len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRow("file", "not UTF-8 text", "a CSV file in UTF-8", f"byte {exc.start}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadRow(missing[0], "missing column", "a header " + ",".join(COLUMNS), ",".join(header)[:80], 1)
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise BadRow(unknown[0], "unknown column", "only the columns " + ",".join(COLUMNS), unknown[0], 1)
    out = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise BadRow("row", "wrong number of cells", f"{len(header)} comma-separated cells as in the header",
                          len(cells), n)
        if len(out) >= MAX_ROWS:
            raise BadRow("file", "too many rows", f"at most {MAX_ROWS} rows per upload", None, n)
        out.append(check(dict(zip(header, cells)), known, n))
    if not out:
        raise BadRow("file", "no rows", "at least one report below the header", None, 2)
    return out


def record(engine: Engine, reports: Iterable[dict[str, Any]], user: str, now: datetime) -> int:
    """Store checked reports in one transaction (all or none); how many were stored."""
    rows = [{**r, "recorded_by": user, "recorded_at": now} for r in reports]
    if rows:
        with write(engine) as conn:
            conn.execute(target_progress.insert(), rows)
    return len(rows)


def latest(engine: Engine, region: str | None = None) -> dict[Key, dict[str, Any]]:
    """The latest report per (region, indicator): the newest report of its latest year."""
    q = select(target_progress).order_by(target_progress.c.year, target_progress.c.id)
    if region is not None:
        q = q.where(target_progress.c.region_code == region)
    out: dict[Key, dict[str, Any]] = {}
    with engine.connect() as conn:
        for r in conn.execute(q).mappings():
            out[(r["region_code"], r["indicator_id"])] = dict(r)  # later year / later report wins
    return out
