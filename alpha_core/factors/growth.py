"""Growth factors (R1 table 32): year-on-year growth of the latest single quarter, point in time.

    x_g_q = (x_q - x_{q-4}) / |x_{q-4}|,   x in revenue (sales), net_profit (profit), ocf, roe
q = the latest quarter announced before the date; q-4 = the same quarter a year earlier.
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family, growth
from alpha_core.factors.inputs import FactorContext


def _yoy(ctx: FactorContext, x: str) -> np.ndarray:
    f = ctx.fundamentals
    return growth(f.get(f"{x}_q"), f.get(f"{x}_q4"))


FACTORS = family(
    "growth",
    {
        "sales_g_q": lambda ctx: _yoy(ctx, "revenue"),
        "profit_g_q": lambda ctx: _yoy(ctx, "net_profit"),
        "ocf_g_q": lambda ctx: _yoy(ctx, "ocf"),
        "roe_g_q": lambda ctx: _yoy(ctx, "roe"),
    },
    frozenset({"fundamentals"}),
)
