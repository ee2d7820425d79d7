"""Reversal / momentum factors (R1 tables 15 and 32). c = adjusted close (forward-filled over suspensions).

ret_5d  = c_t / c_{t-5} - 1
ret_1m  = c_t / c_{t-21} - 1
ret_12m = (c_t / c_{t-252} - 1) - (c_t / c_{t-21} - 1)      (12-month return minus the last month)
exp_wgt_return_3m = (1/n) sum_{i=0}^{62} r_{t-i} * turn_{t-i} * exp(-i / (4 * 3))
    (Huatai definition: daily return times turnover times exp(-x_i / N / 4), N = 3 months,
    x_i = trading days from t; mean over the n valid days of the 63-day window)
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import default_min_periods, lag, rolling_count

EXP_WINDOW = 63
EXP_DECAY_DAYS = 12.0  # N / 4 with N = 3 months: weight exp(-i / 12)


def _ret_k(ctx: FactorContext, k: int) -> np.ndarray:
    c = ctx.close_ff
    with np.errstate(invalid="ignore", divide="ignore"):
        out = c / lag(c, k) - 1.0
    return np.where(ctx.present, out, np.nan)


def ret_5d(ctx: FactorContext) -> np.ndarray:
    return _ret_k(ctx, 5)


def ret_1m(ctx: FactorContext) -> np.ndarray:
    return _ret_k(ctx, 21)


def ret_12m(ctx: FactorContext) -> np.ndarray:
    return _ret_k(ctx, 252) - _ret_k(ctx, 21)


def exp_wgt_return_3m(ctx: FactorContext) -> np.ndarray:
    x = ctx.ret * ctx.field("turnover")
    valid = ~np.isnan(x)
    xz = np.where(valid, x, 0.0)
    # truncated exponential sum by recursion over the T rows (each step an (N,) operation):
    # S_t = x_t + lam S_{t-1} - lam^63 x_{t-63}  =  sum_{i=0}^{62} lam^i x_{t-i},  lam = exp(-1/12)
    lam = np.exp(-1.0 / EXP_DECAY_DAYS)
    tail = lam**EXP_WINDOW
    acc = xz.copy()
    for t in range(1, len(acc)):
        row = acc[t]
        row += lam * acc[t - 1]
        if t >= EXP_WINDOW:
            row -= tail * xz[t - EXP_WINDOW]
    n = rolling_count(valid, EXP_WINDOW)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = acc / n
    return np.where(n >= default_min_periods(EXP_WINDOW), out, np.nan)


FACTORS = family(
    "reversal", {"ret_5d": ret_5d, "ret_1m": ret_1m, "ret_12m": ret_12m, "exp_wgt_return_3m": exp_wgt_return_3m}
)
