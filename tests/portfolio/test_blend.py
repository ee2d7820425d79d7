from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.portfolio.blend import blend_daily, excess_correlation


def daily(ret, bench, turnover=0.0):
    dates = pd.bdate_range("2021-01-04", periods=len(ret))
    ret, bench = np.asarray(ret, float), np.asarray(bench, float)
    return pd.DataFrame(
        {"date": dates, "ret": ret, "bench_ret": bench, "excess_ret": ret - bench, "turnover": turnover}
    )


def test_blend_drifts_then_resets_by_hand():
    a = daily([0.10, 0.00, 0.10, 0.0], [0.0] * 4)
    b = daily([0.00, 0.10, 0.00, 0.0], [0.0] * 4)
    out = blend_daily(a, b, every=2, transfer_cost=0.0)
    # day0: 0.5*1.1 + 0.5 = 1.05 ; day1 (no reset): A 0.55, B 0.5*1.1 = 0.55 -> 1.10
    # day2 reset to 0.55 each (nothing to move): 0.55*1.1 + 0.55 = 1.155
    np.testing.assert_allclose(out["nav"], [1.05, 1.10, 1.155, 1.155])
    assert out["weight_a"].iloc[1] == pytest.approx(0.55 / 1.05)
    assert out["turnover"].iloc[2] == pytest.approx(0.0)  # sleeves equal: nothing moved


def test_blend_transfer_cost_and_turnover():
    a = daily([0.2, 0.0, 0.0], [0.0] * 3, turnover=0.1)
    b = daily([0.0, 0.0, 0.0], [0.0] * 3, turnover=0.3)
    out = blend_daily(a, b, every=2, transfer_cost=0.01)
    # day 2: sleeves 0.6 / 0.5 (total 1.1); move 0.05; cost 2 * 0.01 * 0.05 = 0.001
    assert out["cost"].iloc[2] == pytest.approx(0.001 / 1.1)
    assert out["nav"].iloc[2] == pytest.approx(1.1 - 0.001)
    assert out["turnover"].iloc[2] == pytest.approx(0.5 * 0.1 + 0.5 * 0.3 + 2 * 0.05 / 1.1)


def test_excess_correlation():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(50), rng.standard_normal(50)
    a, b = daily(x, np.zeros(50)), daily(x + y, np.zeros(50))
    assert excess_correlation(a, b) == pytest.approx(np.corrcoef(x, x + y)[0, 1])
