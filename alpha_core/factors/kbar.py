"""Intraday bar-shape factors (R1 table 15; qlib KBAR). Same-day ratios, so raw prices suffice.

    low2high = low / high              vwap2close = vwap / close
    kmid  = (close - open) / open      kmid2  = (close - open) / (high - low + 1e-12)
    klen  = (high - low) / open
    kup   = (high - max(open, close)) / open   kup2  = (high - max(open, close)) / (high - low + 1e-12)
    klow  = (min(open, close) - low) / open    klow2 = (min(open, close) - low) / (high - low + 1e-12)
    ksft  = (2 close - high - low) / open      ksft2 = (2 close - high - low) / (high - low + 1e-12)
NaN on inactive (suspended / no-trade) days.
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import safe_div

_TINY = 1e-12


def _ohlc(ctx: FactorContext) -> tuple[np.ndarray, ...]:
    return tuple(ctx.raw(f) for f in ("open", "high", "low", "close"))


def _on_active(ctx: FactorContext, x: np.ndarray) -> np.ndarray:
    return np.where(ctx.active, x, np.nan)  # mask once per factor, not once per input


def _by_open(ctx, num, o):
    return _on_active(ctx, safe_div(num, o))


def _by_range(ctx, num, h, lo):
    with np.errstate(invalid="ignore", divide="ignore"):
        return _on_active(ctx, num / (h - lo + _TINY))


def low2high(ctx):
    _, h, lo, _ = _ohlc(ctx)
    return _by_open(ctx, lo, h)


def vwap2close(ctx):
    *_, c = _ohlc(ctx)
    return _by_open(ctx, ctx.raw("vwap"), c)


def kmid(ctx):
    o, _, _, c = _ohlc(ctx)
    return _by_open(ctx, c - o, o)


def klen(ctx):
    o, h, lo, _ = _ohlc(ctx)
    return _by_open(ctx, h - lo, o)


def kmid2(ctx):
    o, h, lo, c = _ohlc(ctx)
    return _by_range(ctx, c - o, h, lo)


def kup(ctx):
    o, h, _, c = _ohlc(ctx)
    return _by_open(ctx, h - np.maximum(o, c), o)


def kup2(ctx):
    o, h, lo, c = _ohlc(ctx)
    return _by_range(ctx, h - np.maximum(o, c), h, lo)


def klow(ctx):
    o, _, lo, c = _ohlc(ctx)
    return _by_open(ctx, np.minimum(o, c) - lo, o)


def klow2(ctx):
    o, h, lo, c = _ohlc(ctx)
    return _by_range(ctx, np.minimum(o, c) - lo, h, lo)


def ksft(ctx):
    o, h, lo, c = _ohlc(ctx)
    return _by_open(ctx, 2 * c - h - lo, o)


def ksft2(ctx):
    _, h, lo, c = _ohlc(ctx)
    return _by_range(ctx, 2 * c - h - lo, h, lo)


FACTORS = family(
    "kbar",
    {
        "low2high": low2high,
        "vwap2close": vwap2close,
        "kmid": kmid,
        "klen": klen,
        "kmid2": kmid2,
        "kup": kup,
        "kup2": kup2,
        "klow": klow,
        "klow2": klow2,
        "ksft": ksft,
        "ksft2": ksft2,
    },
)
