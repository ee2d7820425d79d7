"""SyntheticSource: determinism, the data contract, A-share rules and stylised facts."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from alpha_core.data import contract
from alpha_core.data.source import DataSource
from alpha_core.data.synthetic import PROFILES, Profile, SyntheticConfig, SyntheticSource
from alpha_core.errors import DataContractError

TINY = SyntheticConfig(seed=3, n_stocks=40, start="2019-01-01", end="2019-06-30")


def log_returns(bars: pd.DataFrame) -> pd.Series:
    """Daily adjusted close-to-close log returns of a long bars table (NaN on first rows)."""
    adj = np.log(bars["close"] * bars["adj_factor"])
    return adj - adj.groupby(bars["code"]).shift()


def _digest(src: SyntheticSource) -> str:
    cal = src.calendar()
    h = hashlib.sha256()
    for df in (
        src.bars(cal[0], cal[-1]),
        src.ground_truth(cal[0], cal[-1]),
        src.fundamentals(),
        src.index_weights(cal[0], cal[-1]),
        src.consensus(cal[0], cal[-1]),
        src.macro(),
        src.instruments(),
    ):
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def test_same_seed_same_bytes_and_different_seed_differs():
    a, b = _digest(SyntheticSource(TINY)), _digest(SyntheticSource(TINY))
    assert a == b
    assert _digest(SyntheticSource(replace(TINY, seed=4))) != a


def test_is_a_data_source_and_profiles():
    src = SyntheticSource.from_profile("small")
    assert isinstance(src, DataSource)
    assert src.name == "synthetic:small"
    assert SyntheticSource.from_profile().name == "synthetic"
    assert SyntheticSource.from_profile().config == PROFILES[Profile.DEMO]
    large = PROFILES[Profile.LARGE]
    assert large.n_stocks >= 3000 and large.end_ts.year - large.start_ts.year + 1 >= 15
    with pytest.raises(ValueError):
        SyntheticSource.from_profile("huge")


def test_generates_lazily_once(small_source):
    src = SyntheticSource(PROFILES[Profile.SMALL])
    assert src._market is None
    first = src.market
    assert src.market is first


@pytest.mark.parametrize(
    ("method", "schema"),
    [
        ("bars", contract.BARS_SCHEMA),
        ("index_levels", contract.INDEX_LEVELS_SCHEMA),
        ("index_weights", contract.INDEX_WEIGHTS_SCHEMA),
        ("consensus", contract.CONSENSUS_SCHEMA),
        ("instruments", contract.INSTRUMENTS_SCHEMA),
        ("industry_map", contract.INDUSTRY_SCHEMA),
        ("fundamentals", contract.FUNDAMENTALS_SCHEMA),
        ("macro", contract.MACRO_SCHEMA),
    ],
)
def test_every_table_passes_the_contract(small_source, method, schema):
    cal = small_source.calendar()
    fn = getattr(small_source, method)
    df = fn(cal[0], cal[-1]) if method in ("bars", "index_levels", "index_weights", "consensus") else fn()
    assert len(df) > 0
    contract.validate(df, schema)
    for col in ("date", "list_date", "report_period", "announce_date", "period", "release_date", "start_date"):
        if col in df.columns:
            assert str(df[col].dtype) == "datetime64[ns]", col
    if "date" in df.columns:
        key = (
            ["date", "index_code", "code"]
            if "index_code" in df.columns and "code" in df.columns
            else (["date", "index_code"] if "index_code" in df.columns else ["date", "code"])
        )
        assert df[key].equals(df[key].sort_values(key).reset_index(drop=True))


def test_validating_source_and_contract_errors(small_source):
    src = SyntheticSource(PROFILES[Profile.SMALL], validate=True)
    cal = src.calendar()
    assert len(src.bars(cal[0], cal[5])) > 0
    with pytest.raises(DataContractError):
        contract.validate(src.bars(cal[0], cal[5]).assign(close=-1.0), contract.BARS_SCHEMA)


def test_bars_slice_matches_full_sample(small_source):
    cal = small_source.calendar()
    full = small_source.bars(cal[0], cal[-1])
    part = small_source.bars(cal[10], cal[20])
    expect = full[(full["date"] >= cal[10]) & (full["date"] <= cal[20])].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expect)
    assert set(part["date"]) == set(cal[10:21])


def test_stylised_facts(demo_bars):
    bars = demo_bars
    r = log_returns(bars)[bars["tradable"]].dropna()
    kurt = float(((r - r.mean()) ** 4).mean() / r.var() ** 2)
    assert kurt > 3.0
    # volatility clustering: lag-1 autocorrelation of |r| per stock, averaged
    wide = log_returns(bars).abs().groupby([bars["date"], bars["code"]]).first().unstack()
    ac = [wide[c].autocorr(1) for c in wide.columns if wide[c].notna().sum() > 200]
    assert np.nanmean(ac) > 0.05
    cs = log_returns(bars).groupby(bars["date"]).std().dropna()
    assert 0.015 <= cs.mean() <= 0.04
    assert cs.quantile(0.05) > 0.01 and cs.quantile(0.95) < 0.06


def test_every_close_within_limits_and_rounded(demo_bars):
    b = demo_bars
    assert (b["close"] <= b["limit_up"] + 1e-9).all() and (b["close"] >= b["limit_down"] - 1e-9).all()
    assert (b["high"] <= b["limit_up"] + 1e-9).all() and (b["low"] >= b["limit_down"] - 1e-9).all()
    for col in ("open", "high", "low", "close", "limit_up", "limit_down"):
        cents = b[col] * 100
        assert np.allclose(cents, np.round(cents), atol=1e-6), col
    assert ((b["vwap"] >= b["low"] - 1e-9) & (b["vwap"] <= b["high"] + 1e-9) | b["vwap"].isna()).all()


def test_limit_percentages_follow_board_and_st_rules(demo_source, demo_bars):
    b = demo_bars.merge(demo_source.instruments()[["code", "board"]], on="code")
    # reference = previous close except on ex days (adj_factor changes): compare there only
    b = b[(b["adj_factor"] == b["prev_adj"]) & b["prev_close"].notna()]
    reform = b["date"] >= pd.Timestamp("2020-08-24")
    wide = (b["board"] == "star") | ((b["board"] == "chinext") & reform)
    pct = np.where(wide, 0.20, np.where(b["is_st"], 0.05, 0.10))
    assert {0.05, 0.10, 0.20} <= set(pct)
    # exchange rule: half-up cent rounding of the reference price times (1 +- pct)
    up = np.floor(b["prev_close"] * (1 + pct) * 100 + 0.5) / 100
    down = np.floor(b["prev_close"] * (1 - pct) * 100 + 0.5) / 100
    assert np.allclose(b["limit_up"], up, atol=1e-9)
    assert np.allclose(b["limit_down"], np.maximum(down, 0.01), atol=1e-9)


def test_limit_days_and_one_price_days_exist(demo_bars):
    b = demo_bars[demo_bars["tradable"]]
    at_up = b["close"] == b["limit_up"]
    at_dn = b["close"] == b["limit_down"]
    assert 0.002 < at_up.mean() < 0.05 and 0.002 < at_dn.mean() < 0.05
    one = (b["open"] == b["high"]) & (b["high"] == b["low"]) & (b["low"] == b["close"])
    assert (one & at_up).sum() > 10 and (one & at_dn).sum() > 10
    # one-price limit days trade little
    assert b.loc[one & at_up, "turnover"].median() < 0.5 * b["turnover"].median()


def test_suspended_days_have_no_trading(demo_bars):
    b = demo_bars
    s = b[~b["tradable"]]
    assert 0.002 < len(s) / len(b) < 0.03
    assert (s["volume"] == 0).all() and (s["amount"] == 0).all() and s["vwap"].isna().all()
    assert (s["turnover"] == 0).all()
    same = s[s["adj_factor"] == s["prev_adj"]]
    for col in ("open", "high", "low", "close"):
        assert np.allclose(same[col], same["prev_close"]), col
    t = b[b["tradable"]]
    assert (t["volume"] > 0).all() and t["vwap"].notna().all()


def test_volume_amount_turnover_and_caps_are_consistent(demo_bars):
    b = demo_bars[demo_bars["tradable"]]
    assert np.allclose(b["amount"], b["volume"] * b["vwap"], rtol=1e-9)
    float_shares = b["float_mcap"] / b["close"]
    assert np.allclose(b["turnover"], b["volume"] / float_shares, rtol=1e-9)
    assert (b["volume"] % 100 == 0).all()
    assert (b["float_mcap"] <= b["total_mcap"] * (1 + 1e-12)).all()
    assert 0.005 < b["turnover"].median() < 0.04
    assert 1e9 < b["total_mcap"].median() < 5e10


def test_adjustment_factor_compensates_splits_and_dividends(demo_bars):
    b = demo_bars.dropna(subset=["prev_close"])
    ex = b[b["adj_factor"] != b["prev_adj"]]
    assert len(ex) > 50
    assert (ex["adj_factor"] > ex["prev_adj"]).all()  # dividends and bonus shares only raise it
    assert (ex["date"].dt.month.isin([6, 7])).all()
    split = ex[ex["adj_factor"] / ex["prev_adj"] > 1.15]
    assert len(split) > 3
    # the raw reference drops by the ex-right amount; adjusted prices stay within the day's limit move
    ref = ex["prev_close"] * ex["prev_adj"] / ex["adj_factor"]
    assert np.allclose(
        ex["limit_up"], np.floor(ref * (1 + np.round(ex["limit_up"] / ref - 1, 2)) * 100 + 0.5) / 100, atol=0.011
    )
    adj_ret = ex["close"] * ex["adj_factor"] / (ex["prev_close"] * ex["prev_adj"]) - 1
    assert (adj_ret.abs() < 0.21).all()
    raw_ret = ex["close"] / ex["prev_close"] - 1
    assert (raw_ret[split.index] < -0.1).all()


def test_listing_delisting_st_and_boards(demo_source, demo_bars):
    inst = demo_source.instruments()
    cal = demo_source.calendar()
    first = demo_bars.groupby("code")["date"].min()
    last = demo_bars.groupby("code")["date"].max()
    ipo = inst[inst["list_date"] > cal[0]]
    assert len(ipo) > 50
    assert (first[ipo["code"]].to_numpy() == ipo["list_date"].to_numpy()).all()
    dl = inst[inst["delist_date"].notna()]
    assert len(dl) >= 5
    assert (last[dl["code"]].to_numpy() < dl["delist_date"].to_numpy()).all()
    last_rows = demo_bars[demo_bars["code"].isin(dl["code"])].groupby("code").tail(1)
    assert last_rows["is_st"].all()  # delisting period
    assert inst.loc[inst["code"].str.startswith("SZ3"), "board"].eq("chinext").all()
    star = inst[inst["code"].str.startswith("SH688")]
    assert star["board"].eq("star").all() and (star["list_date"] >= pd.Timestamp("2019-07-22")).all()
    chinext = inst[inst["board"] == "chinext"]
    assert (chinext["list_date"] >= pd.Timestamp("2009-10-30")).all()
    assert set(inst["board"]) >= {"main", "chinext", "star"}
    assert 0.005 < demo_bars["is_st"].mean() < 0.08
    ind = demo_source.industry_map()
    assert ind["industry"].nunique() >= 25 and set(ind["code"]) == set(inst["code"])


def test_indices_weights_and_levels(demo_source, demo_bars):
    cal = demo_source.calendar()
    w = demo_source.index_weights(cal[0], cal[-1])
    assert set(w["index_code"]) == {"SH000300", "SH000905", "SH000852"}
    sums = w.groupby(["date", "index_code"])["weight"].sum()
    assert np.allclose(sums, 1.0)
    assert not w.duplicated(["date", "code"]).any()  # the three indices are disjoint
    day = w[w["date"] == cal[300]].merge(demo_bars[["date", "code", "total_mcap"]], on=["date", "code"])
    med = day.groupby("index_code")["total_mcap"].median()
    assert med["SH000300"] > med["SH000905"] > med["SH000852"]
    counts = w.groupby(["date", "index_code"])["code"].size().unstack()
    assert (counts["SH000300"] < counts["SH000905"]).all() and (counts["SH000905"] < counts["SH000852"]).all()
    # members change only around semi-annual rebalances (and delistings)
    members = w[w["index_code"] == "SH000905"].groupby("date")["code"].apply(frozenset)
    changes = members.index[1:][members.to_numpy()[1:] != members.to_numpy()[:-1]]
    assert len(changes) <= 2 * len(set(cal.year)) + 12
    lv = demo_source.index_levels(cal[0], cal[-1])
    assert lv.groupby("index_code")["close"].first().eq(1000.0).all()
    # the level follows the weighted adjusted return of the previous day's members
    b = demo_bars.assign(
        ret=demo_bars["close"] * demo_bars["adj_factor"] / (demo_bars["prev_close"] * demo_bars["prev_adj"]) - 1
    )
    w5 = w[(w["index_code"] == "SH000905") & (w["date"] == cal[100])]
    nxt = b[b["date"] == cal[101]].set_index("code")["ret"].reindex(w5["code"]).fillna(0.0)
    lv5 = lv[lv["index_code"] == "SH000905"].set_index("date")["close"]
    assert np.isclose(lv5[cal[101]] / lv5[cal[100]] - 1, float((w5["weight"].to_numpy() * nxt.to_numpy()).sum()))


def test_fundamentals_point_in_time(demo_source):
    f = demo_source.fundamentals()
    assert (f["announce_date"] > f["report_period"]).all()
    lag = (f["announce_date"] - f["report_period"]).dt.days
    assert lag.max() <= 125 and lag.min() >= 1
    q4 = f[f["report_period"].dt.month == 12]
    assert (q4["announce_date"] <= q4["report_period"] + pd.DateOffset(months=4)).all()
    assert np.allclose(f["roe"], f["net_profit"] / f["book_value"])
    assert np.allclose(f["total_liabilities"], f["total_assets"] - f["book_value"])
    assert (f["current_liabilities"] <= f["total_liabilities"]).all()
    assert (f.loc[f["report_period"].dt.month != 12, "dividends"] == 0).all()
    assert (q4["dividends"] > 0).mean() > 0.5
    # announcements never go backwards in report order
    assert (f.groupby("code")["announce_date"].diff().dropna() >= pd.Timedelta(0)).all()
    assert f["roe"].median() == pytest.approx(0.09 / 4, abs=0.01)


def test_consensus_uses_only_announced_book_values(demo_source):
    cal = demo_source.calendar()
    con = demo_source.consensus(cal[0], cal[-1])
    f = demo_source.fundamentals().sort_values(["announce_date", "report_period"])
    f = f[["code", "announce_date", "book_value"]]
    book = (con["con_np_fy1"] / con["con_roe_fy1"]).rename("implied_book")
    probe = con[["date", "code"]].assign(implied_book=book).sort_values("date")
    # latest book announced strictly before the date (announcements may be after the close)
    asof = pd.merge_asof(
        probe, f.rename(columns={"announce_date": "date"}), on="date", by="code", allow_exact_matches=False
    )
    ok = asof["book_value"].notna()
    assert ok.mean() > 0.99
    assert np.allclose(asof.loc[ok, "implied_book"], asof.loc[ok, "book_value"], rtol=1e-9)


def test_macro_series(demo_source):
    m = demo_source.macro()
    m2 = m[m["series"] == "m2"]
    y = m[m["series"] == "cgb10y"]
    assert (m2["period"].dt.day == 1).all()
    assert ((m2["release_date"] - m2["period"]).dt.days.between(42, 46)).all()  # 15th of next month
    assert (m2["release_date"].dt.day == 15).all()
    growth = np.log(m2["value"].to_numpy())
    yoy = growth[12:] - growth[:-12]
    assert 0.03 < yoy.mean() < 0.25 and yoy.std() < 0.06
    assert (y["release_date"] == y["period"]).all()
    assert y["value"].between(1.5, 5.5).all() and 2.0 < y["value"].mean() < 5.0
    assert y["period"].min() < demo_source.calendar()[0] - pd.DateOffset(years=2)


def test_index_membership_is_causal(small_source):
    """Perturbing prices after a rebalance day leaves that day's constituents unchanged."""
    from alpha_core.data.synthetic.indices import make_indices, rebalance_days

    m = small_source.market
    reb = rebalance_days(m.calendar)
    r = int(reb[2])
    base = make_indices(m.calendar, m.universe, m.prices)
    close = m.prices.close.copy()
    close[r + 1 :] *= np.random.default_rng(0).uniform(0.2, 5.0, close[r + 1 :].shape)
    bumped = make_indices(m.calendar, m.universe, replace(m.prices, close=close))
    for code in base.weights:
        assert np.array_equal(base.weights[code][: r + 1] > 0, bumped.weights[code][: r + 1] > 0)
        assert np.allclose(base.weights[code][: r + 1], bumped.weights[code][: r + 1])
        assert np.allclose(base.levels[code][: r + 1], bumped.levels[code][: r + 1])
    changed = any(not np.array_equal(base.weights[c][reb[3]] > 0, bumped.weights[c][reb[3]] > 0) for c in base.weights)
    assert changed  # the next rebalance does react to the new prices
