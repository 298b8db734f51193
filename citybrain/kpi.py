"""KPI semantics, one definition everywhere: status, change, target progress, card and drill-down.

An indicator's definition (unit, direction, warn/alarm thresholds) comes from the ``indicators``
table. ``status`` is the one rule for normal / warning / alarm; ``kpi_values`` gives what a card
(or the wall, or an export) shows for a region at a moment; ``card`` draws it with colour AND icon
AND text, a sparkline, target progress and an export link to ``/api/v1/observations.csv`` with
exactly the card's filters; ``kpi.page`` places the drill-down panel (``citybrain.ui.drill``) that
gives every dashboard the same drill-down by time range and region.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from citybrain import cache, queries

from citybrain.i18n import register, t
from citybrain.queries import kpi as qk
from citybrain.semantics import freshness, periods, scope
from citybrain.semantics import status as sem_status
from citybrain.store import Store, get_store
from citybrain.store.facets import ANCHOR
from citybrain import context
from citybrain.warm import kinds as warm_kinds
from citybrain.warm import notes as warm_notes

log = logging.getLogger(__name__)
#: Live indicators that measure a planning indicator of the targets table.
TARGET_LINKS = {"supervision_coverage": "fishing_vessel_digital_coverage_rate"}

register({
    "kpi.asof": ("截至", "as of"), "kpi.vs1d": ("较昨日", "vs yesterday"), "kpi.vs7d": ("较上周", "vs last week"),
    "kpi.running": ("今日截至 {t}（进行中）", "Today up to {t} (running)"),
    "kpi.vs1d.same": ("较昨日同时段", "vs same hours yesterday"),
    "kpi.vs7d.same": ("较上周同时段", "vs same hours last week"),
    "kpi.target": ("目标", "target"), "kpi.progress": ("完成度", "progress"),
    "kpi.drill": ("点击查看趋势与地区对比", "Click for trend and region comparison"),
    "kpi.drill.range": ("时间范围", "Time range"), "kpi.drill.close": ("关闭", "Close"),
    "kpi.drill.series": ("趋势", "Trend"), "kpi.drill.regions": ("各地区最新值对比", "Latest value by region"),
    "kpi.range.1d": ("近24小时", "24 h"), "kpi.range.7d": ("近7天", "7 days"),
    "kpi.range.30d": ("近30天", "30 days"), "kpi.range.90d": ("近90天", "90 days"),
    "kpi.na": ("本地区不适用", "Not applicable in this region"),
    "kpi.not_loaded": ("数据集未载入", "Dataset not loaded"),
    "kpi.empty": ("所选时段无数据", "No data in the selected period"),
})


@dataclass(frozen=True)
class Indicator:
    """An indicator's definition as the indicators table gives it."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    domain: str
    direction: str
    warn: float | None
    alarm: float | None
    cadence_s: int
    dataset: str = ""

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass
class KpiValue:
    """What a KPI card shows for one indicator in one region at one moment."""

    ind: Indicator
    region: str
    value: float | None
    ts: datetime | None
    value_1d: float | None = None
    value_7d: float | None = None
    spark: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["ts", "value"]))
    target: dict[str, Any] | None = None
    #: The value's period is still running (quality ``partial``); value_1d/value_7d then hold the same
    #: hours of the day and the week before (``citybrain.semantics.periods``).
    running: bool = False
    #: The indicator's series is overdue against its cadence (``citybrain.semantics.freshness``).
    stale: bool = False
    #: The moment the screen shows (the end of a running period so far).
    at: datetime | None = None

    def asof_text(self, lang: str) -> str:
        """'截至 12-02 09:00', or for a running period '今日截至 09:10（进行中）' (the one wording)."""
        if self.running and self.at is not None:
            return t("kpi.running", lang).format(t=f"{self.at:%H:%M}")
        when = pd.Timestamp(self.ts).strftime("%m-%d %H:%M") if self.ts is not None else "—"
        return f"{t('kpi.asof', lang)} {when}"

    def change_label(self, days: int) -> str:
        """The message key of the change against ``days`` (1 or 7) before: the same hours when running."""
        return f"kpi.vs{days}d" + (".same" if self.running else "")

    @property
    def status(self) -> str:
        return status(self.value, self.ind)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


