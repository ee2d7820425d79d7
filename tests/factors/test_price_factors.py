"""Every bar-based factor against an independent hand computation (4-10 stocks)."""

import numpy as np
import pandas as pd
import pytest
from factor_hand import Hand, engine_wide, sd
from factor_synth import make_bars, wide

from alpha_core.factors import R1_FACTORS, R3_FLOW_FEATURES, R3_TS_FEATURES, FactorInputs, compute_factors

RTOL = 2e-5  # engine output is float32


@pytest.fixture(scope="module")
def bars():
    return make_bars(n_stocks=5, n_days=300, seed=11, suspend={2: [30, 31, 32, 60, 200]})


@pytest.fixture(scope="module")
def hand(bars):
    return Hand(bars)


@pytest.fixture(scope="module")
def eng(bars):
    names = [n for n in R1_FACTORS if not n.startswith("con_") and n not in ("bp_lf", "ep_ttm", "ocfp_ttm", "dyr12")]
    df = compute_factors(
        FactorInputs(bars),
        names
        + list(R3_TS_FEATURES)
        + list(R3_FLOW_FEATURES)
        + [
            "ret_12m",
            "ret_20",
            "ret_60",
            "mom_120_20",
            "retstd_20",
            "retstd_60",
            "turnstd_10",
            "turnstd_20",
            "turn_10",
            "turn_20",
            "turn_60",
            "posistd_20",
            "posistd_60",
            "negstd_20",
            "negstd_60",
            "pct_vol_cor_20",
            "pct_vol_cor_60",
            "aavg",
            "illiq",
            "stda",
        ],
    )
    return lambda name: engine_wide(df, name, bars)


def check(got, exp, rtol=RTOL, atol=1e-9):
    assert np.isnan(got).sum() < got.size  # not trivially empty
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
    np.testing.assert_allclose(got, exp, rtol=rtol, atol=atol)


def test_returns(hand, eng):
    for k, name in ((5, "ret_5d"), (21, "ret_1m"), (20, "ret_20"), (60, "ret_60")):
        check(eng(name), hand.pct(k))
    check(eng("mom_120_20"), hand.pct(120) - hand.pct(20))


def test_adjusted_return_uses_adj_factor(bars, hand):
    # the synthetic ex-dividend step at day 45 must show in the return, raw close alone would not
    raw = wide(bars, "close")
    t = 150
    np.testing.assert_allclose(hand.ret[t, 3], raw[t, 3] * 1.3 / raw[t - 1, 3] - 1, rtol=1e-12)


def test_exp_wgt_return(hand, eng):
    x = hand.ret * hand.turn
    out = np.full(x.shape, np.nan)
    for t in range(hand.T):
        for j in range(hand.N):
            s = np.arange(max(0, t - 62), t + 1)
            v = x[s, j]
            w = np.exp(-(t - s) / 12.0)
            ok = ~np.isnan(v)
            if ok.sum() >= 32:
                out[t, j] = (v[ok] * w[ok]).sum() / ok.sum()
    check(eng("exp_wgt_return_3m"), out, atol=1e-12)


def test_volatility_turnover_technical(hand, eng):
    check(eng("std_1m"), hand.stat(hand.ret, 21, sd, 11))
    check(eng("vstd_1m"), hand.stat(hand.vol, 21, sd, 11))
    check(eng("turn_1m"), hand.stat(hand.turn, 21, np.mean, 11))
    check(eng("std_turn_1m"), hand.stat(hand.turn, 21, sd, 11))
    check(eng("bias_turn_1m"), hand.stat(hand.turn, 21, np.mean, 11) / hand.stat(hand.turn, 504, np.mean, 252))
    check(eng("std_ret_10d"), hand.stat(hand.ret, 10, sd, 5))
    check(eng("std_vol_10d"), hand.stat(hand.vol, 10, sd, 5))
    check(eng("std_turn_10d"), hand.stat(hand.turn, 10, sd, 5))
    prices = {"close": hand.ac, "open": hand.ao, "high": hand.ah, "low": hand.al, "vwap": hand.avwap}
    for name, p in prices.items():
        check(eng(f"corr_ret_{name}"), hand.corr(hand.ret, p, 10), atol=1e-5)
        check(eng(f"corr_vol_{name}"), hand.corr(hand.vol, p, 10), atol=1e-5)
    check(eng("corr_ret_vol"), hand.corr(hand.ret, hand.vol, 10), atol=1e-5)
    check(eng("corr_ret_turn"), hand.corr(hand.ret, hand.turn, 10), atol=1e-5)


def test_kbar(hand, eng):
    o, h, lo, c = hand.o, hand.h, hand.l, hand.c
    rng = h - lo + 1e-12
    exp = {
        "low2high": lo / h,
        "vwap2close": hand.vwap / c,
        "kmid": (c - o) / o,
        "klen": (h - lo) / o,
        "kmid2": (c - o) / rng,
        "kup": (h - np.maximum(o, c)) / o,
        "kup2": (h - np.maximum(o, c)) / rng,
        "klow": (np.minimum(o, c) - lo) / o,
        "klow2": (np.minimum(o, c) - lo) / rng,
        "ksft": (2 * c - h - lo) / o,
        "ksft2": (2 * c - h - lo) / rng,
    }
    for name, e in exp.items():
        check(eng(name), e)
    assert np.isnan(eng("kmid")[30, 2])  # suspended day


