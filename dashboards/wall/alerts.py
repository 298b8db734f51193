"""The scrolling alert ticker: the region's alarm set (``citybrain.semantics.alarms``), the same set the
cockpit header counts, /map lists and ``/api/v1/alarms`` serves.

The track starts with the counts, then names the items (alarms first, at most ``MAX_ITEMS``); each
carries its status as icon + text (never colour alone). The track holds the items twice so a CSS
animation can loop it seamlessly; it is replaced only when the items change, so the scroll does not
restart on refresh.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import html

from citybrain.i18n import register, t
from citybrain.semantics.alarms import alarm_set, counts
from citybrain.semantics.status import ICONS, word as status_word
from citybrain.store import Store
from citybrain.ui import duty

from .panels import Part, sig_of

register({
    "wall.alert.none": ("当前无预警告警 · 各项指标正常", "No warnings or alarms · all indicators normal"),
    "wall.alert.counts": ("告警 {a} 项 · 预警 {w} 项", "{a} alarms · {w} warnings"),
    "wall.alert.more": ("另有 {n} 项见一张图", "{n} more on the one-map"),
    "wall.unacked": ("▲ 未确认告警 {n} 项", "▲ {n} unacknowledged"),
})
MAX_ITEMS = 30


def alert_items(store: Store, region: str, lang: str, at: datetime) -> list[tuple[str, str, str]]:
    """(id, status, text) of the first ``MAX_ITEMS`` items of the region's alarm set."""
    raised = alarm_set(store, region, at)
    return [(r.id, r.severity, r.title_zh if lang == "zh" else r.title_en) for r in raised.head(MAX_ITEMS).itertuples()]


def ticker_parts(store: Store, region: str, lang: str, at: datetime) -> list[Part]:
    """The ticker track (items twice, for a seamless loop; speed proportional to length)."""
    raised = alarm_set(store, region, at)
    items = alert_items(store, region, lang, at)
    n = counts(raised)
    if not items:
        ticks = [html.Span(className="wall-tick wall-tick-normal", children=[
            html.Span(ICONS["normal"], className="kpi-normal", **{"aria-hidden": "true"}), " ",
            t("wall.alert.none", lang)])]
    else:
        ticks = [html.Span(t("wall.alert.counts", lang).format(a=n["alarm"], w=n["warning"]),
                           className="wall-tick wall-tick-count")]
        ticks += [html.Span(className=f"wall-tick wall-tick-{st}", **{"data-alarm": aid}, children=[
            html.Span(ICONS[st], className=f"kpi-{st}", **{"aria-hidden": "true"}), " ",
            html.Strong(status_word(st, lang), className=f"kpi-{st}"), " ", text]) for aid, st, text in items]
        if len(raised) > len(items):
            ticks.append(html.Span(t("wall.alert.more", lang).format(n=len(raised) - len(items)),
                                   className="wall-tick wall-tick-count"))
    chars = sum(len(x[2]) + 8 for x in items) + 20
    secs = max(20, round(chars * 0.35))
    track = html.Div(ticks + ticks, className="wall-ticker-track", style={"animationDuration": f"{secs}s"})
    return [Part(sig_of(items, lang, n["alarm"], n["warning"]), track), unacked_part(raised, lang)]


def unacked_part(raised: pd.DataFrame, lang: str) -> Part:
    """How many alarms of the set nobody has acknowledged (``citybrain.ui.duty``), as a marker that
    ``assets/wall.js`` turns into the flashing border, the header badge and the optional tone. The
    wall only shows it: acknowledging is the duty officer's, on /map, /alarms or the cockpit."""
    n = duty.unacknowledged(raised)
    text = t("wall.unacked", lang).format(n=n) if n else ""
    mark = html.Span(text, className="wall-unacked-mark", **{"data-unacked": str(n), "aria-hidden": "true"})
    return Part(sig_of("unacked", n, lang), mark)