_DEFS: dict[str, dict[str, Indicator]] = {}


def definitions(store: Store) -> dict[str, Indicator]:
    """Every indicator's definition, by id (built once per build of the store in this process: the
    indicators are a dimension table)."""
    version = store.facet("base")  # the indicators are dimensions: only a build changes them
    hit = _DEFS.get(version)
    if hit is not None:
        return hit
    df = queries.indicators(store)
    defs = {r.indicator_id: Indicator(r.indicator_id, r.name_zh, r.name_en, r.unit, r.domain, r.direction,
                                      _num(r.warn), _num(r.alarm), int(r.cadence_s), r.dataset) for r in df.itertuples()}
    _DEFS.clear()  # one data version is served at a time
    _DEFS[version] = defs
    return defs


def status(value: float | None, ind: Indicator) -> str:
    """The status of ``value`` against ``ind``'s thresholds: ``citybrain.semantics.status.status``."""
    return sem_status.status(value, ind.warn, ind.alarm, ind.direction)


def target_progress(baseline: float | None, latest: float | None, target: float | None) -> float | None:
    """How far ``latest`` has come from the baseline (0 when none) to the target:
    (latest − baseline) / (target − baseline). It reads the same whichever way the target lies — a
    target below its baseline (days to approve 12 → 3) counts a fall as progress — 1 is the target met,
    more than 1 beyond it, a negative value a move away from the target."""
    if latest is None or target is None or pd.isna(latest) or pd.isna(target):
        return None
    base = 0.0 if baseline is None or pd.isna(baseline) else float(baseline)
    if target == base:
        return 1.0 if latest == target else 0.0
    return (float(latest) - base) / (float(target) - base)


def target_direction(baseline: float | None, target: float | None) -> str:
    """'down' for a target below its baseline (less is better), else 'up'."""
    if baseline is None or target is None or pd.isna(baseline) or pd.isna(target):
        return "up"
    return "down" if float(target) < float(baseline) else "up"


def kpi_values(store: Store, region: str, ids: tuple[str, ...], at: datetime) -> list[KpiValue]:
    """Card values for ``ids`` in ``region`` at ``at`` (two queries, both cached); a running period
    is compared with the same hours before, a stale feed is marked. An indicator the store does not
    define (its dataset is not loaded, e.g. a store built with ``--only``) has no card."""
    defs = definitions(store)
    ids = tuple(i for i in ids if i in defs)
    now = freshness.now()
    snap = qk.snapshot(store, region, ids, at)
    sp = qk.sparks(store, region, ids, at)
    rows = {r.indicator_id: r for r in snap.itertuples(index=False)}
    links = {i: TARGET_LINKS[i] for i in ids if i in TARGET_LINKS}
    tg = qk.target_rows(store, region)
    # the first row per linked target id (what ``set_index(...).loc[tid]`` gave for a unique id)
    tpos: dict[str, int] = {}
    if links:
        wanted = set(links.values())
        for n, tid in enumerate(tg["indicator_id"].tolist()):
            if tid in wanted and tid not in tpos:
                tpos[tid] = n
    # sparks are ordered by indicator: slice each indicator's run instead of filtering per card
    spv = sp[["ts", "value"]]
    keys = sp["indicator_id"].tolist()
    bounds: dict[str, list[int]] = {}
    for n, k in enumerate(keys):
        b = bounds.setdefault(k, [n, n])
        b[1] = n + 1
    groups = {k: spv.iloc[a:b] for k, (a, b) in bounds.items()}
    empty = spv.iloc[0:0]
    out = []
    for i in ids:
        row = rows.get(i)
        kv = KpiValue(defs[i], region, _num(row.value) if row is not None else None,
                      row.ts if row is not None else None,
                      _num(row.value_1d) if row is not None else None,
                      _num(row.value_7d) if row is not None else None,
                      groups.get(i, empty), at=at)
        # a card is stale when its own series is overdue against its own cadence (as the catalog's row)
        kv.stale = freshness.freshness(kv.ts, defs[i].cadence_s, now) == "stale"
        if row is not None and periods.is_running(getattr(row, "quality", None)):
            kv.running = True
            kv.value_1d, kv.value_7d = periods.comparisons(store, region, i, row.ts, at)
        tid = links.get(i)
        if tid in tpos:
            r = tg.iloc[tpos[tid]]
            kv.target = {"id": tid, "value": _num(r["target"]), "year": r["target_year"], "unit": r["unit_target"],
                         "progress": target_progress(_num(r["baseline"]), kv.value, _num(r["target"]))}
        out.append(kv)
    return out


