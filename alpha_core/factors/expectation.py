"""Expectation factors (R1 table 15): 63-day growth of analyst FY1 consensus.

    con_x_g(t) = (con_x_fy1(t) - con_x_fy1(t-63)) / |con_x_fy1(t-63)|,  x in eps, roe, np

t-63 counts trading days of the panel; consensus values persist until the table reports a new
one (as of, causal) and expire ``PitConfig.consensus_max_age_days`` calendar days after their
date when none arrives (:mod:`alpha_core.factors.pit`). Absent (not filled, not a column) when
the source has no consensus table.
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import family, growth
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import lag

WINDOW = 63


def _g(ctx: FactorContext, column: str) -> np.ndarray:
    x = ctx.consensus(column)
    return growth(x, lag(x, WINDOW))


def con_eps_g(ctx: FactorContext) -> np.ndarray:
    return _g(ctx, "con_eps_fy1")


def con_roe_g(ctx: FactorContext) -> np.ndarray:
    return _g(ctx, "con_roe_fy1")


def con_np_g(ctx: FactorContext) -> np.ndarray:
    return _g(ctx, "con_np_fy1")


FACTORS = family(
    "expectation", {"con_eps_g": con_eps_g, "con_roe_g": con_roe_g, "con_np_g": con_np_g}, frozenset({"consensus"})
)
