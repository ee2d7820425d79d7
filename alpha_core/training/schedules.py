"""R2 and R3 training / rebalancing schedules as configurations of the one fold machinery
(:mod:`alpha_core.folds`).

A :class:`Schedule` is a :class:`~alpha_core.folds.FoldConfig` (window lengths,
purge, label horizon) plus how often the model is retrained, how densely training days are
sampled and how often the portfolio is rebalanced:

- R2 (seeds/001; SPEC section 3): weekly. Label = 5-day forward return (T+1 vwap -> T+6
  vwap), so purge 5; training days every 5 trading days; rebalance every 5 trading days;
  retrained once a year at the year end (R2 mentions "iterating the model at the end of
  2023"). R2 does not state its window lengths; we use 4 years of training + 1 year of
  validation before each test year.
- R3 (seeds/004 section 2.1; SPEC section 4): the last 8 years of data, split 80/20 in time
  into train / valid (the validation block is the latest 20%); label = next-month return
  (21 trading days), so purge 21; training samples every 5 trading days; retrained yearly;
  monthly rebalance (last trading day of each month).

With ``Retrain.YEARLY`` each fold's test window is exactly one calendar year (first to last
trading day of the year), so fold ids are the first trading day of each year; the train and
valid windows are the ones :func:`~alpha_core.folds.make_folds` gives for that test
start (same purge rule, same look-ahead guarantees).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.folds import Fold, FoldConfig, make_folds
from alpha_core.portfolio.schedule import Rebalance
from alpha_core.portfolio.schedule import rebalance_days as portfolio_rebalance_days


class Retrain(StrEnum):
    """When a new fold (model) starts."""

    YEARLY = "yearly"  # test windows = calendar years
    STEP = "step"  # every ``FoldConfig.step_days`` trading days (R1 style)


@dataclass(frozen=True)
class Schedule:
    """Args:
    name: label for logs / reports.
    folds: window lengths and purge (:class:`FoldConfig`).
    retrain: :class:`Retrain`.
    sample_every: keep one training / validation day out of this many (anchored at the
        window's last day).
    rebalance: :class:`Rebalance`.
    rebalance_every: trading days between rebalances for ``Rebalance.EVERY_N``.
    """

    name: str
    folds: FoldConfig
    retrain: Retrain = Retrain.YEARLY
    sample_every: int = 1
    rebalance: Rebalance = Rebalance.EVERY_N
    rebalance_every: int = 5

    def __post_init__(self) -> None:
        if self.sample_every < 1 or self.rebalance_every < 1:
            raise ValueError("sample_every and rebalance_every must be >= 1")


def split_80_20(total_days: int, valid_share: float = 0.2) -> tuple[int, int]:
    """(train_days, valid_days) of a ``total_days`` window split in time, valid = latest share."""
    valid = int(round(total_days * valid_share))
    return total_days - valid, valid


_R3_TRAIN, _R3_VALID = split_80_20(252 * 8)

R2_WEEKLY = Schedule(
    name="r2_weekly",
    folds=FoldConfig(
        train_days=252 * 4,
        valid_days=252,
        test_days=252,
        step_days=252,
        purge_days=5,
        label_horizon=5,
        first_test_date="2017-01-01",
    ),
    retrain=Retrain.YEARLY,
    sample_every=5,
    rebalance=Rebalance.EVERY_N,
    rebalance_every=5,
)
"""R2: weekly label and rebalance, yearly retrain, 4y train + 1y valid, tests from 2017."""

R3_MONTHLY = Schedule(
    name="r3_monthly",
    folds=FoldConfig(
        train_days=_R3_TRAIN,
        valid_days=_R3_VALID,
        test_days=252,
        step_days=252,
        purge_days=21,
        label_horizon=21,
        first_test_date="2019-01-01",
    ),
    retrain=Retrain.YEARLY,
    sample_every=5,
    rebalance=Rebalance.MONTH_END,
)
"""R3: 8 years split 80/20 (1613 / 403 days), next-month label, yearly retrain, monthly
rebalance, samples every 5 days, tests from 2019."""


def schedule_folds(calendar: pd.DatetimeIndex | np.ndarray | list, schedule: Schedule) -> list[Fold]:
    """The walk-forward folds of ``schedule`` on ``calendar`` (ascending trading days).

    ``Retrain.STEP`` is :func:`make_folds` itself. ``Retrain.YEARLY`` gives one fold per
    calendar year from ``first_test_date`` (or the first year with enough history): test =
    the trading days of that year, train / valid = :func:`make_folds`' windows before it.
    """
    cal = pd.DatetimeIndex(calendar)
    cfg = schedule.folds
    if schedule.retrain == Retrain.STEP:
        return make_folds(cal, cfg)
    if not cal.is_monotonic_increasing or cal.has_duplicates:
        raise DataContractError("calendar must be strictly increasing", Location(column="date"))
    years = cal.year.to_numpy()
    starts = np.flatnonzero(np.r_[True, years[1:] != years[:-1]])
    lo = pd.Timestamp(cfg.first_test_date) if cfg.first_test_date is not None else None
    folds: list[Fold] = []
    for k, s in enumerate(starts):
        if s < cfg.history_days or (lo is not None and cal[s] < lo):
            continue
        stop = starts[k + 1] if k + 1 < len(starts) else len(cal)
        year_cfg = dataclasses.replace(
            cfg, test_days=int(stop - s), step_days=int(stop - s), first_test_date=cal[s].strftime("%Y-%m-%d")
        )
        folds.append(make_folds(cal, year_cfg)[0])
    if not folds:
        raise DataContractError(
            f"calendar {cal[0].date()}..{cal[-1].date()} has no year with {cfg.history_days} "
            f"trading days of history on or after {cfg.first_test_date}",
            Location(column="date"),
        )
    return folds


def sample_days(days: pd.DatetimeIndex, every: int) -> pd.DatetimeIndex:
    """Every ``every``-th day, anchored at the last day (the freshest day is always kept)."""
    days = pd.DatetimeIndex(days)
    return days[::-1][::every][::-1]


def training_days(fold: Fold, schedule: Schedule) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """(train, valid) days of ``fold`` sampled every ``schedule.sample_every`` days."""
    return sample_days(fold.train, schedule.sample_every), sample_days(fold.valid, schedule.sample_every)


def rebalance_days(days: pd.DatetimeIndex, schedule: Schedule) -> pd.DatetimeIndex:
    """The test days on which the portfolio is rebalanced (signals are needed on these): the one
    rule of :func:`alpha_core.portfolio.schedule.rebalance_days` with the schedule's rebalance
    kind and step (``EVERY_N``: days[0], days[n], ...; ``MONTH_END``: each month's last day)."""
    return portfolio_rebalance_days(days, schedule.rebalance, schedule.rebalance_every)