def test_r3_timeseries(hand, eng):
    v, r, c = hand.vol, hand.ret, hand.ac
    ma20v = hand.stat(v, 20, np.mean, 10)
    # EMA_5 of adjusted close by recursion, skipping NaN days
    ema = np.full(c.shape, np.nan)
    for j in range(hand.N):
        state = np.nan
        for t in range(hand.T):
            if np.isnan(c[t, j]):
                continue
            state = c[t, j] if np.isnan(state) else (2 / 6) * c[t, j] + (4 / 6) * state
            ema[t, j] = state
    check(eng("pvo"), (c - ema) / ma20v, atol=1e-12)
    check(eng("sse"), (hand.stat(c, 20, np.max, 10) - hand.stat(c, 20, np.min, 10)) / ma20v, atol=1e-12)
    prev_v = np.vstack([np.full((1, hand.N), np.nan), v[:-1]])
    liq = np.abs(v - prev_v) / hand.stat(v, 20, sd, 10)
    check(eng("liq"), liq)

    def skew(x):
        d = x - x.mean()
        return (d**3).mean() / (d**2).mean() ** 1.5

    def kurt(x):
        d = x - x.mean()
        return (d**4).mean() / (d**2).mean() ** 2

    check(eng("skew"), hand.stat(r, 20, skew, 10), atol=1e-5)
    check(eng("kurtosis"), hand.stat(r, 20, kurt, 10), atol=1e-5)
    prev_c = np.vstack([np.full((1, hand.N), np.nan), hand.cff[:-1]])
    check(eng("gap"), hand.ao / prev_c - 1, atol=1e-7)
    check(eng("vts"), hand.stat(r, 10, sd, 5) / hand.stat(r, 30, sd, 15))
    check(eng("vcll"), v / ma20v)
    check(eng("rvr"), r / hand.stat(r, 20, sd, 10), atol=1e-6)
    ma60 = hand.stat(c, 60, np.mean, 30)
    check(eng("csl"), (c - ma60) / ma60, atol=1e-7)
    prev_r = np.vstack([np.full((1, hand.N), np.nan), r[:-1]])
    check(eng("rev"), hand.corr(r, prev_r, 20), atol=1e-5)
    check(eng("vclb"), hand.stat(r, 5, sd, 3) / hand.stat(r, 20, sd, 10))
    l1 = np.vstack([np.full((1, hand.N), np.nan), liq[:-1]])
    l2 = np.vstack([np.full((2, hand.N), np.nan), liq[:-2]])
    check(eng("lip"), (3 * liq + 2 * l1 + l2) / 6)
    br = np.array(
        [
            (np.sum(row > 0) - np.sum(row < 0)) / np.sum(~np.isnan(row)) if np.any(~np.isnan(row)) else np.nan
            for row in r
        ]
    )
    check(eng("breadth"), np.repeat(br[:, None], hand.N, axis=1))


def test_r3_node_and_flow_price_features(hand, eng):
    r = hand.ret
    check(eng("retstd_20"), hand.stat(r, 20, sd, 10))
    check(eng("retstd_60"), hand.stat(r, 60, sd, 30))
    for n in (10, 20):
        mp = -(-n // 2)
        check(eng(f"turnstd_{n}"), hand.stat(hand.turn, n, sd, mp) / hand.stat(hand.turn, n, np.mean, mp))
    for n in (10, 20, 60):
        check(eng(f"turn_{n}"), np.log(hand.stat(hand.turn, n, np.mean, -(-n // 2))))
    pos = np.where(r > 0, r, np.nan)
    neg = np.where(r < 0, r, np.nan)
    for n in (20, 60):
        check(eng(f"posistd_{n}"), hand.stat(pos, n, sd, n // 4))
        check(eng(f"negstd_{n}"), hand.stat(neg, n, sd, n // 4))
        check(eng(f"pct_vol_cor_{n}"), hand.corr(r, hand.vol, n), atol=1e-5)
    check(eng("aavg"), hand.stat(hand.amount, 20, np.mean, 10))
    check(eng("stda"), hand.stat(hand.amount, 20, sd, 10))
    check(eng("illiq"), np.log(hand.stat(np.abs(r) / hand.amount, 20, np.mean, 10)), rtol=1e-6)
    check(eng("flow_f"), np.sign(r) * hand.amount)
    t5 = np.vstack([np.full((5, hand.N), np.nan), hand.turn[:-5]])
    check(eng("deltatr"), hand.turn / t5 - 1)
    check(eng("corpv"), hand.corr(hand.ac, hand.vol, 20), atol=1e-5)


def test_ret_12m():
    b = make_bars(n_stocks=3, n_days=300, seed=5)
    h = Hand(b)
    df = compute_factors(FactorInputs(b), ["ret_12m"])
    check(engine_wide(df, "ret_12m", b), h.pct(252) - h.pct(21))


def test_output_range_and_dtype(bars):
    start = pd.Timestamp(bars["date"].unique()[40])
    df = compute_factors(FactorInputs(bars), ["ret_5d", "kmid"], start=start)
    assert df["date"].min() == start
    assert df["ret_5d"].dtype == np.float32
    assert list(df.columns) == ["date", "code", "ret_5d", "kmid"]
    assert df.equals(df.sort_values(["date", "code"]).reset_index(drop=True))
