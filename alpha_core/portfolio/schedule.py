"""When a portfolio is rebalanced: the one rebalance-schedule rule (presets and training schedules).

Given the ascending, distinct trading days d_0 < d_1 < ... < d_{T-1} of a period:

- :attr:`Rebalance.EVERY_N`: d_0, d_n, d_2n, ... (every ``n`` trading days from the first; R1 / R2
  rebalance weekly, n = 5);
- :attr:`Rebalance.MONTH_END`: the last day of each calendar month present (R3). The last month of
  ``days`` counts even if the calendar continues beyond it; this is causal because a trading
  calendar is known in advance.

Imports nothing but numpy / pandas (the training schedules use it without the optimiser).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd


class Rebalance(StrEnum):
    """Which trading days produce a portfolio."""

    EVERY_N = "every_n"  # every ``every`` trading days from the first day
    MONTH_END = "month_end"  # last trading day of each calendar month


def rebalance_days(days: pd.DatetimeIndex, rebalance: Rebalance, every: int = 5) -> pd.DatetimeIndex:
    """The decision days among ``days`` (sorted and deduplicated first) by ``rebalance``; ``every``
    (>= 1; smaller values count as 1) is the step of :attr:`Rebalance.EVERY_N`."""
    days = pd.DatetimeIndex(days).sort_values().unique()
    if Rebalance(rebalance) is Rebalance.EVERY_N:
        return days[:: max(int(every), 1)]
    month = days.year * 12 + days.month
    last = np.r_[month[1:] != month[:-1], True] if len(days) else np.zeros(0, dtype=bool)
    return days[last]
