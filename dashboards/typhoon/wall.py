"""The typhoon step of the wall (playlist preset ``typhoon``): the map with circles, the places the
30-kt circle reaches next, and the boards' headline rows. While a stored typhoon is replayed as live
feeds (``citybrain simulate --typhoon``) the wall shows that storm at the storm time of its latest
live position, with /map and the cockpit. Otherwise the wall replays the region's default storm as if
live: its clock runs the replay at ``WALL_SPEED`` × over the 72 h around the circle's arrival,
looping, so every panel moves together and keeps moving for days."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from citybrain.i18n import fmt_number, register, t
from citybrain.semantics.freshness import now as clock_now
from citybrain.store import Store
from citybrain.typhoon import fleet as fl
from citybrain.typhoon import replay as rp

WALL_SPEED = 600
LOOP_H = 72

register({"typhoon.wall.next": ("7 级风圈到达时间", "Arrival of the 30-kt circle"),
          "typhoon.wall.board": ("防台风态势", "Typhoon board"),
          "typhoon.wall.boats_sea": ("在海渔船（模拟）", "Boats at sea (simulated)"),
          "typhoon.wall.boats_in": ("7 级风圈内渔船", "Boats inside the 30-kt circle"),
          "typhoon.wall.moved": ("已转移 / 计划（模拟）", "Moved / planned (simulated)"),
          "typhoon.wall.reservoirs": ("超汛限水库", "Reservoirs over flood limit")})


def replay_at(store: Store, region: str, track_id: str, now: datetime | None = None) -> pd.Timestamp:
    """The wall's replay time now: 24 h before the page's default moment, advancing ``WALL_SPEED`` ×."""
    from . import default_at

    meta = rp.storm_meta(store, track_id)
    start = default_at(store, track_id, region) - pd.Timedelta(hours=24)
    secs = (pd.Timestamp(now or clock_now()) - pd.Timestamp("2000-01-01")).total_seconds() * WALL_SPEED
    at = start + pd.Timedelta(seconds=secs % (LOOP_H * 3600))
    return min(max(at, pd.Timestamp(meta["first_ts"])), pd.Timestamp(meta["last_ts"])).floor("min")


def _pick(store: Store, region: str) -> tuple[str | None, pd.Timestamp | None]:
    """A live replay's storm at the storm time of its latest live position (so the wall moves with /map
    and the cockpit), else the region's default storm on the wall's own looping clock."""
    live = rp.live_replay(store, region)
    if live is not None:
        return live
    tid = rp.default_track(store, region)
    return (tid, replay_at(store, region, tid)) if tid else (None, None)


def map_panel(store: Store, region: str, lang: str, at: datetime, key: str) -> list:
    from dashboards.wall import panels

    from . import mapfig

    tid, rat = _pick(store, region)
    if tid is None:
        return [panels.row_list([], lang)]
    track = store.df("SELECT ts, lon, lat, grade FROM tracks WHERE kind = 'typhoon' AND track_id = ? ORDER BY ts", [tid])
    fleet = rp.fleet_frame(store, tid, region, rat, fl.Bands())
    # the wall's design canvas (1920×1080, scaled to the screen): the map panel is about 1080×820 px
    fig = mapfig.figure(store, region, rp.tq.storm_path(store, tid), track, rat, fleet, lang, size=(1040, 780), fill=True)
    fig["layout"]["legend"]["font"] = {"size": 20, "color": "#e6f1ff"}
    fig["layout"]["annotations"] = [{"text": f"{t('wall.replay', lang)} {rat:%Y-%m-%d %H:%M}", "x": 0.99, "y": 0.01,
                                     "xref": "paper", "yref": "paper", "xanchor": "right", "showarrow": False,
                                     "font": {"size": 24, "color": "#ffd1e0"}}]
    return [panels.graph(key, fig, lang=lang)]


def next_panel(store: Store, region: str, lang: str, at: datetime, key: str) -> list:
    from dashboards.wall import panels

    from . import boards

    tid, rat = _pick(store, region)
    if tid is None:
        return [panels.row_list([], lang)]
    e = boards.exposure_rows(store, tid, region, rat, lang)
    rows = [(s, n, a) for s, n, a in zip(e["status"], e["name"], e["arrival_30kt"])]
    return [panels.row_list(rows, lang, limit=10)]


def board_panel(store: Store, region: str, lang: str, at: datetime, key: str) -> list:
    from dashboards.wall import panels

    from . import boards

    tid, rat = _pick(store, region)
    if tid is None:
        return [panels.row_list([], lang)]
    levels = rp.response_levels(store, tid, region)
    lv = rp.level_at(levels, rat)
    f = rp.fleet_frame(store, tid, region, rat, fl.Bands())
    sea = int((f["state"] != "in_port").sum()) if len(f) else 0
    inside = int((f["status"] == "alarm").sum()) if len(f) else 0
    towns = rp.towns_moved(store, tid, region, rat)
    res = rp.reservoirs(store, region, rat)
    over = int((res["status"] != "normal").sum() - res["status"].isin(["none", "nodata"]).sum())
    boat = "艘" if lang == "zh" else ""
    rows = [("alarm" if lv in ("I", "II") else "warning" if lv else "normal", t("typhoon.level", lang),
             boards.level_text(lv, lang)),
            ("warning" if sea else "normal", t("typhoon.wall.boats_sea", lang), fmt_number(sea, boat, lang, 0)),
            ("alarm" if inside else "normal", t("typhoon.wall.boats_in", lang), fmt_number(inside, boat, lang, 0)),
            ("normal", t("typhoon.wall.moved", lang),
             f"{fmt_number(towns['moved'].sum(), '人', lang, 0)} / {fmt_number(towns['planned'].sum(), '人', lang, 0)}"),
            ("warning" if over else "normal", t("typhoon.wall.reservoirs", lang), fmt_number(over, "座" if lang == "zh" else "", lang, 0))]
    return [panels.row_list(rows, lang)]
