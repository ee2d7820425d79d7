"""Profitability and earnings-variability factors (R1 table 32), point in time.

    roe_ttm  = net_profit TTM / book_value
    roa_ttm  = net_profit TTM / total_assets
    roic_ttm = net_profit TTM / (book_value + total_liabilities - current_liabilities)
               (invested capital approximated by equity + non-current liabilities)
    gp_ttm   = gross_profit TTM / revenue TTM
    np_ttm   = net_profit TTM / revenue TTM
    x_var    = std(X_0..X_4, ddof=1) / |mean(X_0..X_4)|, X_y = TTM of x ending y years before the
               latest quarter (5 yearly values = "last 5 years"); x in sales (revenue), profit
               (net_profit), ocf, roe (TTM roe = sum of the 4 quarterly roe). NaN unless all 5 known.
Balance-sheet stocks are those of the latest announced quarter.
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import safe_div


def _f(ctx: FactorContext, name: str) -> np.ndarray:
    return ctx.fundamentals.get(name)


def roe_ttm(ctx):
    return safe_div(_f(ctx, "net_profit_ttm"), _f(ctx, "book_value"))


def roa_ttm(ctx):
    return safe_div(_f(ctx, "net_profit_ttm"), _f(ctx, "total_assets"))


def roic_ttm(ctx):
    ic = _f(ctx, "book_value") + _f(ctx, "total_liabilities") - _f(ctx, "current_liabilities")
    return safe_div(_f(ctx, "net_profit_ttm"), ic)


def gp_ttm(ctx):
    return safe_div(_f(ctx, "gross_profit_ttm"), _f(ctx, "revenue_ttm"))


def np_ttm(ctx):
    return safe_div(_f(ctx, "net_profit_ttm"), _f(ctx, "revenue_ttm"))


def variability(ctx: FactorContext, x: str) -> np.ndarray:
    ys = np.stack([_f(ctx, f"{x}_ttm" if y == 0 else f"{x}_ttm_y{y}") for y in range(5)])
    with np.errstate(invalid="ignore"):
        sd = ys.std(axis=0, ddof=1)
        mu = ys.mean(axis=0)
    return safe_div(sd, np.abs(mu))


FACTORS = family(
    "profitability",
    {
        "roe_ttm": roe_ttm,
        "roa_ttm": roa_ttm,
        "roic_ttm": roic_ttm,
        "gp_ttm": gp_ttm,
        "np_ttm": np_ttm,
        "sales_var": lambda ctx: variability(ctx, "revenue"),
        "profit_var": lambda ctx: variability(ctx, "net_profit"),
        "ocf_var": lambda ctx: variability(ctx, "ocf"),
        "roe_var": lambda ctx: variability(ctx, "roe"),
    },
    frozenset({"fundamentals"}),
)
