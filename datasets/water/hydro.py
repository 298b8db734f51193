"""Hydrological generator of the ``water`` dataset: rain, river/reservoir levels, tides, storage.

Pure numpy functions, deterministic given the ``numpy.random.Generator`` they are handed (the loader
passes ``ctx.rng(...)`` streams). Arrays are hourly, shaped ``(hours, stations)``.

Model, in short (every constant is documented in the manifest's ``assumptions``):
- background rain: rain events arrive as a Poisson process whose rate follows each region's monthly
  climatology (more events, deeper, in the Zhejiang plum-rain season 15 Jun – 15 Jul); an event is a
  sine-shaped burst of 1–48 h shared by the region's stations with a per-station factor; summer
  convective showers are added per station;
- typhoon rain: each real best track (interpolated hourly) rains on every station as
  ``peak × intensity × exp(-(d/180 km)^1.6)`` times intermittent random rain bands, capped at 80 mm/h
  (closer storm, heavier rain); the same distance gives a storm-surge factor for tide stations;
- levels: a station's "effective rain" is the rain convolved with a gamma(2) unit hydrograph whose lag
  is hours for small rivers, about a day for reservoirs and two days for big rivers; the level rises
  above its seasonal base as ``(effective rain / s_warn)^0.75`` scaled so that ``s_warn`` reaches the
  warning level; tide stations add M2/S2/K1/O1 constituents and surge;
- reservoir storage follows a power-law stage–storage curve through dead and normal pool levels, and
  changes no faster than its inflow allows (``limit_storage``: rain routed through the unit hydrograph
  over the catchment, runoff coefficient 0.8, plus base flow; releases bounded); where that bounds the
  storage the level is read back from the curve (``level_of_storage``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from citybrain.geo import haversine_m

#: Tidal constituents: period (h) and amplitude relative to M2.
TIDES = {"M2": (12.4206012, 1.0), "S2": (12.0, 0.3), "K1": (23.9344697, 0.15), "O1": (25.8193417, 0.1)}
#: Plum-rain season (梅雨), applied to the Zhejiang regions: (month, day) start inclusive, end exclusive.
PLUM = ((6, 15), (7, 15))
PLUM_RATE, PLUM_DEPTH = 2.2, 1.3
TYPHOON_RAIN_KM, TYPHOON_RAIN_POW, TYPHOON_RAIN_CAP = 180.0, 1.6, 80.0
#: Background (non-typhoon) rain: hourly cap (mm) and the slowest mean intensity of an event (mm/h).
BACKGROUND_CAP, EVENT_MAX_RATE = 60.0, 6.0
SURGE_KM = 150.0
#: Storage mass balance: runoff coefficient, base inflow and largest release (fractions of the normal
#: storage per hour), catchment assumed where none is known (km²).
RUNOFF, BASEFLOW_FRAC_H, RELEASE_FRAC_H, DEFAULT_CATCHMENT_KM2 = 0.8, 0.0005, 0.004, 50.0
#: The anchor's local downpour: fraction of the region's monthly climate total, and its cap (mm).
DOWNPOUR_FRAC, DOWNPOUR_MAX_MM = (0.5, 0.9), 130.0
EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


@dataclass(frozen=True)
class Climate:
    """Rain climatology of a region: mean monthly totals (mm), mean event depth (mm), plum season."""

    monthly_mm: tuple[float, ...]
    event_mm: float
    plum: bool
    flood_season: tuple[tuple[int, int], tuple[int, int]]


CLIMATES: dict[str, Climate] = {
    "330225": Climate((70, 80, 125, 115, 125, 110, 110, 190, 180, 85, 70, 55), 14.0, True, ((4, 15), (10, 15))),
    "330900": Climate((65, 70, 110, 105, 110, 100, 100, 170, 160, 80, 65, 50), 13.0, True, ((4, 15), (10, 15))),
    "370215": Climate((12, 16, 22, 35, 55, 85, 170, 160, 70, 35, 25, 12), 12.0, False, ((6, 1), (9, 30))),
    "341623": Climate((25, 30, 55, 55, 80, 130, 200, 130, 80, 55, 35, 20), 14.0, False, ((5, 15), (9, 30))),
    "210800": Climate((5, 8, 15, 35, 55, 85, 170, 160, 55, 35, 20, 8), 12.0, False, ((6, 1), (9, 30))),
}


def _md(ts: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(ts.month * 100 + ts.day)


def plum_mask(ts: pd.DatetimeIndex) -> np.ndarray:
    """True inside the plum-rain season (15 Jun – 15 Jul)."""
    md = _md(ts)
    return (md >= PLUM[0][0] * 100 + PLUM[0][1]) & (md < PLUM[1][0] * 100 + PLUM[1][1])


def flood_season_mask(ts: pd.DatetimeIndex, clim: Climate) -> np.ndarray:
    """True inside the region's main flood season (主汛期)."""
    (m0, d0), (m1, d1) = clim.flood_season
    md = _md(ts)
    return (md >= m0 * 100 + d0) & (md <= m1 * 100 + d1)


