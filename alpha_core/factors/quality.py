"""Quality factors (R1 table 32), point in time.

assetturnover_ttm = revenue TTM / total_assets
ocfr_ttm          = ocf TTM / current_liabilities      (operating cash-flow ratio)
currentdebt2debt  = current_liabilities / total_liabilities
"""

from __future__ import annotations

from alpha_core.factors.base import family
from alpha_core.factors.rolling import safe_div


def assetturnover_ttm(ctx):
    f = ctx.fundamentals
    return safe_div(f.get("revenue_ttm"), f.get("total_assets"))


def ocfr_ttm(ctx):
    f = ctx.fundamentals
    return safe_div(f.get("ocf_ttm"), f.get("current_liabilities"))


def currentdebt2debt(ctx):
    f = ctx.fundamentals
    return safe_div(f.get("current_liabilities"), f.get("total_liabilities"))


FACTORS = family(
    "quality",
    {"assetturnover_ttm": assetturnover_ttm, "ocfr_ttm": ocfr_ttm, "currentdebt2debt": currentdebt2debt},
    frozenset({"fundamentals"}),
)
