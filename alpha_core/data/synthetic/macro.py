"""Simulated macro series (monthly M2, daily 10-year yield) and the planted macro state.

M2 (100M CNY): log growth per month g_m = trend_m + x_m, trend falling linearly from
1.3%/month to 0.7%/month over the sample, x an AR(1) (phi 0.85, sd 0.12%). Released on the
15th of the following month. 10-year yield (percent): Ornstein-Uhlenbeck around 3.4%.

Macro state on trading day t, using only what is public on t:
    gM(t)   = 12-month log growth of the latest released M2,
    gM*(t)  = causal EWMA (half-life 12 months) of gM over released months,
    dy(t)   = y(t) - mean(y over the last 252 trading days),
    u(t)    = tanh( ((gM - gM*) / 1.5% - dy / 0.35) / 2 )        in (-1, 1).
Easy money (M2 above trend, yields below their mean) -> u > 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.contract import MACRO_COLUMNS, MacroSeries


@dataclass(frozen=True)
class MacroPath:
    """Macro draws. ``table`` is the contract ``macro_raw``; ``state`` is u(t) of shape (T,)."""

    table: pd.DataFrame
    state: np.ndarray


def simulate_macro(ext_cal: pd.DatetimeIndex, cal: pd.DatetimeIndex, rng: np.random.Generator) -> MacroPath:
    """Simulate M2 from 6 years before ``cal`` and the yield on ``ext_cal`` (a calendar that
    starts earlier and ends with ``cal``); return the table and u(t) on ``cal``."""
    months = pd.date_range(cal[0] - pd.DateOffset(years=6), cal[-1], freq="MS")
    m = len(months)
    trend = np.linspace(0.013, 0.007, m)
    x = np.zeros(m)
    shocks = rng.normal(0.0, 0.0012, m)
    for k in range(1, m):  # AR(1) recursion over months
        x[k] = 0.85 * x[k - 1] + shocks[k]
    log_m2 = np.log(3.0e5) + np.cumsum(trend + x)
    m2 = np.round(np.exp(log_m2), 2)
    m2_release = months + pd.DateOffset(months=1) + pd.Timedelta(days=14)

    d = len(ext_cal)
    y = np.empty(d)
    y[0] = 3.4
    eps = rng.normal(0.0, 0.03, d)
    for k in range(1, d):  # OU recursion over days
        y[k] = y[k - 1] + (3.4 - y[k - 1]) / 250.0 + eps[k]
    y = np.round(np.clip(y, 1.5, 5.5), 4)

    table = pd.concat(
        [
            pd.DataFrame({"series": MacroSeries.M2.value, "period": months, "value": m2, "release_date": m2_release}),
            pd.DataFrame({"series": MacroSeries.CGB10Y.value, "period": ext_cal, "value": y, "release_date": ext_cal}),
        ],
        ignore_index=True,
    )[MACRO_COLUMNS]
    for c in ("period", "release_date"):
        table[c] = table[c].astype("datetime64[ns]")
    table["series"] = table["series"].astype(object)

    offset = d - len(cal)
    state = macro_state(log_m2, m2_release.values, y, cal.values, offset)
    return MacroPath(table=table, state=state)


def macro_state(log_m2: np.ndarray, m2_release: np.ndarray, y: np.ndarray, days: np.ndarray, offset: int) -> np.ndarray:
    """u(t) on ``days`` (see the module docstring), using only data public on each day.

    Args:
        log_m2: (M,) log M2 by month; m2_release: (M,) release dates (ascending).
        y: (D,) daily yields on a calendar whose entries ``offset..`` are ``days``.
        days: (T,) trading days, T = D - offset.
    Returns:
        (T,) state in (-1, 1).
    """
    m = len(log_m2)
    g = np.full(m, np.nan)
    g[12:] = log_m2[12:] - log_m2[:-12]
    # EWMA over months is causal: month k's trend only uses months <= k.
    g_trend = pd.Series(g).ewm(halflife=12, ignore_na=True).mean().to_numpy()
    known = np.searchsorted(m2_release, days, side="right") - 1  # latest month released on or before t
    dev_m = np.where(known >= 0, (g - g_trend)[np.maximum(known, 0)], np.nan)
    y_mean = pd.Series(y).rolling(252, min_periods=20).mean().to_numpy()
    dev_y = (y - y_mean)[offset:]
    return np.tanh((np.nan_to_num(dev_m) / 0.015 - np.nan_to_num(dev_y) / 0.35) / 2.0)
