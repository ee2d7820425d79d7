"""Hodrick-Prescott trend: the one-sided (causal) version for models, two-sided for plots.

The HP trend tau of y_1..y_T minimises

    sum_t (y_t - tau_t)^2 + lambda * sum_t ((tau_{t+1} - tau_t) - (tau_t - tau_{t-1}))^2,

lambda = 14400 for monthly data (statsmodels ``hpfilter``). Solved on the whole sample,
tau_t depends on y_{t+1..T} (the future): using it as a feature leaks. The ONE-SIDED
trend runs the filter at each t on y_1..y_t only and keeps the last value:

    tau^{1s}_t = hpfilter(y_1..y_t, lambda)[-1]

so tau^{1s}_t is unchanged by any later observation. Cost: T filters of size <= T
(monthly series: ~200 points, milliseconds).
"""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.filters.hp_filter import hpfilter

MONTHLY_LAMBDA = 14400.0


def one_sided_hp_trend(y: np.ndarray, lamb: float = MONTHLY_LAMBDA, *, min_periods: int = 24) -> np.ndarray:
    """Causal HP trend: ``out[t] = hpfilter(y[:t + 1], lamb)`` trend at t.

    Args:
        y: (T,) float series, no NaN (handle gaps before filtering).
        lamb: smoothing parameter (14400 monthly).
        min_periods: out[t] is NaN while fewer than ``min_periods`` points are known
            (the filter end point is unreliable on very short samples); >= 3.

    Returns:
        (T,) float64 trend, NaN for t < min_periods - 1.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError("one_sided_hp_trend expects a 1-D series")
    if np.isnan(y).any():
        raise ValueError("one_sided_hp_trend: series contains NaN; fill or drop gaps first")
    min_periods = max(int(min_periods), 3)
    out = np.full(len(y), np.nan)
    for t in range(min_periods - 1, len(y)):
        _, trend = hpfilter(y[: t + 1], lamb=lamb)
        out[t] = np.asarray(trend)[-1]
    return out


def two_sided_hp_trend_for_plots(y: np.ndarray, lamb: float = MONTHLY_LAMBDA) -> np.ndarray:
    """Two-sided HP trend on the WHOLE sample. Uses the future: for plots only, never a feature."""
    y = np.asarray(y, dtype=np.float64)
    if np.isnan(y).any():
        raise ValueError("two_sided_hp_trend_for_plots: series contains NaN")
    _, trend = hpfilter(y, lamb=lamb)
    return np.asarray(trend, dtype=np.float64)
