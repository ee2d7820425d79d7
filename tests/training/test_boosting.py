import numpy as np
import pandas as pd
import pytest

from alpha_core.training.boosting import DailyRankIC, XGBConfig, XGBEarlyStop, XGBScorer


def _data(seed=0, n=600):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.3 * rng.normal(size=n)).astype(np.float32)
    return x, y


def test_learns_and_is_deterministic():
    x, y = _data()
    xv, yv = _data(1, 300)
    cfg = XGBConfig(n_threads=2)
    a = XGBScorer(cfg).fit(x, y, xv, yv)
    b = XGBScorer(cfg).fit(x, y, xv, yv)
    pa, pb = a.predict(xv), b.predict(xv)
    np.testing.assert_array_equal(pa, pb)
    assert np.corrcoef(pa, yv)[0, 1] > 0.8
    assert a.best_iteration_ < cfg.num_rounds
    assert len(a.curve_) <= a.best_iteration_ + 1 + cfg.early_stopping


def test_defaults_match_spec():
    p = XGBConfig().params()
    assert p["eta"] == 0.05 and p["max_depth"] == 3 and p["subsample"] == 0.8 and p["colsample_bytree"] == 0.8
    assert XGBConfig().num_rounds == 1000 and XGBConfig().early_stopping == 20


def test_early_stopping_on_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    y = rng.normal(size=400).astype(np.float32)
    xv = rng.normal(size=(200, 3)).astype(np.float32)
    yv = rng.normal(size=200).astype(np.float32)
    s = XGBScorer(XGBConfig()).fit(x, y, xv, yv)
    assert len(s.curve_) < 200  # pure noise: validation stops improving early


def _spearman_by_day(pred, y, groups):
    out = []
    for g in np.unique(groups):
        m = groups == g
        rp = pd.Series(pred[m]).rank().to_numpy()
        ry = pd.Series(y[m]).rank().to_numpy()
        out.append(np.corrcoef(rp, ry)[0, 1])
    return float(np.mean(out))


def test_daily_rank_ic_matches_a_hand_spearman_with_ties():
    pred = np.array([1.0, 1.0, 2.0, 3.0, 0.5, 0.2, 0.2, 0.9])
    y = np.array([0.1, 0.3, 0.2, 0.5, 1.0, -1.0, 0.0, np.nan])
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # day 0: ranks pred (1.5, 1.5, 3, 4), y (1, 3, 2, 4); day 1 (NaN label dropped): pred (3, 1.5, 1.5), y (3, 1, 2)
    d0 = np.corrcoef([1.5, 1.5, 3, 4], [1, 3, 2, 4])[0, 1]
    d1 = np.corrcoef([3, 1.5, 1.5], [3, 1, 2])[0, 1]
    assert DailyRankIC(y, groups)(pred) == pytest.approx((d0 + d1) / 2, abs=1e-12)
    ok = np.isfinite(y)
    assert DailyRankIC(y, groups)(pred) == pytest.approx(_spearman_by_day(pred[ok], y[ok], groups[ok]), abs=1e-12)
    # a constant prediction has no rank correlation on any day
    assert DailyRankIC(y, groups)(np.zeros(8)) == 0.0


def test_rank_ic_early_stopping_keeps_the_round_with_the_best_validation_rank_ic():
    x, y = _data(0, 2000)
    xv, yv = _data(1, 800)
    groups = np.repeat(np.arange(8), 100)
    cfg = XGBConfig(n_threads=1, num_rounds=80, early_stopping=10, early_stop_metric=XGBEarlyStop.RANK_IC)
    s = XGBScorer(cfg).fit(x, y, xv, yv, valid_groups=groups)
    curve = s.curve_
    assert "valid_rank_ic" in curve
    assert s.best_iteration_ == int(curve["valid_rank_ic"].to_numpy().argmax())
    assert curve["valid_rank_ic"].iloc[s.best_iteration_] == pytest.approx(
        DailyRankIC(yv, groups)(s.predict(xv)), abs=1e-6
    )
    with pytest.raises(ValueError, match="valid_groups"):
        XGBScorer(cfg).fit(x, y, xv, yv)
