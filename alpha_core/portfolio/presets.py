"""Presets of the three reports' enhancement portfolios (SPEC sections 2-4).

===========  ========  ==================  ============================  =========  ==============  =========
preset       stock     industry            styles (z-score units)        turnover   constituents    rebalance
===========  ========  ==================  ============================  =========  ==============  =========
R1           +-1%      +-1%                log float cap, BP: +-0.01     15%        none            5 days
R2           +-0.5%    neutral (0)         BP, size: 0; others +-0.5     30%        none (or 80%)   5 days
R3           +-1%      none                none                          none       100%            monthly
===========  ========  ==================  ============================  =========  ==============  =========

Costs: R1 and R3 0.2% one-way; R2 0.3% two-way. Fills at the next day's vwap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import pandas as pd

from alpha_core.backtest.costs import CostModel, FillPrice
from alpha_core.portfolio.constraints import (
    ConstituentShare,
    ConstraintSet,
    FullInvestment,
    IndustryDeviation,
    LongOnly,
    StockDeviation,
    StyleExposure,
    TurnoverCap,
)
from alpha_core.portfolio.schedule import Rebalance, rebalance_days
from alpha_core.research import Report

LOG_FLOAT_CAP = "log_float_mcap"
BP = "bp_lf"


PresetName = Report
"""The presets are keyed by their report (:class:`alpha_core.research.Report`): R1, R2, R3."""


@dataclass(frozen=True)
class PortfolioPreset:
    """Constraints, schedule and trading costs of one enhancement strategy.

    Attributes:
        name: :class:`PresetName`.
        stock_dev: max |w_i - w_b,i|.
        industry_dev: max industry deviation (0 = neutral; None = unconstrained).
        style_bounds: style column -> max |exposure difference| (z-score units).
        other_style_bound: bound of any other style column supplied (None: other columns ignored).
        turnover: max one-way turnover per rebalance (None = unconstrained).
        min_constituent_share: floor on weight in benchmark constituents (None = none).
        frequency, every: rebalance schedule (:func:`~alpha_core.portfolio.schedule.rebalance_days`).
        costs: transaction cost model; fill: fill price on the day after the decision.
    """

    name: PresetName
    stock_dev: float
    industry_dev: float | None
    style_bounds: dict[str, float] = field(default_factory=dict)
    other_style_bound: float | None = None
    turnover: float | None = None
    min_constituent_share: float | None = None
    frequency: Rebalance = Rebalance.EVERY_N
    every: int = 5
    costs: CostModel = CostModel.one_way(0.002)
    fill: FillPrice = FillPrice.VWAP

    def style_columns(self, available: list[str]) -> list[str]:
        """The style columns this preset constrains, in order, among ``available``."""
        cols = [c for c in self.style_bounds if c in available]
        if self.other_style_bound is not None:
            cols += [c for c in available if c not in self.style_bounds]
        return cols

    def constraints(self, style_columns: list[str]) -> ConstraintSet:
        """The constraint set for the given style columns (see :meth:`style_columns`)."""
        cs = FullInvestment() + LongOnly() + StockDeviation(self.stock_dev)
        if self.industry_dev is not None:
            cs = cs + IndustryDeviation(self.industry_dev)
        if style_columns:
            bounds = tuple(self.style_bounds.get(c, self.other_style_bound) for c in style_columns)
            cs = cs + StyleExposure(bounds)
        if self.turnover is not None:
            cs = cs + TurnoverCap(self.turnover)
        if self.min_constituent_share is not None:
            cs = cs + ConstituentShare(self.min_constituent_share)
        return cs

    def with_(self, **changes) -> PortfolioPreset:
        return replace(self, **changes)

    def rebalance_days(self, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Decision days among ``dates`` (trading days): every ``every``-th from the first, or month ends."""
        return rebalance_days(dates, self.frequency, self.every)


R1 = PortfolioPreset(
    PresetName.R1,
    stock_dev=0.01,
    industry_dev=0.01,
    style_bounds={LOG_FLOAT_CAP: 0.01, BP: 0.01},
    turnover=0.15,
    every=5,
    costs=CostModel.one_way(0.002),
)
R2 = PortfolioPreset(
    PresetName.R2,
    stock_dev=0.005,
    industry_dev=0.0,
    style_bounds={LOG_FLOAT_CAP: 0.0, BP: 0.0},
    other_style_bound=0.5,
    turnover=0.30,
    every=5,
    costs=CostModel.two_way(0.003),
)
R3 = PortfolioPreset(
    PresetName.R3,
    stock_dev=0.01,
    industry_dev=None,
    min_constituent_share=1.0,
    frequency=Rebalance.MONTH_END,
    costs=CostModel.one_way(0.002),
)
PRESETS: Mapping[PresetName, PortfolioPreset] = MappingProxyType({p.name: p for p in (R1, R2, R3)})
"""The presets by name (read only; a :class:`PresetName` or its value looks one up)."""
