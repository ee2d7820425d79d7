"""Turnover factors (R1 table 15); turnover = volume / float shares (fraction), active days only.

turn_1m      = mean_21(turn)
std_turn_1m  = std_21(turn)          (sample std, ddof=1)
bias_turn_1m = mean_21(turn) / mean_504(turn)
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import rolling_mean, rolling_std, safe_div


def turn_1m(ctx: FactorContext) -> np.ndarray:
    return rolling_mean(ctx.field("turnover"), 21)


def std_turn_1m(ctx: FactorContext) -> np.ndarray:
    return rolling_std(ctx.field("turnover"), 21)


def bias_turn_1m(ctx: FactorContext) -> np.ndarray:
    t = ctx.field("turnover")
    return safe_div(rolling_mean(t, 21), rolling_mean(t, 504))


FACTORS = family("turnover", {"turn_1m": turn_1m, "std_turn_1m": std_turn_1m, "bias_turn_1m": bias_turn_1m})
