"""Hand-built 3-stock markets, one per A-share rule, with NAVs computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.backtest.costs import CostModel, FillPrice
from alpha_core.backtest.engine import BacktestConfig, run_backtest
from alpha_core.backtest.rules import execute_weights, one_price_limit

CODES = ["SH600000", "SH600001", "SH600002"]  # A, B, C
DAYS = pd.bdate_range("2021-01-04", periods=4)
CLOSE = np.array([[10.0, 20.0, 5.0], [11.0, 20.0, 5.0], [12.1, 22.0, 5.5], [12.1, 21.0, 6.0]])
VWAP = np.array([[10.0, 20.0, 5.0], [10.5, 20.5, 5.2], [11.5, 21.0, 5.25], [12.0, 21.5, 5.8]])
OPEN = np.array([[10.0, 20.0, 5.0], [10.2, 20.2, 5.1], [11.2, 20.5, 5.2], [12.2, 21.8, 5.6]])
ZERO = BacktestConfig(costs=CostModel(0.0, 0.0))


def bars(close=CLOSE, vwap=VWAP, open_=OPEN, adj=None, tradable=None, limit_up=None, limit_down=None):
    close, vwap, open_ = (np.array(a, dtype=float) for a in (close, vwap, open_))
    high = np.fmax(np.fmax(close, open_), vwap)
    low = np.fmin(np.fmin(close, open_), vwap)
    prev = np.vstack([close[:1], close[:-1]])
    lu = np.round(prev * 1.1, 2) if limit_up is None else limit_up
    ld = np.round(prev * 0.9, 2) if limit_down is None else limit_down
    t, n = close.shape
    frame = {
        "date": np.repeat(DAYS[:t].values, n),
        "code": np.tile(CODES, t),
        "open": open_.ravel(),
        "high": high.ravel(),
        "low": low.ravel(),
        "close": close.ravel(),
        "volume": np.full(t * n, 1e6),
        "amount": (vwap * 1e6).ravel(),
        "vwap": vwap.ravel(),
        "adj_factor": (np.ones((t, n)) if adj is None else adj).ravel(),
        "turnover": np.full(t * n, 0.01),
        "float_mcap": np.full(t * n, 1e9),
        "total_mcap": np.full(t * n, 2e9),
        "tradable": (np.ones((t, n), bool) if tradable is None else tradable).ravel(),
        "limit_up": np.asarray(lu, float).ravel(),
        "limit_down": np.asarray(ld, float).ravel(),
        "is_st": np.zeros(t * n, bool),
    }
    return pd.DataFrame(frame)


def w(day: int, **weights: float) -> pd.DataFrame:
    names = dict(zip("ABC", CODES))
    return pd.DataFrame({"date": DAYS[day], "code": [names[k] for k in weights], "weight": list(weights.values())})


def test_vwap_fill_and_one_way_cost():
    r = 0.002
    res = run_backtest(bars(), w(0, A=0.5, B=0.5), BacktestConfig(costs=CostModel.one_way(r)))
    # day 1: 1 CNY of cash buys 0.5/0.5 at vwap; budget B = 1 - r * B  ->  B = 1 / (1 + r)
    b = 1 / (1 + r)
    va, vb = 0.5 * b * 11.0 / 10.5, 0.5 * b * 20.0 / 20.5
    nav1 = va + vb
    nav2 = va * 12.1 / 11.0 + vb * 22.0 / 20.0
    nav3 = va * 12.1 / 11.0 + vb * 21.0 / 20.0
    d = res.daily
    assert list(d["date"]) == list(DAYS[1:])  # decided on day 0, first traded on day 1
    np.testing.assert_allclose(d["nav"], [nav1, nav2, nav3], rtol=1e-12)
    np.testing.assert_allclose(d["ret"], [nav1 - 1, nav2 / nav1 - 1, nav3 / nav2 - 1], rtol=1e-10)
    assert d["cost"].iloc[0] == pytest.approx(r * b, rel=1e-12)
    assert d["turnover"].iloc[0] == pytest.approx(b, rel=1e-12)  # two-way: bought b of NAV 1
    assert d["cash_weight"].abs().max() < 1e-12
    assert res.trades["date"].iloc[0] == DAYS[1] and res.trades["decision_date"].iloc[0] == DAYS[0]


def test_two_way_cost_is_half_per_side():
    res = run_backtest(bars(), w(0, A=1.0), BacktestConfig(costs=CostModel.two_way(0.003)))
    assert res.daily["cost"].iloc[0] == pytest.approx(0.0015 / 1.0015, rel=1e-12)


def test_rebalance_cost_with_buys_and_sells():
    # day1 buy A 100%; day2 (decided day1) switch to B 100% at vwap: sell A, buy B
    r = 0.002
    res = run_backtest(bars(), pd.concat([w(0, A=1.0), w(1, B=1.0)]), BacktestConfig(costs=CostModel.one_way(r)))
    va1 = 1 / (1 + r) * 11.0 / 10.5
    va_fill = va1 * 11.5 / 11.0
    # sell va_fill of A, buy B of value x: x = va_fill - r * va_fill - r * x
    x = va_fill * (1 - r) / (1 + r)
    nav2 = x * 22.0 / 21.0
    np.testing.assert_allclose(res.daily["nav"].iloc[1], nav2, rtol=1e-12)
    assert res.daily["turnover"].iloc[1] == pytest.approx((va_fill + x) / va_fill, rel=1e-12)


@pytest.mark.parametrize("fill,price", [(FillPrice.CLOSE, CLOSE), (FillPrice.OPEN, OPEN)])
def test_other_fill_prices(fill, price):
    res = run_backtest(bars(), w(0, A=1.0), BacktestConfig(costs=CostModel(0, 0), fill=fill))
    nav1 = 11.0 / price[1, 0]
    np.testing.assert_allclose(res.daily["nav"].iloc[:2], [nav1, nav1 * 12.1 / 11.0], rtol=1e-12)


def test_same_day_close_fill_allowed_but_not_same_day_vwap():
    res = run_backtest(bars(), w(1, A=1.0), BacktestConfig(costs=CostModel(0, 0), fill=FillPrice.CLOSE, lag=0))
    assert res.daily["date"].iloc[0] == DAYS[1] and res.daily["nav"].iloc[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="look-ahead"):
        BacktestConfig(fill=FillPrice.VWAP, lag=0)


def test_suspended_stock_neither_bought_nor_sold():
    tradable = np.ones((4, 3), bool)
    tradable[2, 2] = False  # C suspended on day 2: no vwap, close carried
    vwap = VWAP.copy()
    vwap[2, 2] = np.nan
    close = CLOSE.copy()
    close[2, 2] = 5.0
    weights = pd.concat([w(0, A=1 / 3, B=1 / 3, C=1 / 3), w(1, A=0.5, B=0.5)])
    res = run_backtest(bars(close=close, vwap=vwap, tradable=tradable), weights, ZERO)
    v1 = np.array([1 / 3 * 11.0 / 10.5, 1 / 3 * 20.0 / 20.5, 1 / 3 * 5.0 / 5.2])
    vf = v1 * np.array([11.5 / 11.0, 21.0 / 20.0, 1.0])  # C valued at its carried close
    nav_pre = vf.sum()
    free = nav_pre - vf[2]  # C keeps its value; A and B share the rest equally
    v2 = np.array([free / 2 * 12.1 / 11.5, free / 2 * 22.0 / 21.0, vf[2]])
    np.testing.assert_allclose(res.daily["nav"].iloc[1], v2.sum(), rtol=1e-12)
    h = res.holdings[res.holdings["date"] == DAYS[2]].set_index("code")["weight"]
    assert h[CODES[2]] == pytest.approx(vf[2] / v2.sum(), rel=1e-12)
    assert res.trades["n_locked"].iloc[1] == 1
    # day 3: C resumes at 6.0 from a carried 5.0
    assert res.daily["nav"].iloc[2] == pytest.approx(v2[0] + v2[1] * 21 / 22 + v2[2] * 6 / 5, rel=1e-12)


def test_suspended_stock_not_bought_weight_redistributed():
    tradable = np.ones((4, 3), bool)
    tradable[1, 2] = False
    vwap = VWAP.copy()
    vwap[1, 2] = np.nan
    res = run_backtest(bars(vwap=vwap, tradable=tradable), w(0, A=0.2, B=0.3, C=0.5), ZERO)
    # C cannot be bought: its 0.5 goes to A and B pro rata (0.4 / 0.6)
    nav1 = 0.4 * 11.0 / 10.5 + 0.6 * 20.0 / 20.5
    assert res.daily["nav"].iloc[0] == pytest.approx(nav1, rel=1e-12)
    assert res.daily["blocked_weight"].iloc[0] == pytest.approx(0.5)


def test_no_buy_at_one_price_limit_up():
    close, vwap, open_ = CLOSE.copy(), VWAP.copy(), OPEN.copy()
    close[1, 1] = vwap[1, 1] = open_[1, 1] = 22.0  # B: open = high = low = close = limit up (20 * 1.1)
    res = run_backtest(bars(close=close, vwap=vwap, open_=open_), w(0, A=0.5, B=0.5), ZERO)
    assert res.daily["nav"].iloc[0] == pytest.approx(11.0 / 10.5, rel=1e-12)  # all in A
    assert set(res.holdings.loc[res.holdings["date"] == DAYS[1], "code"]) == {CODES[0]}


def test_limit_up_that_opened_is_buyable():
    close, vwap = CLOSE.copy(), VWAP.copy()
    close[1, 1] = 22.0  # closes at the limit but traded below it intraday (open 20.2)
    res = run_backtest(bars(close=close, vwap=vwap), w(0, A=0.5, B=0.5), ZERO)
    assert res.daily["nav"].iloc[0] == pytest.approx(0.5 * 11 / 10.5 + 0.5 * 22 / 20.5, rel=1e-12)


def test_no_sell_at_one_price_limit_down_but_buy_allowed():
    close, vwap, open_ = CLOSE.copy(), VWAP.copy(), OPEN.copy()
    close[2, 0] = vwap[2, 0] = open_[2, 0] = 9.9  # A on day 2: one price at limit down (11 * 0.9)
    weights = pd.concat([w(0, A=0.5, B=0.5), w(1, C=1.0)])
    res = run_backtest(bars(close=close, vwap=vwap, open_=open_), weights, ZERO)
    va, vb = 0.5 * 11.0 / 10.5, 0.5 * 20.0 / 20.5
    va_f, vb_f = va * 9.9 / 11.0, vb * 21.0 / 20.0
    # A cannot be sold; B is sold and everything else goes into C
    nav2 = va_f + vb_f * 5.5 / 5.25
    assert res.daily["nav"].iloc[1] == pytest.approx(nav2, rel=1e-12)
    # buying at a one-price limit down is allowed
    res = run_backtest(bars(close=close, vwap=vwap, open_=open_), w(1, A=1.0), ZERO)
    assert res.daily["nav"].iloc[0] == pytest.approx(1.0)  # bought at 9.9, closed at 9.9


def test_adjustment_factor_makes_split_neutral():
    close, vwap, open_ = CLOSE.copy(), VWAP.copy(), OPEN.copy()
    adj = np.ones((4, 3))
    for a in (close, vwap, open_):
        a[2:, 0] /= 2  # 2-for-1 split of A from day 2: raw prices halve ...
    adj[2:, 0] = 2.0  # ... and the factor doubles
    weights = w(0, A=0.5, B=0.5)
    base = run_backtest(bars(), weights, ZERO).daily["nav"]
    split = run_backtest(
        bars(
            close=close,
            vwap=vwap,
            open_=open_,
            adj=adj,
            limit_up=np.round(np.vstack([close[:1], close[:-1]]) * 1.1 * 10, 2),
        ),
        weights,
        ZERO,
    ).daily["nav"]
    np.testing.assert_allclose(split, base, rtol=1e-12)


def test_excess_return_and_benchmark():
    bench = pd.Series([0.0, 0.01, -0.02, 0.005], index=DAYS)
    res = run_backtest(bars(), w(0, A=1.0), ZERO, bench_ret=bench)
    np.testing.assert_allclose(res.daily["bench_ret"], bench.iloc[1:])
    np.testing.assert_allclose(res.daily["excess_ret"], res.daily["ret"] - bench.iloc[1:].to_numpy())


def test_no_look_ahead_future_prices_and_weights():
    weights = pd.concat([w(0, A=0.5, B=0.5), w(1, C=1.0)])
    base = run_backtest(bars(), weights, ZERO).daily
    close, vwap = CLOSE.copy(), VWAP.copy()
    close[3] *= 3
    vwap[3] *= 0.5
    moved = run_backtest(bars(close=close, vwap=vwap), weights, ZERO).daily
    pd.testing.assert_frame_equal(base.iloc[:2], moved.iloc[:2])  # days 1..2 unchanged
    # a different decision on day 2 cannot change days up to and including day 2
    other = run_backtest(bars(), pd.concat([weights, w(2, B=1.0)]), ZERO).daily
    pd.testing.assert_frame_equal(base.iloc[:2], other.iloc[:2])
    assert other["nav"].iloc[2] != base["nav"].iloc[2]


def test_one_price_limit_detection_within_a_cent():
    lim = np.array([11.0, 11.0, 11.0])
    o = np.array([11.0, 10.995, 10.9])
    assert one_price_limit(o, o, o, o, lim).tolist() == [True, True, False]
    assert not one_price_limit(np.nan, 11.0, 11.0, 11.0, 11.0)


def test_execute_weights_locks_iteratively():
    # B must be sold but cannot (limit down): it keeps 0.6; A would get 0.4 but is limit up
    # and only holds 0.3, so it cannot be bought up either: 0.1 stays in cash.
    target = np.array([0.5, 0.5, 0.0])
    current = np.array([0.3, 0.6, 0.1])
    executed, locked = execute_weights(target, current, np.array([False, True, True]), np.array([True, False, True]))
    np.testing.assert_allclose(executed, [0.3, 0.6, 0.0])
    assert locked.tolist() == [True, True, False]


def test_stock_listed_on_execution_day_counts_fill_to_close():
    df = bars()
    first_c = (df["code"] == CODES[2]) & (df["date"] < DAYS[1])
    df = df[~first_c]  # C has no bar before day 1 (its listing day)
    res = run_backtest(df, w(0, C=1.0), ZERO)
    assert res.daily["nav"].iloc[0] == pytest.approx(5.0 / 5.2, rel=1e-12)
    assert res.daily["nav"].iloc[1] == pytest.approx(5.5 / 5.2, rel=1e-12)
