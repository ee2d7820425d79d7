"""R2 / R3 schedules as configurations of the fold machinery (alpha_core.training.schedules)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.folds import FoldConfig, make_folds
from alpha_core.training.schedules import (
    R2_WEEKLY,
    R3_MONTHLY,
    Rebalance,
    Retrain,
    Schedule,
    rebalance_days,
    sample_days,
    schedule_folds,
    split_80_20,
    training_days,
)

CAL = pd.bdate_range("2009-01-01", "2022-12-31")  # weekdays as a stand-in trading calendar


def test_r3_is_eight_years_split_80_20_with_a_month_of_purge():
    assert split_80_20(2016) == (1613, 403)
    cfg = R3_MONTHLY.folds
    assert (cfg.train_days, cfg.valid_days) == (1613, 403)
    assert cfg.purge_days >= cfg.label_horizon == 21
    assert R3_MONTHLY.retrain == Retrain.YEARLY and R3_MONTHLY.rebalance == Rebalance.MONTH_END
    assert R2_WEEKLY.rebalance_every == 5 and R2_WEEKLY.folds.label_horizon == 5


@pytest.mark.parametrize("schedule", [R2_WEEKLY, R3_MONTHLY])
def test_yearly_folds_test_whole_calendar_years_after_purged_windows(schedule):
    folds = schedule_folds(CAL, schedule)
    first_year = pd.Timestamp(schedule.folds.first_test_date).year
    assert [f.test_start.year for f in folds] == list(range(first_year, 2023))
    cfg = schedule.folds
    for f in folds:
        year = f.test_start.year
        in_year = CAL[CAL.year == year]
        assert f.test.equals(in_year)  # exactly the year's days
        assert f.fold_id == in_year[0].strftime("%Y-%m-%d")
        s = CAL.get_loc(f.test_start)
        # hand-computed windows: valid = the V days before the test start minus the purge
        assert f.valid.equals(CAL[s - cfg.valid_days : s - cfg.purge_days])
        assert f.train.equals(CAL[s - cfg.valid_days - cfg.train_days : s - cfg.valid_days - cfg.purge_days])
        assert f.train[-1] < f.valid[0] and f.valid[-1] < f.test[0]
        # no label of a train / valid day reaches into the next segment
        assert CAL.get_loc(f.valid[-1]) + cfg.label_horizon < s


def test_step_retrain_is_make_folds_itself():
    cfg = FoldConfig(train_days=300, valid_days=100, test_days=50, step_days=50, purge_days=5, label_horizon=5)
    sched = Schedule("x", cfg, retrain=Retrain.STEP)
    got, want = schedule_folds(CAL, sched), make_folds(CAL, cfg)
    assert [f.fold_id for f in got] == [f.fold_id for f in want]


def test_too_short_calendar_raises():
    with pytest.raises(DataContractError, match="no year"):
        schedule_folds(CAL[:1000], R3_MONTHLY)


def test_sampling_keeps_the_last_day_and_every_fifth_before_it():
    days = CAL[:23]
    got = sample_days(days, 5)
    assert got.equals(days[[2, 7, 12, 17, 22]])
    fold = schedule_folds(CAL, R3_MONTHLY)[0]
    train, valid = training_days(fold, R3_MONTHLY)
    assert train[-1] == fold.train[-1] and valid[-1] == fold.valid[-1]
    assert np.all(np.diff(fold.train.get_indexer(train)) == 5)


def test_rebalance_days_month_ends_and_weekly():
    days = pd.DatetimeIndex(["2021-01-28", "2021-01-29", "2021-02-01", "2021-02-26", "2021-03-01", "2021-03-02"])
    assert rebalance_days(days, R3_MONTHLY).equals(pd.DatetimeIndex(["2021-01-29", "2021-02-26", "2021-03-02"]))
    weekly = rebalance_days(CAL[:12], R2_WEEKLY)
    assert weekly.equals(CAL[[0, 5, 10]])
    assert dataclasses.replace(R2_WEEKLY, rebalance_every=3).rebalance_every == 3
    with pytest.raises(ValueError):
        Schedule("bad", R2_WEEKLY.folds, sample_every=0)
