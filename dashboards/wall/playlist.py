"""The wall's playlist and URL parameters: which steps rotate, for how long, on which canvas.

A step is one full-canvas view: a dashboard (``overview``, ``traffic``, ``water``, ``emergency``,
``fisheries``, ``typhoon``: a typhoon replay), the one-map with a layer preset (``map``, ``map-water``), or a single KPI board
(``kpi-<indicator>``). ``playlist=`` names a preset or lists step ids (comma separated);
``interval=`` gives every step the same duration in seconds; ``canvas=WxH`` the design canvas;
``refresh=`` every panel's refresh period in seconds; ``idle=`` how long after the last touch the
rotation resumes; ``now=`` (test and replay aid only) the moment the stale rule measures against
instead of the real clock in China Standard Time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
DEFAULT_CANVAS = (1920, 1080)
#: Canvas sizes are clamped to this range (a spliced 8K wall is 7680x4320; a design canvas never needs more).
CANVAS_MIN, CANVAS_MAX = 640, 7680


@dataclass(frozen=True)
class Step:
    """One view of the playlist: ``kind`` is dashboard / map / kpi; ``arg`` its dashboard, layers or indicator."""

    id: str
    kind: str
    arg: tuple[str, ...]
    duration_s: int = 30
    datasets: tuple[str, ...] = field(default=())


#: Every known step (a ``kpi-<indicator>`` step is made on demand for any indicator).
STEPS: dict[str, Step] = {s.id: s for s in [
    Step("overview", "dashboard", ("overview",), 40, ("fisheries", "traffic", "water", "emergency")),
    Step("map", "map", ("fisheries", "traffic", "water", "emergency"), 40, ("fisheries", "traffic", "water", "emergency")),
    Step("map-water", "map", ("water", "emergency"), 30, ("water", "emergency")),
    Step("traffic", "dashboard", ("traffic",), 30, ("traffic",)),
    Step("water", "dashboard", ("water",), 30, ("water",)),
    Step("emergency", "dashboard", ("emergency",), 30, ("emergency",)),
    Step("fisheries", "dashboard", ("fisheries",), 30, ("fisheries",)),
    Step("typhoon", "dashboard", ("typhoon",), 60, ("typhoon",)),
]}

#: Named playlists.
PRESETS: dict[str, tuple[str, ...]] = {
    "default": ("overview", "map", "traffic", "water", "emergency", "fisheries", "kpi-congestion_index"),
    "flood": ("water", "map-water", "emergency", "kpi-stations_over_warning"),
    "traffic": ("traffic", "map", "kpi-congestion_index"),
    "brief": ("overview", "map"),
    "typhoon": ("typhoon", "water", "emergency"),
}


@dataclass(frozen=True)
class WallParams:
    """The wall's parsed URL parameters."""

    steps: tuple[Step, ...]
    canvas: tuple[int, int] = DEFAULT_CANVAS
    refresh_s: int | None = None
    idle_s: int = 30
    now: datetime | None = None
    token: str | None = None


#: The wall's design height: every wall is laid out 1080 units high, so its type is the same share of
#: the wall's height on any canvas (a 3840×2160 wall shows the 1080 design at twice the size).
DESIGN_HEIGHT = 1080


def design_size(canvas: tuple[int, int]) -> tuple[int, int]:
    """The layout size of a wall whose screen (or splice of screens) is ``canvas`` pixels: its aspect
    at the design height — 3840×2160 → 1920×1080, a 3×1 splice 5760×1080 → 5760×1080, 7680×2160
    (4×2 of 1080p) → 3840×1080. ``wall.js`` scales it to fill the screen."""
    w, h = canvas
    return round(w * DESIGN_HEIGHT / h), DESIGN_HEIGHT


def _int(v: str | None, lo: int, hi: int) -> int | None:
    try:
        return max(lo, min(hi, int(float(v)))) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def parse_canvas(v: str | None) -> tuple[int, int]:
    """``1920x1080`` (or ``1920*1080``) -> (1920, 1080); anything else -> the default canvas."""
    m = re.fullmatch(r"\s*(\d{3,5})\s*[xX×*]\s*(\d{3,5})\s*", v or "")
    if not m:
        return DEFAULT_CANVAS
    return (max(CANVAS_MIN, min(CANVAS_MAX, int(m.group(1)))), max(CANVAS_MIN // 2, min(CANVAS_MAX, int(m.group(2)))))


def parse_now(v: str | None) -> datetime | None:
    """An ISO local time (China Standard Time) or None; a time zone, if given, is converted to CST."""
    if not v:
        return None
    try:
        d = datetime.fromisoformat(v.strip().replace(" ", "T"))
    except ValueError:
        return None
    return d.astimezone(CST).replace(tzinfo=None) if d.tzinfo else d


def real_now() -> datetime:
    """The wall clock in China Standard Time (naive, like the store's times): the one clock of
    ``citybrain.semantics.freshness`` (the real time unless CITYBRAIN_CLOCK fixes it)."""
    from citybrain.semantics.freshness import now

    return now()


def step_for(step_id: str, known_indicators: set[str] | None = None) -> Step | None:
    """The step called ``step_id`` (``kpi-<indicator>`` for any known indicator), or None."""
    if step_id in STEPS:
        return STEPS[step_id]
    if step_id.startswith("kpi-"):
        ind = step_id[4:]
        if known_indicators is None or ind in known_indicators:
            return Step(step_id, "kpi", (ind,), 25)
    return None


def parse(query: dict[str, str], known_indicators: set[str] | None = None) -> WallParams:
    """Wall parameters from the page's query; unknown steps are dropped, bad values fall back."""
    raw = (query.get("playlist") or "default").strip()
    ids = PRESETS.get(raw) or tuple(s.strip() for s in raw.split(",") if s.strip())
    steps = [s for s in (step_for(i, known_indicators) for i in ids) if s is not None]
    seen: set[str] = set()
    steps = [s for s in steps if not (s.id in seen or seen.add(s.id))][:12] or [step_for(i) for i in PRESETS["default"]]
    interval = _int(query.get("interval"), 3, 3600)
    if interval:
        steps = [replace(s, duration_s=interval) for s in steps]
    return WallParams(steps=tuple(steps), canvas=parse_canvas(query.get("canvas")),
                      refresh_s=_int(query.get("refresh"), 2, 3600), idle_s=_int(query.get("idle"), 1, 3600) or 30,
                      now=parse_now(query.get("now")), token=query.get("token") or None)
