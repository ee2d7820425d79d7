"""R3's 14 daily time-series features (R3 table 1), inputs of the multi-scale Transformer.

c = adjusted close, o = adjusted open, v = volume, r = daily adjusted return (active days).

    pvo      = (c_t - EMA_5(c)_t) / mean_20(v)                price-volume divergence
    sse      = (max_20(c) - min_20(c)) / mean_20(v)            support/resistance efficiency
    liq      = |v_t - v_{t-1}| / std_20(v)                     liquidity shock
    skew     = m3 / m2^1.5 of r over 20 days                   (population moments)
    gap      = o_t / c_{t-1} - 1                               overnight gap
    vts      = std_10(r) / std_30(r)                           volatility term structure
    vcll     = v_t / mean_20(v)                                volume clustering
    rvr      = r_t / std_20(r)                                 return-to-volatility
    csl      = (c_t - mean_60(c)) / mean_60(c)                 chip looseness
    rev      = corr_20(r_t, r_{t-1})                           first-order autocorrelation
    vclb     = std_5(r) / std_20(r)                            volatility clustering
    kurtosis = m4 / m2^2 of r over 20 days                     (not excess)
    lip      = (3 liq_t + 2 liq_{t-1} + liq_{t-2}) / 6         "weighted sum of the last 3 days' liq"
                                                               (linearly decaying weights, ours)
    breadth  = (#{r_t > 0} - #{r_t < 0}) / #{r_t valid}        market-wide, same for every stock
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.rolling import (
    ema,
    lag,
    rolling_corr,
    rolling_extreme,
    rolling_mean,
    rolling_moment_ratio,
    rolling_std,
    safe_div,
)


def _c(ctx):
    return ctx.adjusted("close")


def _v(ctx):
    return ctx.field("volume")


def pvo(ctx):
    c = _c(ctx)
    return safe_div(c - ema(c, 5), rolling_mean(_v(ctx), 20))


def sse(ctx):
    c = _c(ctx)
    return safe_div(rolling_extreme(c, 20, "max") - rolling_extreme(c, 20, "min"), rolling_mean(_v(ctx), 20))


def liq(ctx):
    v = _v(ctx)
    return ctx._cache("r3_liq", lambda: safe_div(np.abs(v - lag(v, 1)), rolling_std(v, 20)))


def skew(ctx):
    return rolling_moment_ratio(ctx.ret, 20, 3)


def gap(ctx):
    prev = lag(ctx.close_ff, 1)
    return safe_div(ctx.adjusted("open"), prev) - 1.0


def vts(ctx):
    return safe_div(rolling_std(ctx.ret, 10), rolling_std(ctx.ret, 30))


def vcll(ctx):
    v = _v(ctx)
    return safe_div(v, rolling_mean(v, 20))


def rvr(ctx):
    return safe_div(ctx.ret, rolling_std(ctx.ret, 20))


def csl(ctx):
    c = _c(ctx)
    m = rolling_mean(c, 60)
    return safe_div(c - m, m)


def rev(ctx):
    return rolling_corr(ctx.ret, lag(ctx.ret, 1), 20)


def vclb(ctx):
    return safe_div(rolling_std(ctx.ret, 5), rolling_std(ctx.ret, 20))


def kurtosis(ctx):
    return rolling_moment_ratio(ctx.ret, 20, 4)


def lip(ctx):
    q = liq(ctx)
    return (3 * q + 2 * lag(q, 1) + lag(q, 2)) / 6.0


def breadth(ctx):
    r = ctx.ret
    valid = ~np.isnan(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = ((r > 0).sum(1) - (r < 0).sum(1)) / valid.sum(1)
    return np.where(ctx.present, b[:, None], np.nan)


FACTORS = family(
    "r3_timeseries",
    {
        "pvo": pvo,
        "sse": sse,
        "liq": liq,
        "skew": skew,
        "gap": gap,
        "vts": vts,
        "vcll": vcll,
        "rvr": rvr,
        "csl": csl,
        "rev": rev,
        "vclb": vclb,
        "kurtosis": kurtosis,
        "lip": lip,
        "breadth": breadth,
    },
)
