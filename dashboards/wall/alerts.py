"""The scrolling alert ticker: current warnings and alarms from every feed of a region.

Items come from the KPI statuses (one definition: ``citybrain.kpi.status``), water stations at or
over their warning level, overdue incidents and vessels in alarm. Each item carries its status as
icon + text (never colour alone). The track holds the items twice so a CSS animation can loop it
seamlessly; it is replaced only when the items change, so the scroll does not restart on refresh.
"""

from __future__ import annotations

from datetime import datetime

from dash import html

from citybrain import kpi
from citybrain.i18n import fmt_number, register, t
from citybrain.queries import kpi as qk
from citybrain.store import Store

from .panels import Part, sig_of

register({
    "wall.alert.station": ("水位超警", "Water level over warning"),
    "wall.alert.overdue": ("事件超时", "Overdue incident"),
    "wall.alert.vessels": ("渔船告警", "Vessels in alarm"),
    "wall.alert.none": ("当前无预警告警 · 各项指标正常", "No warnings or alarms · all indicators normal"),
})
MAX_ITEMS = 30


def alert_items(store: Store, region: str, lang: str, at: datetime) -> list[tuple[str, str]]:
    """(status, text) of every current warning and alarm of ``region``, alarms first (at most 30)."""
    from dashboards.overview import DOMAINS

    items: list[tuple[str, str]] = []
    ids = tuple(i for ds, g in DOMAINS.items() if kpi.applicable(store, region, ds)[0] for i in g)
    for kv in kpi.kpi_values(store, region, ids, at):
        if kv.status in ("warning", "alarm"):
            items.append((kv.status, f"{kv.ind.name(lang)} {fmt_number(kv.value, kv.ind.unit, lang)}"))
    if kpi.applicable(store, region, "water")[0]:
        from dashboards.water import station_table

        tab = station_table(qk.entity_latest(store, region, ("water_level",), at), lang)
        for r in tab[tab["margin"].fillna(-1) >= 0].itertuples():
            st = "alarm" if r.guarantee is not None and r.level >= (r.guarantee or 1e9) else "warning"
            items.append((st, f"{t('wall.alert.station', lang)} {r.station} {r.level:.2f} m"))
    if kpi.applicable(store, region, "emergency")[0]:
        op = qk.open_incidents(store, region, at)
        for r in op[op["overdue"].fillna(False).astype(bool)].itertuples():
            items.append(("alarm", f"{t('wall.alert.overdue', lang)} {(r.title_zh if lang == 'zh' else r.title_en) or r.kind}"))
    if kpi.applicable(store, region, "fisheries")[0]:
        vs = qk.vessel_status(store, region, at)
        bad = vs[vs["status"].str.startswith("alarm")]
        if len(bad):
            ids_ = "、".join(bad["entity_id"].head(5).tolist()) + ("…" if len(bad) > 5 else "")
            items.append(("alarm", f"{t('wall.alert.vessels', lang)} "
                                   f"{fmt_number(len(bad), '艘' if lang == 'zh' else '', lang)}：{ids_}"))
    items.sort(key=lambda x: 0 if x[0] == "alarm" else 1)
    return items[:MAX_ITEMS]


def ticker_parts(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    """The ticker track (items twice, for a seamless loop; speed proportional to length)."""
    items = alert_items(store, region, lang, at)
    if not items:
        items = [("normal", t("wall.alert.none", lang))]

    def one(suffix: str) -> list[html.Span]:
        return [html.Span(className=f"wall-tick wall-tick-{st}", children=[
            html.Span(kpi.STATUS_ICON[st], className=f"kpi-{st}", **{"aria-hidden": "true"}), " ",
            html.Strong(t(f"kpi.status.{st}", lang), className=f"kpi-{st}"), " ", text]) for st, text in items]

    chars = sum(len(x[1]) + 8 for x in items)
    secs = max(20, round(chars * 0.35))
    track = html.Div(one("a") + one("b"), className="wall-ticker-track", style={"animationDuration": f"{secs}s"})
    return [Part(sig_of(items, lang), track)]
