"""Weights over time (no look-ahead) and the simple signal portfolios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.portfolio.enhance import expected_return_proxy, mad_zscore, optimize_portfolios, style_frame
from alpha_core.portfolio.presets import BP, LOG_FLOAT_CAP, PRESETS, R1, R2, R3, PresetName
from alpha_core.portfolio.relaxation import OptimizeStatus
from alpha_core.portfolio.schedule import Rebalance, rebalance_days
from alpha_core.portfolio.simple import decile_portfolios, top_fraction, top_n, topk_dropout

N, T = 40, 30
DAYS = pd.bdate_range("2022-01-03", periods=T)
CODES = [f"SH6{i:05d}" for i in range(N)]


def market(seed=0):
    rng = np.random.default_rng(seed)
    sig = pd.DataFrame({"date": np.repeat(DAYS, N), "code": np.tile(CODES, T), "score": rng.standard_normal(T * N)})
    wb = rng.uniform(0.5, 1.5, 25)
    iw = pd.DataFrame({"date": DAYS[0], "index_code": "SH000905", "code": CODES[:25], "weight": wb / wb.sum()})
    ind = pd.DataFrame(
        {
            "code": CODES,
            "start_date": pd.Timestamp("2000-01-01"),
            "end_date": pd.NaT,
            "industry": [f"ind{i % 4}" for i in range(N)],
            "sector": "growth",
        }
    )
    styles = pd.DataFrame(
        {
            "date": np.repeat(DAYS, N),
            "code": np.tile(CODES, T),
            LOG_FLOAT_CAP: rng.normal(22, 1, T * N),
            BP: rng.normal(0.5, 0.2, T * N),
        }
    )
    prices = pd.DataFrame(np.exp(np.cumsum(rng.normal(0, 0.02, (T, N)), axis=0)), index=DAYS, columns=CODES)
    return sig, iw, ind, styles, prices


def run(sig, iw, ind, styles, prices, preset=R1):
    return optimize_portfolios(sig, iw, ind, preset, styles=styles, adj_close=prices, index_code="SH000905")


def test_enhanced_weights_respect_r1_every_rebalance():
    sig, iw, ind, styles, prices = market()
    res = run(sig, iw, ind, styles, prices)
    assert list(res.weights["date"].unique()) == list(DAYS[::5])
    assert (res.log["status"] == OptimizeStatus.OPTIMAL).all()
    wb = iw.set_index("code")["weight"].reindex(CODES).fillna(0)
    for day, g in res.weights.groupby("date"):
        w = g.set_index("code")["weight"].reindex(CODES).fillna(0)
        assert w.sum() == pytest.approx(1, abs=1e-9)
        assert (w - wb).abs().max() <= 0.01 + 1e-6
        ind_dev = (w - wb).groupby(ind.set_index("code")["industry"]).sum()
        assert ind_dev.abs().max() <= 0.01 + 1e-6
        x = mad_zscore(styles[styles["date"] == day].set_index("code")[[LOG_FLOAT_CAP, BP]].reindex(CODES).to_numpy())
        assert np.abs(x.T @ (w - wb).to_numpy()).max() <= 0.01 + 1e-6


def test_weights_at_t_use_no_data_after_t():
    sig, iw, ind, styles, prices = market()
    base = run(sig, iw, ind, styles, prices).weights
    cut = DAYS[10]
    rng = np.random.default_rng(9)
    late = sig["date"] > cut
    sig2 = sig.copy()
    sig2.loc[late, "score"] = rng.standard_normal(late.sum())
    st2 = styles.copy()
    st2.loc[styles["date"] > cut, BP] = 5.0
    pr2 = prices.copy()
    pr2.loc[pr2.index > cut] *= 3.0
    iw2 = pd.concat([iw, iw.assign(date=DAYS[12], weight=np.r_[1.0, np.zeros(24)])])
    moved = run(sig2, iw2, ind, st2, pr2).weights
    early = base["date"] <= cut
    pd.testing.assert_frame_equal(
        base[early].reset_index(drop=True), moved[moved["date"] <= cut].reset_index(drop=True)
    )
    assert not base[~early].reset_index(drop=True).equals(moved[moved["date"] > cut].reset_index(drop=True))


def test_r3_monthly_and_all_in_constituents():
    sig, iw, ind, styles, prices = market()
    res = run(sig, iw, ind, styles, prices, R3)
    assert list(res.weights["date"].unique()) == [pd.Timestamp("2022-01-31"), DAYS[-1]]
    assert set(res.weights["code"]) <= set(CODES[:25])


def test_rebalance_days():
    days = pd.bdate_range("2022-01-03", "2022-03-04")
    assert list(rebalance_days(days, Rebalance.EVERY_N, 5)) == list(days[::5])
    monthly = rebalance_days(days, Rebalance.MONTH_END)
    assert list(monthly) == [pd.Timestamp("2022-01-31"), pd.Timestamp("2022-02-28"), pd.Timestamp("2022-03-04")]
    # unsorted, duplicated input: sorted first; an empty calendar has no decision day
    assert list(rebalance_days(days[::-1].append(days[:3]), Rebalance.EVERY_N, 5)) == list(days[::5])
    assert len(rebalance_days(days[:0], Rebalance.MONTH_END)) == 0
    assert list(R3.rebalance_days(days)) == list(monthly) and list(R1.rebalance_days(days)) == list(days[::5])


def test_presets_by_enum_read_only():
    assert [PRESETS[n].name for n in PresetName] == [PresetName.R1, PresetName.R2, PresetName.R3]
    assert PRESETS["r2"] is R2  # a value looks one up too
    with pytest.raises(TypeError):
        PRESETS[PresetName.R1] = R3  # type: ignore[index]


def test_expected_return_proxy_by_hand():
    s = pd.Series([1.0, 2.0, 3.0, np.nan], index=["a", "b", "c", "d"])
    # mean 2, std (ddof 0) sqrt(2/3): z = -1.2247, 0, 1.2247; d (NaN) and e (absent) get the min
    z = np.sqrt(1.5)
    mu = expected_return_proxy(s, pd.Index(["c", "a", "d", "e"]))
    np.testing.assert_allclose(mu.to_numpy(), [z, -z, -z, -z])
    flat = expected_return_proxy(pd.Series([5.0, 5.0], index=["a", "b"]), pd.Index(["a", "b"]))
    np.testing.assert_allclose(flat.to_numpy(), [0.0, 0.0])  # constant signal: std taken as 1


def test_mad_zscore_by_hand():
    x = np.array([[1.0], [2.0], [3.0], [4.0], [100.0], [np.nan]])
    # median 3, MAD median(|x-3|)=median(2,1,0,1,97)=1 -> clip at 3 +- 5 -> 100 becomes 8
    c = np.array([1, 2, 3, 4, 8.0])
    expect = (c - c.mean()) / c.std()
    np.testing.assert_allclose(mad_zscore(x)[:5, 0], expect)
    assert mad_zscore(x)[5, 0] == 0.0


def test_style_frame_log_float_cap():
    bars = pd.DataFrame({"date": DAYS[:2], "code": CODES[:2], "float_mcap": [np.e**3, 0.0]})
    out = style_frame(bars)
    assert out[LOG_FLOAT_CAP].iloc[0] == pytest.approx(3.0) and np.isnan(out[LOG_FLOAT_CAP].iloc[1])


def simple_signals():
    # day 0 scores: code i has score i; day 1 reversed
    codes = [f"SZ00000{i}" for i in range(10)]
    s = np.arange(10.0)
    return pd.DataFrame({"date": np.repeat(DAYS[:2], 10), "code": codes * 2, "score": np.r_[s, s[::-1]]}), codes


def test_top_fraction_and_top_n():
    sig, codes = simple_signals()
    top = top_fraction(sig, 0.2)
    assert top[top["date"] == DAYS[0]]["code"].tolist() == codes[8:]
    assert top["weight"].tolist() == [0.5] * 4
    t3 = top_n(sig, 3)
    assert t3[t3["date"] == DAYS[1]]["code"].tolist() == codes[:3]


def test_topk_dropout_replaces_n_drop_names():
    sig, codes = simple_signals()
    out = topk_dropout(sig, k=4, n_drop=1)
    d0 = set(out[out["date"] == DAYS[0]]["code"])
    d1 = set(out[out["date"] == DAYS[1]]["code"])
    assert d0 == set(codes[6:])
    # reversed scores: the worst held (code 9) is dropped, best non-held (code 0) bought
    assert d1 == {codes[0], codes[6], codes[7], codes[8]}


def test_decile_portfolios():
    sig, codes = simple_signals()
    dec = decile_portfolios(sig, n_groups=5)
    d0 = dec[dec["date"] == DAYS[0]].set_index("code")
    assert d0.loc[codes[0], "group"] == 1 and d0.loc[codes[9], "group"] == 5 and d0.loc[codes[2], "group"] == 2
    assert (dec.groupby(["date", "group"])["weight"].sum() == 1).all()