def memo(store: Store, name: str, parts: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """``build()`` memoised in the shared cache under (``name``, ``parts``) at the versions of what it
    reads (``cache.memoised``)."""
    raw = json.dumps(parts, default=str, ensure_ascii=False).encode()
    return cache.memoised(store, f"memo:{name}:{hashlib.sha1(raw).hexdigest()}", build)


def cached_layout(module_id: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Memoise a module's ``layout(region, lang, **query)`` per (region, lang) at the versions of what
    it reads (``memo``).

    Everything a page shows (values, "as of" times) comes from the store at its anchor, so the versions
    in the key keep a cached page exactly as fresh as a rebuilt one; which feeds are overdue depends on
    the clock too, so the set of stale datasets and the minute are part of the key; other query
    parameters are ignored by the layouts and are not part of the key. The data version the page is
    served at is stamped on it afterwards (``ui.page.stamp_live_version``). ``layout.uncached`` builds
    without the memo."""

    from citybrain.ui.page import stamp_live_version

    warm_kind = f"layout:{module_id}"

    def deco(build: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(build)
        def layout(region: str | None = None, lang: str | None = None, **q: Any) -> Any:
            store, region, lang, _at = resolve(region, lang)
            warm_notes.note(warm_kind, region, lang)  # the warmer rebuilds it for each new version
            now = freshness.now()
            # staleness moves with the clock: the key holds the stale feeds and the minute, so a cached
            # page is never more than a minute behind the clock's verdict
            stale = tuple(freshness.stale_datasets(store, region, now))
            tree = memo(store, f"layout.{module_id}", (region, lang, stale, f"{now:%Y%m%d%H%M}"),
                        lambda: build(region=region, lang=lang))
            return stamp_live_version(tree, store)

        def uncached(region: str | None = None, lang: str | None = None, **q: Any) -> Any:
            return stamp_live_version(build(region=region, lang=lang, **q), get_store())

        layout.uncached = uncached  # type: ignore[attr-defined]
        warm_kinds.register(warm_kind, lambda region, lang: layout(region, lang))
        return layout

    return deco


def resolve(region: str | None, lang: str | None) -> tuple[Store, str, str, datetime]:
    """Store, valid region and language (defaults from settings), and the store's 'now'."""
    from citybrain.regions import REGIONS
    
    st = context.current().settings
    store = get_store()
    return (store, region if region in REGIONS else st.region, lang if lang in ("zh", "en") else st.lang,
            _anchor(store))


_ANCHOR: dict[str, datetime] = {}


def _anchor(store: Store) -> datetime:
    """``queries.anchor`` once per version of the anchor facet in this process, so a page build does not
    re-read the meta table per helper."""
    version = store.facet(ANCHOR)
    cache.note_facets((ANCHOR,))  # a cached build that asks for 'now' depends on it
    hit = _ANCHOR.get(version)
    if hit is None:
        hit = queries.anchor(store)
        _ANCHOR.clear()  # one data version is served at a time
        _ANCHOR[version] = hit
    return hit


NOT_LOADED = scope.NOT_LOADED


def na_title(reason: str | None, lang: str) -> str:
    """The headline of a 'not here' panel: not applicable in the region, or not loaded at all."""
    return t("kpi.not_loaded" if reason == NOT_LOADED else "kpi.na", lang)


def applicable(store: Store, region: str, dataset: str) -> tuple[bool, str | None]:
    """Whether ``dataset`` applies to ``region`` and, if not, the reason (``semantics.scope.applicable``)."""
    return scope.applicable(store, region, dataset)


def coverage_map(store: Store, region: str) -> dict[str, tuple[bool, str | None]]:
    """``applicable`` for every dataset (``citybrain.semantics.scope.coverage_map``)."""
    return scope.coverage_map(store, region)
