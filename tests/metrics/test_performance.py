"""Every performance metric against a hand computation on tiny series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alpha_core.metrics import performance as pf

R = np.array([0.01, -0.02, 0.03, -0.01, 0.02])
B = np.array([0.005, -0.01, 0.01, 0.0, 0.01])


def test_annual_return_and_volatility():
    growth = 1.01 * 0.98 * 1.03 * 0.99 * 1.02
    assert pf.annual_return(R) == pytest.approx(growth ** (252 / 5) - 1)
    mean = R.sum() / 5
    var = sum((r - mean) ** 2 for r in R) / 4
    assert pf.annual_volatility(R) == pytest.approx(math.sqrt(var) * math.sqrt(252))
    assert pf.sharpe_ratio(R) == pytest.approx(pf.annual_return(R) / pf.annual_volatility(R))


def test_max_drawdown_and_calmar():
    # NAV: 1, 1.01, 0.9898, 1.019494, 1.00929906, 1.0294850...: peak 1.01 -> trough 0.9898
    assert pf.max_drawdown(R) == pytest.approx(1 - 0.9898 / 1.01)
    assert pf.max_drawdown([-0.1, 0.05]) == pytest.approx(0.1)  # the initial NAV counts as a peak
    assert pf.max_drawdown([0.01, 0.02]) == 0.0
    assert pf.calmar_ratio(R) == pytest.approx(pf.annual_return(R) / (1 - 0.9898 / 1.01))
    assert math.isnan(pf.calmar_ratio([0.01, 0.02]))


def test_excess_metrics():
    e = R - B  # 0.005, -0.01, 0.02, -0.01, 0.01
    g = 1.005 * 0.99 * 1.02 * 0.99 * 1.01
    assert pf.annual_return(e) == pytest.approx(g ** (252 / 5) - 1)
    te = np.std(e, ddof=1) * np.sqrt(252)
    assert pf.tracking_error(e) == pytest.approx(te)
    assert pf.information_ratio(e) == pytest.approx((g ** (252 / 5) - 1) / te)
    # excess NAV 1.005, 0.99495, 1.014849, 1.00470051: peak 1.005 -> 0.99495
    assert pf.max_drawdown(e) == pytest.approx(1 - 0.99495 / 1.005)


def test_monthly_win_rate_and_table():
    dates = pd.to_datetime(["2021-01-28", "2021-01-29", "2021-02-01", "2021-02-02", "2021-03-01"])
    e = np.array([0.01, -0.02, 0.005, 0.001, 0.0])
    # Jan: 1.01 * 0.98 - 1 < 0; Feb: > 0; Mar: 0 (not a win)
    assert pf.monthly_win_rate(e, dates) == pytest.approx(1 / 3)
    daily = pd.DataFrame({"date": dates, "ret": e, "bench_ret": 0.0, "excess_ret": e, "turnover": 0.0})
    table = pf.monthly_excess_table(daily)
    assert table.loc[2021, 1] == pytest.approx(1.01 * 0.98 - 1)
    assert table.loc[2021, 2] == pytest.approx(1.005 * 1.001 - 1)
    assert np.isnan(table.loc[2021, 12])
    assert table.loc[2021, "year"] == pytest.approx(np.prod(1 + e) - 1)


def test_annual_turnover():
    # 2 rebalances of 0.3 and 0.1 two-way over 126 days -> 0.4 * 2 = 0.8 per year
    t = np.zeros(126)
    t[0], t[60] = 0.3, 0.1
    assert pf.annual_turnover(t) == pytest.approx(0.8)


def test_performance_table_per_year_and_all():
    dates = pd.bdate_range("2020-12-28", periods=10)
    rng = np.random.default_rng(0)
    r = rng.normal(0, 0.01, 10)
    b = rng.normal(0, 0.01, 10)
    daily = pd.DataFrame({"date": dates, "ret": r, "bench_ret": b, "excess_ret": r - b, "turnover": 0.1})
    table = pf.performance_table(daily)
    assert list(table.index) == ["2020", "2021", "all"]
    assert list(table.columns) == pf.METRICS
    y2020 = dates.year == 2020
    assert table.loc["2020", "annual_return"] == pytest.approx(np.prod(1 + r[y2020]) ** (252 / y2020.sum()) - 1)
    assert table.loc["all", "information_ratio"] == pytest.approx(pf.information_ratio(r - b))
    assert table.loc["all", "annual_turnover"] == pytest.approx(0.1 * 252)


def test_compare_strategies_rows():
    dates = pd.bdate_range("2021-01-04", periods=5)
    a = pd.DataFrame({"date": dates, "ret": R, "bench_ret": B, "excess_ret": R - B, "turnover": 0.0})
    table = pf.compare_strategies({"a": a, "b": a.assign(ret=B, excess_ret=0.0)})
    assert list(table.index) == ["a", "b"] and list(table.columns) == pf.HEADLINE
    assert table.loc["a", "information_ratio"] == pytest.approx(pf.information_ratio(R - B))
    assert table.loc["b", "annual_excess_return"] == 0.0
