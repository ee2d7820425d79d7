"""Transaction costs and fill prices of the backtest.

Cost of one rebalance, with B_i >= 0 the value bought and S_i >= 0 the value sold of stock i:

    cost = buy_rate * sum_i B_i + sell_rate * sum_i S_i

R1/R3 quote a one-way rate of 0.2% (0.2% on each buy and each sell); R2 quotes 0.3% two-way
(0.15% per side). Use :meth:`CostModel.one_way` / :meth:`CostModel.two_way` to say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class FillPrice(StrEnum):
    """Raw price a trade fills at on the execution day (adjusted by that day's ``adj_factor``)."""

    VWAP = "vwap"
    CLOSE = "close"
    OPEN = "open"


@dataclass(frozen=True)
class CostModel:
    """Proportional costs: ``buy_rate`` per unit of value bought, ``sell_rate`` per unit sold."""

    buy_rate: float = 0.002
    sell_rate: float = 0.002

    def __post_init__(self) -> None:
        if self.buy_rate < 0 or self.sell_rate < 0:
            raise ValueError(f"negative cost rate in {self}")

    @classmethod
    def one_way(cls, rate: float) -> CostModel:
        """``rate`` charged on each side (R1/R3: 0.002)."""
        return cls(rate, rate)

    @classmethod
    def two_way(cls, rate: float) -> CostModel:
        """``rate`` for a round trip, split evenly over buy and sell (R2: 0.003)."""
        return cls(rate / 2, rate / 2)

    def cost(self, trade: np.ndarray) -> float:
        """Cost of signed trade values ``trade`` (N,), positive = buy."""
        return float(self.buy_rate * trade.clip(min=0).sum() + self.sell_rate * (-trade).clip(min=0).sum())
