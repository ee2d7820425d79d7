"""Inter-day technical factors (R1 table 15), 10-day windows on active days.

    std_ret_10d, std_vol_10d, std_turn_10d = std_10(r), std_10(volume), std_10(turnover)   (ddof=1)
    corr_ret_X = corr_10(r, X),   X in close, open, high, low, vwap (adjusted), vol, turn
    corr_vol_X = corr_10(volume, X), X in close, open, high, low, vwap (adjusted)
r = daily adjusted close-to-close return. Pearson correlation over the days where both are valid.
"""

from __future__ import annotations

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import rolling_corr, rolling_std

W = 10
_PRICES = ("close", "open", "high", "low", "vwap")


def _series(ctx: FactorContext, name: str):
    if name == "ret":
        return ctx.ret
    if name == "vol":
        return ctx.field("volume")
    if name == "turn":
        return ctx.field("turnover")
    return ctx.adjusted(name)


def _corr(a: str, b: str):
    def fn(ctx: FactorContext):
        return rolling_corr(_series(ctx, a), _series(ctx, b), W)

    fn.__name__ = f"corr_{a}_{b}"
    fn.__doc__ = f"corr_10({a}, {b})"
    return fn


_FNS = {
    "std_ret_10d": lambda ctx: rolling_std(ctx.ret, W),
    "std_vol_10d": lambda ctx: rolling_std(ctx.field("volume"), W),
    "std_turn_10d": lambda ctx: rolling_std(ctx.field("turnover"), W),
}
for _x in (*_PRICES, "vol", "turn"):
    _FNS[f"corr_ret_{_x}"] = _corr("ret", _x)
for _x in _PRICES:
    _FNS[f"corr_vol_{_x}"] = _corr("vol", _x)

FACTORS = family("technical", _FNS)
