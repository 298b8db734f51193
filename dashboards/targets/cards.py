"""Target progress as cards (the targets page and the cockpit's phone view): the worst first, each with
its status (icon, word, colour), baseline → latest → target and a bar of progress against where it
should be by now."""

from __future__ import annotations

from dash import html

from citybrain.i18n import fmt_number, t
from citybrain.semantics import status as sem_status

from .assess import TRACK, Row

#: How many cards a page shows (the grid holds them all).
MAX_CARDS = 8


def _pct(p: float | None) -> float:
    return 0.0 if p is None else max(0.0, min(p, 1.0)) * 100


def progress_card(r: Row, lang: str) -> html.Div:
    """One target: name, track, baseline → latest → target (years), progress bar with a due mark."""
    st = r["status"]
    name = r["name_zh"] if lang == "zh" else (r["name_en"] or r["name_zh"])
    unit = r["unit"] or ""

    def num(v, u=unit):
        return "—" if v is None else fmt_number(v, u, lang, digits=2)

    p = r["progress"]
    return html.Div(className=f"tg-card tg-card-{st}", children=[
        html.Div(className="kpi-head", children=[
            html.Span(name, className="kpi-name"),
            html.Span(f"{sem_status.ICONS[st]} {t('targets.' + r['track'], lang)}", className=f"kpi-status kpi-{st}")]),
        html.Div(className="tg-card-values", children=[
            html.Span(f"{num(r['baseline'])}" + (f" ({r['baseline_year']})" if r["baseline_year"] else "")),
            html.Span(" → "),
            html.Strong(num(r["latest"]) + (f" ({r['latest_year']})" if r["latest_year"] else "")),
            html.Span(" → "),
            html.Span(f"{num(r['target'], r['unit_target'] or unit)}" + (f" ({r['target_year']})" if r["target_year"] else ""))]),
        html.Div(className="kpi-target", children=[
            f"{t('col.progress', lang)} {'—' if p is None else fmt_number(round(min(p, 9.99) * 100), '%', lang)} · "
            f"{t('col.expected', lang)} {fmt_number(round(r['expected'] * 100), '%', lang)}",
            html.Div(className="kpi-bar tg-bar", children=[
                html.Div(className=f"kpi-bar-fill tg-fill-{st}", style={"width": f"{_pct(p):.0f}%"}),
                html.Div(className="tg-due", style={"left": f"{_pct(r['expected']):.0f}%"})])]),
    ])


def progress_cards(rows: list[Row], lang: str, limit: int = MAX_CARDS) -> list[html.Div]:
    """Cards of the targets with a latest value, worst track first (then furthest behind)."""
    order = {s: i for i, s in enumerate(reversed(TRACK))}  # unmonitored last, off track first after it
    seen = [r for r in rows if r["progress"] is not None]
    seen.sort(key=lambda r: (order[r["track"]], (r["progress"] or 0) - r["expected"]))
    out = [progress_card(r, lang) for r in seen[:limit]]
    return [html.Div(out, className="kpi-cards tg-cards")] if out else [
        html.P(t("targets.unmonitored", lang), className="dash-empty")]
