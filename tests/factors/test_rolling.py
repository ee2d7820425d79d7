"""Rolling kernels vs straightforward per-window numpy loops."""

import math

import numpy as np
import pytest

from alpha_core.factors import rolling as R


@pytest.fixture
def xy():
    rng = np.random.default_rng(3)
    x = rng.normal(100, 5, (60, 4))
    y = 0.5 * x + rng.normal(0, 3, (60, 4))
    x[[3, 4, 17, 40], [0, 0, 2, 3]] = np.nan
    y[[5, 33], [1, 2]] = np.nan
    x[:10, 3] = np.nan  # late start
    return x, y


def _loop(x, w, fn, mp):
    out = np.full(x.shape, np.nan)
    for t in range(len(x)):
        for j in range(x.shape[1]):
            v = x[max(0, t - w + 1) : t + 1, j]
            v = v[~np.isnan(v)]
            if len(v) >= mp:
                out[t, j] = fn(v)
    return out


def test_mean_std_sum(xy):
    x, _ = xy
    np.testing.assert_allclose(R.rolling_mean(x, 7), _loop(x, 7, np.mean, 4), rtol=1e-10)
    np.testing.assert_allclose(R.rolling_sum(x, 7, 2), _loop(x, 7, np.sum, 2), rtol=1e-10)
    np.testing.assert_allclose(R.rolling_std(x, 7), _loop(x, 7, lambda v: np.std(v, ddof=1), 4), rtol=1e-8)


def test_corr(xy):
    x, y = xy
    w = 10
    exp = np.full(x.shape, np.nan)
    for t in range(len(x)):
        for j in range(x.shape[1]):
            a, b = x[max(0, t - w + 1) : t + 1, j], y[max(0, t - w + 1) : t + 1, j]
            ok = ~np.isnan(a) & ~np.isnan(b)
            if ok.sum() >= 5:
                exp[t, j] = np.corrcoef(a[ok], b[ok])[0, 1]
    np.testing.assert_allclose(R.rolling_corr(x, y, w), exp, rtol=1e-8, atol=1e-12)


def test_corr_constant_is_nan():
    x = np.ones((12, 1))
    y = np.arange(12.0)[:, None]
    assert np.isnan(R.rolling_corr(x, y, 5)).all()


def test_moments(xy):
    x, _ = xy

    def skew(v):
        d = v - v.mean()
        return (d**3).mean() / (d**2).mean() ** 1.5

    def kurt(v):
        d = v - v.mean()
        return (d**4).mean() / (d**2).mean() ** 2

    np.testing.assert_allclose(R.rolling_moment_ratio(x, 12, 3), _loop(x, 12, skew, 6), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(R.rolling_moment_ratio(x, 12, 4), _loop(x, 12, kurt, 6), rtol=1e-6)


def test_extremes(xy):
    x, _ = xy
    np.testing.assert_array_equal(R.rolling_extreme(x, 5, "max"), _loop(x, 5, np.max, 3))
    np.testing.assert_array_equal(R.rolling_extreme(x, 5, "min"), _loop(x, 5, np.min, 3))


def test_ema_and_lag():
    x = np.array([[1.0], [np.nan], [3.0], [5.0]])
    a = 2 / 6
    e1 = 1.0
    e2 = a * 3 + (1 - a) * e1
    e3 = a * 5 + (1 - a) * e2
    np.testing.assert_allclose(R.ema(x, 5)[:, 0], [1.0, np.nan, e2, e3])
    np.testing.assert_array_equal(R.lag(x, 2)[:, 0], [np.nan, np.nan, 1.0, np.nan])


def test_min_periods_default():
    assert R.default_min_periods(21) == 11 and R.default_min_periods(3, 2) == 2
    assert math.isnan(R.rolling_mean(np.array([[1.0], [np.nan], [np.nan]]), 3)[2, 0])
