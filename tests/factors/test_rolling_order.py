"""The compiled window kernels against independent implementations (pandas, numpy loops)."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.factors.rolling_order import rolling_extreme_age, rolling_quantiles_rank
from alpha_core.factors.rolling_trend import rolling_trend


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(7)
    x = np.round(10 * np.exp(np.cumsum(rng.normal(0, 0.02, (120, 6)), axis=0)), 1)  # coarse ticks: many ties
    x[rng.uniform(size=x.shape) < 0.1] = np.nan
    x[:15, 2] = np.nan  # a late listing
    x[40:55, 3] = np.nan  # a long suspension
    return x


@pytest.mark.parametrize("w,mp", [(5, 3), (10, 5), (20, 1)])
def test_quantiles_and_rank_equal_pandas(prices, w, mp):
    (q80, q20), rank = rolling_quantiles_rank(prices, w, (0.8, 0.2), mp)
    roll = pd.DataFrame(prices).rolling(w, min_periods=mp)
    np.testing.assert_allclose(q80, roll.quantile(0.8).to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(q20, roll.quantile(0.2).to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rank, roll.rank(pct=True).to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_extreme_and_age_of_the_oldest_tie(prices, kind):
    w, mp = 7, 4
    val, age = rolling_extreme_age(prices, w, kind, mp)
    arg = np.nanargmax if kind == "max" else np.nanargmin
    for t in range(len(prices)):
        for j in range(prices.shape[1]):
            win = prices[max(0, t - w + 1) : t + 1, j]
            if (~np.isnan(win)).sum() < mp:
                assert np.isnan(val[t, j]) and np.isnan(age[t, j])
                continue
            i = arg(win)  # numpy: the first (oldest) extreme
            assert val[t, j] == win[i]
            assert age[t, j] == len(win) - 1 - i


def test_trend_equals_least_squares_on_the_time_index(prices):
    w, mp = 8, 3
    slope, rsq, resi = rolling_trend(prices, w, mp)
    for t in range(len(prices)):
        for j in range(prices.shape[1]):
            pos = np.arange(max(0, t - w + 1), t + 1)
            y = prices[pos, j]
            ok = ~np.isnan(y)
            if ok.sum() < mp:
                assert np.isnan(slope[t, j])
                continue
            x = (pos - t + w)[ok].astype(float)  # 1..w, newest = w
            b, a = np.polyfit(x, y[ok], 1)
            assert slope[t, j] == pytest.approx(b, rel=1e-9, abs=1e-12)
            if np.ptp(y[ok]) > 0:
                assert rsq[t, j] == pytest.approx(np.corrcoef(x, y[ok])[0, 1] ** 2, rel=1e-9, abs=1e-12)
            if ok[-1]:
                assert resi[t, j] == pytest.approx(y[-1] - (a + b * w), rel=1e-9, abs=1e-9)
            else:
                assert np.isnan(resi[t, j])


def test_flat_window_has_no_rsquare():
    x = np.full((10, 1), 4.2)
    slope, rsq, resi = rolling_trend(x, 5, 3)
    assert np.allclose(slope[4:], 0.0) and np.isnan(rsq[4:]).all() and np.allclose(resi[4:], 0.0)


def test_bad_arguments_raise():
    x = np.ones((5, 2))
    with pytest.raises(ValueError, match="quantiles"):
        rolling_quantiles_rank(x, 3, (1.5,), 1)
    with pytest.raises(ValueError, match="kind"):
        rolling_extreme_age(x, 3, "median", 1)
    with pytest.raises(ValueError, match="window"):
        rolling_trend(x, 1, 1)


def test_results_do_not_depend_on_the_thread_count(prices):
    import numba

    def run():
        (q,), r = rolling_quantiles_rank(prices, 10, (0.8,), 5)
        m, a = rolling_extreme_age(prices, 10, "max", 5)
        return [q, r, m, a, *rolling_trend(prices, 10, 5)]

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = run()
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many, strict=True):
        assert a.tobytes() == b.tobytes()
