"""The simulated alert episode of each region (强风/天文大潮、强降雨……) in the last 14 days.

Every region gets one short episode that ends (usually) before ``ctx.anchor``: an alert is issued,
people in exposed places move to shelters (ramp), stay (plateau), and go home after the alert is
lifted (decline). The kind of episode follows the season and the coast: typhoon outer bands with
an astronomical spring tide in Jun–Oct on the coast, a cold-wave gale with spring tide in Nov–Mar,
convective gales in Apr–May; inland Lixin gets a rainstorm (May–Sep) or sleet and freezing rain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

HOUR = np.timedelta64(1, "h")

#: (kind, name_zh, name_en) by (coastal, month group).
_COASTAL = {
    "summer": ("typhoon_tide", "台风外围影响叠加天文大潮", "typhoon outer bands with astronomical spring tide"),
    "winter": ("cold_wave_tide", "寒潮大风叠加天文大潮", "cold-wave gale with astronomical spring tide"),
    "spring": ("convective_gale", "强对流大风", "severe convective gale"),
}
_INLAND = {
    "wet": ("rainstorm", "强降雨内涝", "rainstorm and waterlogging"),
    "dry": ("sleet_freeze", "雨雪冰冻", "sleet and freezing rain"),
}


@dataclass(frozen=True)
class Episode:
    """One alert episode of a region; times are China Standard Time, naive."""

    region_code: str
    kind: str
    name_zh: str
    name_en: str
    coastal: bool
    alert_at: np.datetime64     # 预警发布
    evac_start: np.datetime64   # 转移开始
    peak_at: np.datetime64      # 转移完成（达到峰值）
    release_at: np.datetime64   # 预警解除，开始返家
    end_at: np.datetime64       # 全部返家
    scale: float                # 暴露安置点的峰值容纳率（0–1）

    def profile(self, ts: np.ndarray, shift_h: float = 0.0) -> np.ndarray:
        """Share of the peak occupancy (0..1) at ``ts``; ``shift_h`` moves one shelter's curve."""
        t = (ts.astype("datetime64[us]") - self.evac_start).astype("float64") / 3.6e9 - shift_h
        ramp = (self.peak_at - self.evac_start).astype("timedelta64[us]").astype("float64") / 3.6e9
        hold = (self.release_at - self.evac_start).astype("timedelta64[us]").astype("float64") / 3.6e9
        down = (self.end_at - self.release_at).astype("timedelta64[us]").astype("float64") / 3.6e9
        x = np.clip(t / ramp, 0.0, 1.0)
        up = x * x * (3.0 - 2.0 * x)                       # smooth arrival over the ramp
        after = np.clip(1.0 - (t - hold) / down, 0.0, 1.0)  # linear return home
        return np.where(t < hold, up, after)

    def active(self, ts: np.datetime64) -> bool:
        """True while the alert is in force (alert issued, people not yet all home)."""
        return bool(self.alert_at <= ts < self.end_at)


def _season(month: int, coastal: bool) -> tuple[str, str, str]:
    if coastal:
        key = "summer" if 6 <= month <= 10 else ("spring" if month in (4, 5) else "winter")
        return _COASTAL[key]
    return _INLAND["wet" if 5 <= month <= 9 else "dry"]


def make_episode(rng: np.random.Generator, region_code: str, coastal: bool, anchor: datetime) -> Episode:
    """The region's episode: alert 2.5–10 days before the anchor, in the daytime, 1.5–3 days long."""
    days_back = rng.uniform(2.5, 10.0)
    alert = anchor - timedelta(days=days_back)
    alert = alert.replace(hour=int(rng.integers(7, 19)), minute=0, second=0, microsecond=0)
    kind, zh, en = _season(alert.month, coastal)
    a = np.datetime64(alert, "us")
    evac = a + np.timedelta64(int(rng.integers(2, 7) * 60), "m")
    peak = evac + np.timedelta64(int(rng.integers(5, 10) * 60), "m")
    release = peak + np.timedelta64(int(rng.integers(14, 31) * 60), "m")
    end = release + np.timedelta64(int(rng.integers(8, 17) * 60), "m")
    scale = float(rng.uniform(0.35, 0.65) if coastal else rng.uniform(0.2, 0.4))
    return Episode(region_code, kind, zh, en, coastal, a, evac, peak, release, end, scale)
