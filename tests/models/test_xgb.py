import numpy as np

from alpha_core.models.xgb import XGBConfig, XGBScorer


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
