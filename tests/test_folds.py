import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.folds import DEMO, R1, R1_XGB, FoldConfig, covering_fold, make_folds

CAL = pd.bdate_range("2005-01-03", periods=3000)


def test_r1_lengths_and_ids():
    folds = make_folds(CAL, R1)
    f0 = folds[0]
    assert len(f0.train) == 252 * 6 - 10 and len(f0.valid) == 252 * 2 - 10 and len(f0.test) == 126
    assert f0.test[0] == CAL[252 * 8] and f0.fold_id == CAL[252 * 8].strftime("%Y-%m-%d")
    assert folds[1].test[0] == CAL[252 * 8 + 126]
    assert len(folds) == int(np.ceil((3000 - 252 * 8) / 126))
    assert len(folds[-1].test) == (3000 - 252 * 8) % 126 or len(folds[-1].test) == 126


def test_presets():
    assert (R1_XGB.train_days, R1_XGB.valid_days) == (252 * 5, 252)
    assert (DEMO.train_days, DEMO.valid_days, DEMO.test_days) == (504, 126, 126)
    assert make_folds(CAL, R1_XGB)[0].test[0] == CAL[252 * 6]


@pytest.mark.parametrize("cfg", [R1, R1_XGB, DEMO, FoldConfig(100, 50, 20, 10, purge_days=5, label_horizon=5)])
def test_no_label_window_overlaps_next_segment(cfg):
    """Label of day t spans returns over trading days (t+1 .. t+1+h]; it must end before the
    next segment's first label starts, i.e. idx(t) + 1 + h <= idx(first day of next segment)."""
    pos = {d: i for i, d in enumerate(CAL)}
    for fold in make_folds(CAL, cfg):
        segs = [fold.train, fold.valid, fold.test]
        for seg, nxt in zip(segs[:-1], segs[1:]):
            last_label_end = pos[seg[-1]] + 1 + cfg.label_horizon
            assert last_label_end <= pos[nxt[0]]
            # ... and every label of the next segment starts after it
            assert last_label_end < pos[nxt[0]] + 1
        assert fold.train[-1] < fold.valid[0] < fold.valid[-1] < fold.test[0]


def test_purge_shorter_than_horizon_refused():
    with pytest.raises(ValueError):
        FoldConfig(purge_days=5, label_horizon=10)


def test_test_windows_tile_the_calendar_once():
    folds = make_folds(CAL, R1)
    test_dates = np.concatenate([f.test.values for f in folds])
    assert len(test_dates) == len(np.unique(test_dates)) == 3000 - 252 * 8
    d = CAL[2500]
    assert d in covering_fold(folds, d).test
    assert covering_fold(folds, CAL[10]) is None


def test_first_test_date_and_errors():
    cfg = FoldConfig(first_test_date=str(CAL[2100].date()))
    assert make_folds(CAL, cfg)[0].test[0] == CAL[2100]
    with pytest.raises(DataContractError):
        make_folds(CAL, FoldConfig(first_test_date=str(CAL[100].date())))
    with pytest.raises(DataContractError):
        make_folds(CAL[:500], R1)
    with pytest.raises(DataContractError):
        make_folds(CAL[::-1], R1)


def test_folds_are_causal_in_the_calendar_tail():
    """Appending future days never changes existing folds' train/valid windows."""
    a = make_folds(CAL[:2600], R1)
    b = make_folds(CAL, R1)
    for fa, fb in zip(a, b):
        assert fa.fold_id == fb.fold_id
        assert fa.train.equals(fb.train) and fa.valid.equals(fb.valid)


def test_paper_plan_gives_every_model_the_same_test_windows():
    from alpha_core.folds import R1, R1_XGB, FoldPlan, plan_folds

    cal = pd.bdate_range("2010-01-04", periods=3159)
    gat = plan_folds(cal, FoldPlan.PAPER.config, R1)
    xgb = plan_folds(cal, FoldPlan.PAPER.config, R1_XGB)
    assert [f.fold_id for f in gat] == [f.fold_id for f in xgb]
    assert all(a.test.equals(b.test) for a, b in zip(gat, xgb))
    # XGBoost trains 252x5 then validates 252 (minus the purge), ending where the test starts.
    assert len(xgb[0].train) == 252 * 5 - 10 and len(xgb[0].valid) == 252 - 10
    assert xgb[0].valid[-1] < xgb[0].test_start and gat[0].train[0] < xgb[0].train[0]
    # The first R1 test window needs 252x8 days of history.
    assert gat[0].test_start == cal[252 * 8]
