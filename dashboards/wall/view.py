"""The wall's panels (per step) and frames: header, steps, ticker, stale and connection states.

Each panel sits in a fixed frame (head with its data time and freshness, body, its own
``dcc.Interval``, and small stores for the refresh protocol, see ``callbacks``). Every step of the
playlist is rendered once and shown or hidden by ``assets/wall.js``: no graph is created or
destroyed while the wall runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from dash import dcc, html

from citybrain import kpi, queries
from citybrain.i18n import reason_text, register, t
from citybrain.semantics import freshness as sem_fresh
from citybrain.store import Store

from . import alerts, panels
from .playlist import Step, WallParams

register({
    "wall.title": ("城市大脑运行指挥中心", "CityBrain Command Centre"),
    "wall.step.overview": ("领导驾驶舱", "Leaders' cockpit"), "wall.step.map": ("态势一张图", "One-map"),
    "wall.step.map-water": ("防汛防台一张图", "Flood defence map"), "wall.step.traffic": ("智慧交通", "Smart traffic"),
    "wall.step.water": ("智慧水利", "Water and flood defence"), "wall.step.emergency": ("应急指挥", "Emergency command"),
    "wall.step.fisheries": ("智慧渔港", "Smart fishing ports"), "wall.step.typhoon": ("防台风回放", "Typhoon replay"),
    "wall.kpis": ("关键指标", "Key indicators"),
    "wall.datatime": ("数据时间", "Data as of"),
    "wall.nodata": ("无时序", "no series"),
    "wall.online": ("在线", "online"), "wall.lost": ("连接中断", "connection lost"),
    "wall.lost.sub": ("正在自动重连", "reconnecting automatically"),
    "wall.lost.since": ("最后连接", "last contact"),
    "wall.paused": ("已暂停轮播（操作中）", "Rotation paused (in use)"),
    "wall.replay": ("回放时刻", "Replay time"),
    "wall.ticker": ("实时告警", "Live alerts"),
})


@dataclass(frozen=True)
class Panel:
    """A panel of a step: ``render(store, region, lang, at, key) -> list[Part]``."""

    name: str
    title_key: str
    datasets: tuple[str, ...]
    render: Callable[..., list[panels.Part]]
    area: str = ""


def _kpis(ids: tuple[str, ...]) -> Callable[..., list[panels.Part]]:
    return lambda store, region, lang, at, key: panels.kpi_board(store, region, lang, at, ids)


def _plain(fn: Callable[..., list[panels.Part]]) -> Callable[..., list[panels.Part]]:
    return lambda store, region, lang, at, key: fn(store, region, lang, at)


def _ind_dataset(ind: str) -> tuple[str, ...]:
    """The dataset whose feed an indicator comes from (its domain), for the stale rule."""
    from citybrain.store import get_store

    d = kpi.definitions(get_store()).get(ind)
    return (d.domain,) if d else ()


def step_panels(step: Step) -> list[Panel]:
    """The panels of ``step`` (dashboards reuse their modules' KPI lists and figures)."""
    if step.kind == "map":
        return [Panel("map", "overview.map", step.datasets,
                      lambda s, r, lang, at, key: panels.one_map(s, r, lang, at, key, step.arg, 900), "full")]
    if step.kind == "kpi":
        ind = step.arg[0]
        return [Panel("hero", "wall.trend", _ind_dataset(ind), lambda s, r, lang, at, key: panels.kpi_hero(s, r, lang, at, ind, key),
                      "full")]
    name = step.arg[0]
    if name == "overview":
        from dashboards.overview import DOMAINS

        return [Panel(f"kpis-{ds}", f"domain.{ds}", (ds,), _kpis(ids), "quarter") for ds, ids in DOMAINS.items()]
    if name == "traffic":
        from dashboards.traffic import KPIS

        return [Panel("kpis", "wall.kpis", ("traffic",), _kpis(KPIS), "top"),
                Panel("flow", "traffic.flow", ("traffic",), panels.flow_heatmap, "wide"),
                Panel("congestion", "wall.congestion", ("traffic",), _plain(panels.congestion_rows), "narrow")]
    if name == "water":
        from dashboards.water import KPIS

        return [Panel("kpis", "wall.kpis", ("water",), _kpis(KPIS), "top"),
                Panel("stations", "wall.stations", ("water",), _plain(panels.station_rows), "half"),
                Panel("rain", "wall.rain", ("water",), _plain(panels.rain_rows), "half")]
    if name == "emergency":
        from dashboards.emergency import KPIS

        return [Panel("kpis", "wall.kpis", ("emergency",), _kpis(KPIS), "top"),
                Panel("incidents", "wall.incidents", ("emergency",), _plain(panels.incident_rows), "half"),
                Panel("funnel", "wall.funnel", ("emergency",), panels.funnel, "half")]
    if name == "fisheries":
        from dashboards.fisheries import KPIS

        return [Panel("kpis", "wall.kpis", ("fisheries",), _kpis(KPIS), "top"),
                Panel("vessels", "wall.vessels", ("fisheries",), _plain(panels.vessel_counts), "half"),
                Panel("ports", "wall.ports", ("fisheries",), panels.ports, "half")]
    if name == "typhoon":
        from dashboards.typhoon import wall as typhoon_wall

        return [Panel("map", "typhoon.map", ("typhoon",), typhoon_wall.map_panel, "wide"),
                Panel("next", "typhoon.wall.next", ("typhoon",), typhoon_wall.next_panel, "narrow"),
                Panel("board", "typhoon.wall.board", ("typhoon",), typhoon_wall.board_panel, "narrow")]
    return []


TICKER = Panel("ticker", "wall.ticker", (), lambda s, r, lang, at, key: alerts.ticker_parts(s, r, lang, at), "ticker")


def panel_by_key(key: str, params_steps: dict[str, Step]) -> Panel | None:
    """The panel a component key (``<step>--<panel>``) names."""
    if key == "ticker":
        return TICKER
    step_id, _, name = key.partition("--")
    step = params_steps.get(step_id)
    return next((p for p in step_panels(step) if p.name == name), None) if step else None


# ------------------------------------------------------------------ freshness
def _when(ts: Any, now: datetime) -> str:
    ts = pd.Timestamp(ts)
    return ts.strftime("%H:%M") if ts.date() == now.date() else ts.strftime("%m-%d %H:%M")


def panel_state(store: Store, region: str, panel: Panel, now: datetime) -> tuple[str, Any, list[str]]:
    """(``fresh`` / ``stale`` / ``none`` / ``na``, the oldest data time, stale dataset names) of a panel,
    from the one rule (``citybrain.semantics.freshness.dataset_states``) measured against ``now``."""
    if not panel.datasets:
        return "none", None, []
    states = sem_fresh.dataset_states(store, region, now)
    mine = [(d, states[d]) for d in panel.datasets if d in states and states[d]["state"] != "na"]
    if not mine:
        return "na", None, []
    last = [s["last_ts"] for _, s in mine if s["last_ts"] is not None]
    stale = [d for d, s in mine if s["state"] == "stale"]
    state = "stale" if stale else ("fresh" if last else "none")
    return state, (min(last) if last else None), stale


def content(store: Store, region: str, lang: str, at: datetime, now: datetime, key: str,
            panel: Panel) -> tuple[list[panels.Part], str, Any, list[str]]:
    """A panel's parts and freshness; a feed that does not apply to the region says so (coverage reason)."""
    state, last, stale = panel_state(store, region, panel, now)
    if state == "na":
        raw = [kpi.applicable(store, region, d)[1] for d in panel.datasets]
        reasons = [reason_text(r, lang) for r in raw]
        title = kpi.na_title(kpi.NOT_LOADED if raw and all(r == kpi.NOT_LOADED for r in raw) else None, lang)
        comp = html.Div(className="wall-na", children=[html.Div("ⓘ " + title, className="wall-na-title"),
                                                       html.P("；".join(r for r in reasons if r))])
        return [panels.Part(panels.sig_of("na", reasons), comp)], state, last, stale
    return panel.render(store, region, lang, at, key), state, last, stale


def head(panel: Panel, lang: str, state: str, last: Any, stale: list[str], now: datetime) -> list[Any]:
    """A panel's title, data time and freshness (icon + text), and the big stale banner."""
    out: list[Any] = [html.H2(t(panel.title_key, lang), className="wall-panel-title")]
    if last is not None:
        out.append(html.Span(f"{t('wall.datatime', lang)} {_when(last, now)}", className="wall-panel-time"))
    if state == "fresh":
        out.append(html.Span(sem_fresh.label("fresh", lang), className="wall-fresh"))
    elif state == "stale":
        out.append(html.Span(sem_fresh.label("stale", lang), className="wall-stale-badge"))
        out.append(html.Div(className="wall-stale-banner", role="alert", children=[
            html.Span(sem_fresh.label("stale", lang)),
            html.Span(f"（{t('fresh.last', lang)} {_when(last, now)}）" if lang == "zh"
                      else f"({t('fresh.last', lang)} {_when(last, now)})")]))
    return out


def panel_class(panel: Panel, state: str) -> str:
    return f"wall-panel wall-area-{panel.area} wall-panel-{state}"


def frame(key: str, panel: Panel, parts: list[panels.Part], head_children: list[Any], cls: str,
          head_sig: str, refresh_ms: int) -> html.Section:
    """A panel's frame with its refresh machinery (interval, request/ack stores, shown signatures)."""
    pid = {"panel": key}
    return html.Section(id={"type": "wall-panel", **pid}, className=cls, children=[
        html.Header(head_children, id={"type": "wall-head", **pid}, className="wall-panel-head"),
        html.Div([p.comp for p in parts], id={"type": "wall-body", **pid}, className="wall-panel-body"),
        dcc.Interval(id={"type": "wall-iv", **pid}, interval=refresh_ms),
        dcc.Store(id={"type": "wall-req", **pid}),
        dcc.Store(id={"type": "wall-ack", **pid}),
        dcc.Store(id={"type": "wall-sink", **pid}),
        dcc.Store(id={"type": "wall-meta", **pid}, data={"sigs": [p.sig for p in parts], "head": head_sig,
                                                          "cls": cls}),
    ])


def refresh_ms(panel: Panel, store: Store, params: WallParams) -> int:
    """A panel refreshes every quarter of its feed's cadence, between 15 s and 60 s (``refresh=`` overrides)."""
    if params.refresh_s:
        return params.refresh_s * 1000
    cad = queries.datasets(store).set_index("name")["cadence_s"]
    c = min([int(cad[d]) for d in panel.datasets if d in cad.index] or [300])
    return int(max(15, min(60, c / 4)) * 1000)


def kpi_ids(store: Store) -> set[str]:
    return set(kpi.definitions(store))
