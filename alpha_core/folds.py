"""Walk-forward folds (SPEC section 2 "Walk-forward folds").

For a trading calendar c[0..T-1] and a fold whose test window starts at index s::

    train = c[s - V - R : s - V - P]     (R = train_days, P = purge_days)
    valid = c[s - V     : s - P]         (V = valid_days)
    test  = c[s         : s + test_days] (truncated at the end of the calendar)

and the next fold starts at s + step_days. The last ``purge_days`` of train and of valid are
dropped because their labels look ahead: the label of day t is the return over trading days
(t+1 .. t+1+label_horizon] (R1: vwap T+1 -> T+11, label_horizon 10). With
``purge_days >= label_horizon`` the label window of every train (valid) day ends no later
than the first day of the next segment, so it shares no return with any label of that
segment (tested). Look-ahead warning: a purge shorter than the label horizon leaks the next
segment's returns into training; :class:`FoldConfig` refuses it.

The fold id is the first test date as ``'YYYY-MM-DD'``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location


@dataclass(frozen=True)
class FoldConfig:
    """Lengths in trading days. ``first_test_date``: start of the first test window (the
    first calendar day on or after it); None = the earliest the history allows."""

    train_days: int = 252 * 6
    valid_days: int = 252 * 2
    test_days: int = 126
    step_days: int = 126
    purge_days: int = 10
    label_horizon: int = 10
    first_test_date: str | None = None

    def __post_init__(self) -> None:
        for name in ("train_days", "valid_days", "test_days", "step_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FoldConfig.{name} must be positive")
        if self.purge_days < self.label_horizon:
            raise ValueError(f"purge_days={self.purge_days} < label_horizon={self.label_horizon}: labels would leak")
        if self.purge_days >= min(self.train_days, self.valid_days):
            raise ValueError("purge_days must be shorter than the train and valid windows")

    @property
    def history_days(self) -> int:
        return self.train_days + self.valid_days


R1 = FoldConfig()
"""R1 neural nets: train 252x6, valid 252x2, test 126, step 126, purge 10."""
R1_XGB = FoldConfig(train_days=252 * 5, valid_days=252)
"""R1 XGBoost: train 252x5, valid 252x1."""
DEMO = FoldConfig(train_days=252 * 2, valid_days=126, test_days=126, step_days=126)
"""Small folds for the ~7-year demo market."""
QUICK = FoldConfig(train_days=126, valid_days=42, test_days=42, step_days=42)
"""Tiny folds for 2-year markets (tests, smoke runs); far too short for research."""


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold; ``fold_id`` = first test date 'YYYY-MM-DD'."""

    fold_id: str
    train: pd.DatetimeIndex
    valid: pd.DatetimeIndex
    test: pd.DatetimeIndex

    @property
    def test_start(self) -> pd.Timestamp:
        return self.test[0]

    @property
    def test_end(self) -> pd.Timestamp:
        return self.test[-1]


def make_folds(calendar: pd.DatetimeIndex | np.ndarray | list, config: FoldConfig = R1) -> list[Fold]:
    """All walk-forward folds of ``calendar`` (ascending unique trading days).

    Raises DataContractError when the calendar is unsorted or too short for one fold.
    """
    cal = pd.DatetimeIndex(calendar)
    if not cal.is_monotonic_increasing or cal.has_duplicates:
        raise DataContractError("calendar must be strictly increasing", Location(column="date"))
    start = config.history_days
    if config.first_test_date is not None:
        first = int(cal.searchsorted(pd.Timestamp(config.first_test_date)))
        if first < start:
            raise DataContractError(
                f"first test date {config.first_test_date} needs {start} trading days of history, calendar has {first}",
                Location(column="date", date=config.first_test_date),
            )
        start = first
    if start >= len(cal):
        raise DataContractError(
            f"calendar of {len(cal)} days is too short for {start} days of history + a test window",
            Location(column="date"),
        )
    folds = []
    for s in range(start, len(cal), config.step_days):
        v0 = s - config.valid_days
        t0 = v0 - config.train_days
        test = cal[s : min(len(cal), s + config.test_days)]
        folds.append(
            Fold(
                fold_id=test[0].strftime("%Y-%m-%d"),
                train=cal[t0 : v0 - config.purge_days],
                valid=cal[v0 : s - config.purge_days],
                test=test,
            )
        )
    return folds


def fold_keys(folds: list[Fold]) -> list[str]:
    """The fold ids, e.g. for Dagster partition keys."""
    return [f.fold_id for f in folds]


def covering_fold(folds: list[Fold], date: pd.Timestamp) -> Fold | None:
    """The fold whose test window covers ``date``: the latest fold starting on or before it
    (test windows overlap only when test_days > step_days; the newest model wins)."""
    best = None
    for f in folds:
        if f.test_start <= date <= f.test_end:
            best = f
    return best


class FoldPlan(StrEnum):
    """Which walk-forward plan a deployment uses (one per data source).

    PAPER: R1's test windows (the first the R1 history of 252x6 + 252x2 allows, stepping 126);
        each model trains on its own lengths (R1, or R1_XGB for XGBoost) ending where the shared
        test window starts, so every model is tested on the same windows (same fold ids).
    DEMO: the short DEMO lengths for every model (the ~7-year synthetic demo market).
    QUICK: QUICK lengths (half-year train) for 2-year markets: wiring tests and smoke runs.
    """

    PAPER = "paper"
    DEMO = "demo"
    QUICK = "quick"

    @property
    def config(self) -> FoldConfig:
        return {FoldPlan.PAPER: R1, FoldPlan.DEMO: DEMO, FoldPlan.QUICK: QUICK}[self]

    @property
    def per_model_lengths(self) -> bool:
        return self is FoldPlan.PAPER


def plan_folds(calendar: pd.DatetimeIndex, plan: FoldConfig, model_folds: FoldConfig | None = None) -> list[Fold]:
    """The folds of one model under a plan whose test windows (hence fold ids) every model shares.

    ``model_folds`` (e.g. R1_XGB) sets the model's own train/valid/purge lengths; its training
    ends where the plan's test window starts. None: the plan's own lengths.
    """
    base = make_folds(calendar, plan)
    if model_folds is None:
        return base
    own = replace(
        model_folds,
        test_days=plan.test_days,
        step_days=plan.step_days,
        first_test_date=base[0].test_start.strftime("%Y-%m-%d"),
    )
    return make_folds(calendar, own)