def wetness(ts: pd.DatetimeIndex, clim: Climate) -> np.ndarray:
    """0..1 seasonal wetness from the monthly climatology (1 = wettest month)."""
    m = np.asarray(clim.monthly_mm, dtype="float64")
    return (m[ts.month.to_numpy() - 1] - m.min()) / (m.max() - m.min())


def _bursts(hours: int, start: np.ndarray, dur: np.ndarray, depth: np.ndarray,
            factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sum sine-shaped rain bursts into an ``(hours, stations)`` array."""
    n_st = factors.shape[1]
    out = np.zeros((hours, n_st))
    if len(start) == 0:
        return out
    ev = np.repeat(np.arange(len(start)), dur)
    k = np.arange(len(ev)) - np.repeat(np.cumsum(dur) - dur, dur)
    shape = np.sin(np.pi * (k + 0.5) / dur[ev])
    shape = shape / np.bincount(ev, shape)[ev]
    hour = start[ev] + k
    ok = hour < hours
    noise = rng.lognormal(-0.045, 0.3, size=(len(ev), n_st))
    vals = (depth[ev] * shape)[:, None] * factors[ev] * noise
    np.add.at(out, hour[ok], vals[ok])
    return out


def background_rain(ts: pd.DatetimeIndex, clim: Climate, n_st: int, rng: np.random.Generator) -> np.ndarray:
    """Hourly non-typhoon rain (mm) at ``n_st`` stations of one region."""
    hours = len(ts)
    monthly = np.asarray(clim.monthly_mm, dtype="float64")[ts.month.to_numpy() - 1]
    plum = plum_mask(ts) if clim.plum else np.zeros(hours, dtype=bool)
    rate = monthly / (30.4 * 24.0) / clim.event_mm * np.where(plum, PLUM_RATE, 1.0)
    n = int(rng.poisson(rate.sum()))
    start = np.sort(rng.choice(hours, size=n, p=rate / rate.sum()))
    dur = np.clip(np.ceil(1 + rng.gamma(2.0, 3.0, n)), 1, 48).astype(int)
    depth = rng.gamma(0.8, clim.event_mm / 0.8, n) * np.where(plum[start], PLUM_DEPTH, 1.0)
    dur = np.maximum(dur, np.ceil(depth / EVENT_MAX_RATE).astype(int))
    rain = _bursts(hours, start, dur, depth, rng.lognormal(0.0, 0.35, size=(n, n_st)), rng)
    # Summer convective showers: local, short, per station.
    conv_rate = 0.004 * wetness(ts, clim) ** 2
    for s in range(n_st):
        m = int(rng.poisson(conv_rate.sum()))
        if m == 0:
            continue
        st = rng.choice(hours, size=m, p=conv_rate / conv_rate.sum())
        du = rng.integers(1, 4, m)
        dep = rng.gamma(0.7, 10.0, m)
        fac = np.zeros((m, n_st))
        fac[:, s] = 1.0
        rain += _bursts(hours, st, du, dep, fac, rng)
    return np.minimum(rain, BACKGROUND_CAP)


def _hours(ts: np.ndarray) -> np.ndarray:
    return (np.asarray(ts, dtype="datetime64[us]") - EPOCH).astype("timedelta64[s]").astype("float64") / 3600.0


def storm_fields(ts: pd.DatetimeIndex, points: pd.DataFrame, lon: np.ndarray, lat: np.ndarray,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rain (mm/h), surge factor (0..~1.3) and distance (km) of one storm at each hour and station.

    ``points`` holds one track (columns ts, lon, lat, wind_ms); outside its time span the storm is absent
    (rain 0, surge 0, distance inf).
    """
    hours, n_st = len(ts), len(lon)
    t = _hours(ts.to_numpy())
    pt = _hours(points["ts"].to_numpy())
    inside = (t >= pt.min()) & (t <= pt.max())
    rain = np.zeros((hours, n_st))
    surge = np.zeros((hours, n_st))
    dist = np.full((hours, n_st), np.inf)
    peak = rng.uniform(35.0, 60.0, n_st)
    band = rng.lognormal(-1.5, 1.0, size=(hours + 2, n_st))  # intermittent rain bands, mean ~0.37
    band = (band[:-2] + band[1:-1] + band[2:]) / 3.0  # 3-hour smoothing
    if not inside.any():
        return rain, surge, dist
    slon = np.interp(t[inside], pt, points["lon"].to_numpy(dtype="float64"))
    slat = np.interp(t[inside], pt, points["lat"].to_numpy(dtype="float64"))
    wind = points["wind_ms"].to_numpy(dtype="float64")
    wind = np.interp(t[inside], pt, np.where(np.isnan(wind), 15.0, wind))
    d = haversine_m(slon[:, None], slat[:, None], lon[None, :], lat[None, :]) / 1000.0
    inten = np.clip(0.45 + wind / 55.0, 0.6, 1.35)[:, None]
    r = peak[None, :] * inten * np.exp(-((d / TYPHOON_RAIN_KM) ** TYPHOON_RAIN_POW)) * band[inside]
    rain[inside] = np.where(d < 700.0, np.minimum(r, TYPHOON_RAIN_CAP), 0.0)
    surge[inside] = inten * np.exp(-((d / SURGE_KM) ** 2))
    dist[inside] = d
    return rain, surge, dist


def unit_hydrograph(lag_h: float) -> np.ndarray:
    """Gamma(2) kernel peaking at ``lag_h`` hours (value 1 at the peak), causal from 1 h."""
    tau = np.arange(1, int(np.ceil(8 * lag_h)) + 1, dtype="float64")
    return (tau / lag_h) * np.exp(1.0 - tau / lag_h)


def effective_rain(rain: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Rain convolved with each station's unit hydrograph (mm of 'recent effective rain')."""
    hours = rain.shape[0]
    out = np.empty_like(rain)
    for s, lag in enumerate(lags):
        k = np.concatenate([[0.0], unit_hydrograph(float(lag))])
        out[:, s] = np.convolve(rain[:, s], k)[:hours]
    return out


def lag_hours(kind: np.ndarray, catchment_km2: np.ndarray) -> np.ndarray:
    """Response lag: rivers 3–48 h growing with catchment area, reservoirs about a day."""
    area = np.nan_to_num(np.asarray(catchment_km2, dtype="float64"), nan=50.0)
    river = np.clip(2.0 * np.maximum(area, 1.0) ** 0.3, 3.0, 48.0)
    return np.where(np.asarray(kind) == "reservoir", np.clip(12.0 + 2.0 * np.log1p(area), 18.0, 30.0), river)


def astronomical_tide(ts: pd.DatetimeIndex, m2_amp: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Sum of M2, S2, K1, O1 (m) at each hour and station; ``phases`` is ``(4, stations)`` radians."""
    t = _hours(ts.to_numpy())[:, None]
    out = np.zeros((len(ts), len(m2_amp)))
    for i, (period, rel) in enumerate(TIDES.values()):
        out += rel * m2_amp[None, :] * np.cos(2.0 * np.pi * t / period + phases[i][None, :])
    return out


def max_tide_factor() -> float:
    """Highest astronomical tide relative to the M2 amplitude."""
    return float(sum(rel for _, rel in TIDES.values()))


def rise(eff: np.ndarray, s_warn: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Level rise (m) above the base: ``span`` at ``s_warn`` mm of effective rain, concave above."""
    return span[None, :] * (np.maximum(eff, 0.0) / s_warn[None, :]) ** 0.75


def soft_cap(level: np.ndarray, cap: np.ndarray, keep: float = 0.3) -> np.ndarray:
    """Compress the part of ``level`` above ``cap`` (floods rarely run far past the guarantee level)."""
    over = level - cap[None, :]
    return np.where(over > 0, cap[None, :] + keep * over, level)


def storage(level: np.ndarray, dead: np.ndarray, normal: np.ndarray, normal_storage: np.ndarray,
            total: np.ndarray) -> np.ndarray:
    """Stage–storage curve (万m³): power 1.4 through dead level (≈0) and normal pool (normal storage)."""
    rel = np.clip((level - dead[None, :]) / (normal - dead)[None, :], 0.0, None)
    return np.minimum(normal_storage[None, :] * rel ** 1.4, total[None, :])


def level_of_storage(stor: np.ndarray, dead: np.ndarray, normal: np.ndarray,
                     normal_storage: np.ndarray) -> np.ndarray:
    """The level of a storage: the inverse of ``storage`` (below the total capacity)."""
    rel = np.clip(stor / normal_storage[None, :], 0.0, None) ** (1.0 / 1.4)
    return dead[None, :] + rel * (normal - dead)[None, :]


def limit_storage(stor: np.ndarray, rain: np.ndarray, catchment_km2: np.ndarray, normal_storage: np.ndarray,
                  lags: np.ndarray) -> np.ndarray:
    """Storage (万m³, hours × reservoirs) that gains at most what its catchment sends and loses at most
    the largest release per hour: 1 mm over 1 km² is 0.1 万m³; the rain reaches the reservoir through
    the unit hydrograph (normalised to keep its volume)."""
    hours, n = stor.shape
    area = np.nan_to_num(np.asarray(catchment_km2, dtype="float64"), nan=DEFAULT_CATCHMENT_KM2)
    inflow = np.empty_like(rain)
    for s in range(n):
        k = unit_hydrograph(float(lags[s]))
        inflow[:, s] = np.convolve(rain[:, s], np.concatenate([[0.0], k / k.sum()]))[:hours]
    gain = 0.1 * RUNOFF * area[None, :] * inflow + BASEFLOW_FRAC_H * normal_storage[None, :]
    drop = RELEASE_FRAC_H * normal_storage
    out = stor.copy()
    for t in range(1, hours):
        out[t] = np.clip(stor[t], out[t - 1] - drop, out[t - 1] + gain[t])
    return out


def anchor_bump(ts: pd.DatetimeIndex, anchor: np.datetime64, scale_h: float = 24.0) -> np.ndarray:
    """One-sided Gaussian weight, 1 at ``anchor`` and fading into the past (0 after the anchor)."""
    dt = (_hours(np.asarray([anchor])) - _hours(ts.to_numpy()))
    return np.where(dt >= 0, np.exp(-((dt / scale_h) ** 2)), 0.0)


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing sum over ``window`` rows (shorter at the start)."""
    c = np.cumsum(np.vstack([np.zeros((1, x.shape[1])), x]), axis=0)
    idx = np.arange(1, x.shape[0] + 1)
    return c[idx] - c[np.maximum(idx - window, 0)]
