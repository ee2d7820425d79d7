"""Value factors (R1 table 15): inverse valuation multiples, point in time.

Fundamentals are used only on trading days strictly after their announcement
(:mod:`alpha_core.factors.fundamentals`); market caps are the day's total_mcap.

    bp_lf    = book_value (latest quarter)      / total_mcap
    ep_ttm   = net_profit TTM                   / total_mcap
    ocfp_ttm = operating cash flow TTM          / total_mcap
    dyr12    = dividends of the last 4 quarters / total_mcap   (trailing-year dividend yield)
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import safe_div


def _per_mcap(ctx: FactorContext, name: str) -> np.ndarray:
    return safe_div(ctx.fundamentals.get(name), ctx.field("total_mcap"))


def bp_lf(ctx: FactorContext) -> np.ndarray:
    return _per_mcap(ctx, "book_value")


def ep_ttm(ctx: FactorContext) -> np.ndarray:
    return _per_mcap(ctx, "net_profit_ttm")


def ocfp_ttm(ctx: FactorContext) -> np.ndarray:
    return _per_mcap(ctx, "ocf_ttm")


def dyr12(ctx: FactorContext) -> np.ndarray:
    return _per_mcap(ctx, "dividends_ttm")


FACTORS = family(
    "value", {"bp_lf": bp_lf, "ep_ttm": ep_ttm, "ocfp_ttm": ocfp_ttm, "dyr12": dyr12}, frozenset({"fundamentals"})
)
