"""Fundamental, consensus, ivr and industry-relative factors vs hand computations (point in time)."""

import numpy as np
import pandas as pd
import pytest
from factor_hand import Hand, engine_wide
from factor_synth import make_bars, make_fundamentals, make_industry, wide

from alpha_core.factors import FactorInputs, absent_factors, compute_factors

FUND_NAMES = [
    "bp_lf",
    "ep_ttm",
    "ocfp_ttm",
    "dyr12",
    "sales_g_q",
    "profit_g_q",
    "ocf_g_q",
    "roe_g_q",
    "roe_ttm",
    "roa_ttm",
    "roic_ttm",
    "gp_ttm",
    "np_ttm",
    "sales_var",
    "profit_var",
    "ocf_var",
    "roe_var",
    "assetturnover_ttm",
    "ocfr_ttm",
    "currentdebt2debt",
]


@pytest.fixture(scope="module")
def market():
    bars = make_bars(n_stocks=4, n_days=260, seed=21, start="2020-01-02")
    codes = sorted(bars["code"].unique())
    fund = make_fundamentals(codes, n_quarters=24, first_period="2015-03-31")
    # stock 0 publishes its annual (Q4) report AFTER the next Q1 report: between the two
    # dates the latest quarter is Q1 but Q4 is unknown, so TTM values must be missing
    late = (fund["code"] == codes[0]) & (fund["report_period"].dt.month == 12)
    fund.loc[late, "announce_date"] = fund.loc[late, "report_period"] + pd.Timedelta(days=130)
    return bars, fund, codes


class HandPit:
    """Per (stock, date): the quarters announced strictly before the date (plain dicts, memoised)."""

    def __init__(self, fund):
        self.rows = {}
        for c, g in fund.groupby("code"):
            g = g.sort_values("announce_date")
            recs = [(r["report_period"].to_period("Q"), r.to_dict()) for _, r in g.iterrows()]
            self.rows[c] = (g["announce_date"].to_numpy(), recs)
        self._memo = {}

    def quarters(self, code, date):
        ann, recs = self.rows[code]
        n = int(np.searchsorted(ann, np.datetime64(date), side="left"))  # announce_date < date
        key = (code, n)
        if key not in self._memo:
            self._memo[key] = dict(recs[:n])
        return self._memo[key]

    def q(self, known, field, k):
        if not known:
            return np.nan
        p = max(known) - k
        return known[p][field] if p in known else np.nan

    def ttm(self, known, field, y=0):
        return sum(self.q(known, field, 4 * y + i) for i in range(4))  # NaN propagates


def _hand_fund(bars, fund, codes):
    hp = HandPit(fund)
    dates = pd.DatetimeIndex(np.sort(bars["date"].unique()))
    cap = wide(bars, "total_mcap")
    out = {n: np.full((len(dates), len(codes)), np.nan) for n in FUND_NAMES}
    g = lambda a, b: (a - b) / abs(b)  # noqa: E731
    for t, d in enumerate(dates):
        for j, c in enumerate(codes):
            k = hp.quarters(c, d)
            if not k:
                continue
            q, ttm = (lambda f, i=0, k=k: hp.q(k, f, i)), (lambda f, y=0, k=k: hp.ttm(k, f, y))
            bv, ta, tl, cl = q("book_value"), q("total_assets"), q("total_liabilities"), q("current_liabilities")
            npt = ttm("net_profit")
            o = {
                "bp_lf": bv / cap[t, j],
                "ep_ttm": npt / cap[t, j],
                "ocfp_ttm": ttm("ocf") / cap[t, j],
                "dyr12": ttm("dividends") / cap[t, j],
                "sales_g_q": g(q("revenue"), q("revenue", 4)),
                "profit_g_q": g(q("net_profit"), q("net_profit", 4)),
                "ocf_g_q": g(q("ocf"), q("ocf", 4)),
                "roe_g_q": g(q("roe"), q("roe", 4)),
                "roe_ttm": npt / bv,
                "roa_ttm": npt / ta,
                "roic_ttm": npt / (bv + tl - cl),
                "gp_ttm": ttm("gross_profit") / ttm("revenue"),
                "np_ttm": npt / ttm("revenue"),
                "assetturnover_ttm": ttm("revenue") / ta,
                "ocfr_ttm": ttm("ocf") / cl,
                "currentdebt2debt": cl / tl,
            }
            for name, field in (
                ("sales_var", "revenue"),
                ("profit_var", "net_profit"),
                ("ocf_var", "ocf"),
                ("roe_var", "roe"),
            ):
                ys = np.array([ttm(field, y) for y in range(5)])
                o[name] = np.std(ys, ddof=1) / abs(np.mean(ys))
            for n, v in o.items():
                out[n][t, j] = v
    return out


def test_fundamental_factors_match_hand(market):
    bars, fund, codes = market
    df = compute_factors(FactorInputs(bars, fund), FUND_NAMES)
    exp = _hand_fund(bars, fund, codes)
    for name in FUND_NAMES:
        got = engine_wide(df, name, bars)
        assert np.isfinite(got).any(), name
        np.testing.assert_array_equal(np.isnan(got), np.isnan(exp[name]), err_msg=name)
        np.testing.assert_allclose(got, exp[name], rtol=2e-5, atol=1e-9, err_msg=name)
    # the late annual report really leaves a gap in stock 0's TTM values
    ep = engine_wide(df, "ep_ttm", bars)[:, 0]
    assert np.isnan(ep).any() and np.isfinite(ep).any()


def test_fundamentals_only_after_announcement(market):
    bars, fund, codes = market
    dates = pd.DatetimeIndex(np.sort(bars["date"].unique()))
    d = dates[100]
    # stock 1's first quarter announced inside the panel (later quarters dropped, so it stays the latest)
    row = fund[(fund["code"] == codes[1]) & (fund["announce_date"] > dates[10])].index[0]
    fund = fund[~((fund["code"] == codes[1]) & (fund.index > row))]
    f = fund.copy()
    f.loc[row, "announce_date"] = d  # announce it later
    a = engine_wide(compute_factors(FactorInputs(bars, f), ["bp_lf"]), "bp_lf", bars)[:, 1]
    book = f.loc[row, "book_value"]
    cap = wide(bars, "total_mcap")[:, 1]
    # on the announcement day itself the value is NOT usable yet; the next trading day it is
    assert not np.isclose(a[100], book / cap[100], rtol=1e-6)
    np.testing.assert_allclose(a[101], book / cap[101], rtol=1e-5)
    # the original (earlier) announcement date no longer reveals it
    b = engine_wide(compute_factors(FactorInputs(bars, fund), ["bp_lf"]), "bp_lf", bars)[:, 1]
    t_orig = dates.searchsorted(fund.loc[row, "announce_date"], side="right")
    assert t_orig < 100
    np.testing.assert_allclose(b[t_orig], book / cap[t_orig], rtol=1e-5)
    assert not np.isclose(a[t_orig], book / cap[t_orig], rtol=1e-6)


def test_consensus_growth_and_absence(market):
    bars, fund, codes = market
    dates = np.sort(bars["date"].unique())
    rng = np.random.default_rng(4)
    con = pd.DataFrame([(d, c) for d in dates for c in codes], columns=["date", "code"])
    for col in ("con_eps_fy1", "con_roe_fy1", "con_np_fy1"):
        con[col] = rng.uniform(0.5, 2.0, len(con))
    con = con.drop(index=[7, 100, 333]).reset_index(drop=True)  # a few missing days: last value persists
    names = ["con_eps_g", "con_roe_g", "con_np_g"]
    df = compute_factors(FactorInputs(bars, fund, con), names)
    for name, col in zip(names, ("con_eps_fy1", "con_roe_fy1", "con_np_fy1"), strict=True):
        x = con.pivot(index="date", columns="code", values=col).reindex(index=dates, columns=codes).ffill().to_numpy()
        exp = np.full(x.shape, np.nan)
        exp[63:] = (x[63:] - x[:-63]) / np.abs(x[:-63])
        np.testing.assert_allclose(engine_wide(df, name, bars), exp, rtol=2e-5)
    # no consensus table: the factors are absent (not columns), and say why
    df2 = compute_factors(FactorInputs(bars, fund, pd.DataFrame(columns=con.columns)), ["ret_5d", *names])
    assert list(df2.columns) == ["date", "code", "ret_5d"]
    assert set(df2.attrs["absent"]) == set(names)
    assert absent_factors(FactorInputs(bars), ["bp_lf", "ret_5d"]) == {"bp_lf": "missing input table(s): fundamentals"}


def test_ivr_ff3factor_matches_hand_regression():
    bars = make_bars(n_stocks=10, n_days=70, seed=8, start="2020-06-01", suspend={4: [30, 31]})
    codes = sorted(bars["code"].unique())
    fund = make_fundamentals(codes, n_quarters=24, first_period="2015-03-31")
    # decouple book values from size, else the BP sort equals the size sort (collinear SMB/HML)
    scale = dict(zip(codes, np.random.default_rng(2).uniform(0.2, 5.0, len(codes)), strict=True))
    fund["book_value"] = fund["book_value"] * fund["code"].map(scale)
    df = compute_factors(FactorInputs(bars, fund), ["ivr_ff3factor_1m", "bp_lf"])
    got = engine_wide(df, "ivr_ff3factor_1m", bars)
    h = Hand(bars)
    r = h.ret
    cap_prev = np.vstack([np.full((1, h.N), np.nan), h.cap[:-1]])
    bp = engine_wide(df, "bp_lf", bars)  # bp_lf itself is checked against the hand PIT above
    bp_prev = np.vstack([np.full((1, h.N), np.nan), bp[:-1]])
    fac = np.full((h.T, 3), np.nan)
    for t in range(h.T):
        ok = ~np.isnan(r[t]) & ~np.isnan(cap_prev[t])
        if ok.sum() < 3:
            continue
        fac[t, 0] = np.sum(cap_prev[t, ok] * r[t, ok]) / np.sum(cap_prev[t, ok])
        cap_t, r_t = cap_prev[t, ok], r[t, ok]
        fac[t, 1] = r_t[cap_t <= np.quantile(cap_t, 0.3)].mean() - r_t[cap_t >= np.quantile(cap_t, 0.7)].mean()
        okb = ~np.isnan(r[t]) & ~np.isnan(bp_prev[t])
        if okb.sum() >= 3:
            b_t, rb = bp_prev[t, okb], r[t, okb]
            fac[t, 2] = rb[b_t >= np.quantile(b_t, 0.7)].mean() - rb[b_t <= np.quantile(b_t, 0.3)].mean()
    exp = np.full((h.T, h.N), np.nan)
    for t in range(h.T):
        for j in range(h.N):
            s = np.arange(max(0, t - 20), t + 1)
            y, x = r[s, j], fac[s]
            ok = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
            if ok.sum() < 11:
                continue
            xx = np.column_stack([np.ones(ok.sum()), x[ok]])
            beta, *_ = np.linalg.lstsq(xx, y[ok], rcond=None)
            exp[t, j] = np.std(y[ok] - xx @ beta, ddof=1)
    assert np.isfinite(exp).sum() > 300
    np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
    np.testing.assert_allclose(got, exp, rtol=1e-4)


def test_industry_relative_features(market):
    bars, fund, codes = market
    bars = pd.concat(
        [
            bars,
            make_bars(n_stocks=6, n_days=260, seed=22, start="2020-01-02").assign(
                code=lambda d: d["code"].str.replace("SH6000", "SZ0000")
            ),
        ]
    )
    bars = bars.sort_values(["date", "code"]).reset_index(drop=True)
    codes = sorted(bars["code"].unique())
    fund = pd.concat([fund, make_fundamentals(codes[4:], n_quarters=24, first_period="2015-03-31", seed=9)])
    ind_map = make_industry(codes)
    names = ["pe_ind", "qroe", "deltapb", "cor_ret", "dlev", "z_rev", "cfr"]
    df = compute_factors(FactorInputs(bars, fund, None, ind_map), names + ["ep_ttm", "bp_lf", "roe_ttm"])
    E = {n: engine_wide(df, n, bars) for n in names + ["ep_ttm", "bp_lf", "roe_ttm"]}
    hp = HandPit(fund)
    dates = pd.DatetimeIndex(np.sort(bars["date"].unique()))
    ind = ind_map.set_index("code").loc[codes, "industry"].to_numpy()
    h = Hand(bars)
    pe, pb, roe = 1 / E["ep_ttm"], 1 / E["bp_lf"], E["roe_ttm"]  # these three are hand-checked above
    exp = {n: np.full(pe.shape, np.nan) for n in names}
    ind_ret = np.full(pe.shape, np.nan)
    for t in range(len(dates)):
        lev = np.full(len(codes), np.nan)
        gr = np.full(len(codes), np.nan)
        ocf = np.full(len(codes), np.nan)
        for j, c in enumerate(codes):
            k = hp.quarters(c, dates[t])
            lev[j] = hp.q(k, "total_liabilities", 0) / hp.q(k, "total_assets", 0)
            gr[j] = (hp.q(k, "revenue", 0) - hp.q(k, "revenue", 4)) / abs(hp.q(k, "revenue", 4))
            ocf[j] = hp.q(k, "ocf", 0)
        for g in np.unique(ind):
            m = ind == g
            exp["pe_ind"][t, m] = pe[t, m] - np.nanmedian(pe[t, m])
            exp["deltapb"][t, m] = pb[t, m] / np.nanmedian(pb[t, m]) - 1
            exp["qroe"][t, m] = pd.Series(roe[t, m]).rank(pct=True).to_numpy()
            exp["dlev"][t, m] = np.abs(lev[m] - np.nanmean(lev[m])) / np.nanmean(lev[m])
            exp["z_rev"][t, m] = (gr[m] - np.nanmean(gr[m])) / np.nanstd(gr[m], ddof=1)
            exp["cfr"][t, m] = ocf[m] / np.nansum(ocf[m])
            rr = h.ret[t, m]
            ind_ret[t, m] = np.nanmean(rr) if np.isfinite(rr).any() else np.nan
    exp["cor_ret"] = h.corr(h.ret, ind_ret, 20)
    for n in names:
        got = E[n]
        assert np.isfinite(got).any(), n
        np.testing.assert_allclose(got, exp[n], rtol=1e-4, atol=1e-6, err_msg=n)


def test_ivr_falls_back_to_market_model_where_caps_are_unknown():
    bars = make_bars(n_stocks=8, n_days=60, seed=9, start="2020-06-01")
    dates = np.sort(bars["date"].unique())
    bars.loc[bars["date"] < dates[30], "total_mcap"] = np.nan  # caps known only from day 30 on
    got = engine_wide(compute_factors(FactorInputs(bars), ["ivr_ff3factor_1m"]), "ivr_ff3factor_1m", bars)
    h = Hand(bars)
    r = h.ret
    cap_prev = np.vstack([np.full((1, h.N), np.nan), h.cap[:-1]])
    mkt = np.full(h.T, np.nan)
    smb = np.full(h.T, np.nan)
    for t in range(h.T):
        ok = ~np.isnan(r[t])
        okc = ok & ~np.isnan(cap_prev[t])
        if okc.any():
            mkt[t] = np.sum(cap_prev[t, okc] * r[t, okc]) / np.sum(cap_prev[t, okc])
        elif ok.any():
            mkt[t] = r[t, ok].mean()
        if okc.sum() >= 3:
            c, rr = cap_prev[t, okc], r[t, okc]
            smb[t] = rr[c <= np.quantile(c, 0.3)].mean() - rr[c >= np.quantile(c, 0.7)].mean()

    def resid_sd(y, cols):
        ok = ~np.isnan(y) & ~np.isnan(cols).any(axis=1)
        if ok.sum() < 11:
            return np.nan
        xx = np.column_stack([np.ones(ok.sum()), cols[ok]])
        beta, *_ = np.linalg.lstsq(xx, y[ok], rcond=None)
        return np.std(y[ok] - xx @ beta, ddof=1)

    exp = np.full((h.T, h.N), np.nan)
    for t in range(h.T):
        s = np.arange(max(0, t - 20), t + 1)
        for j in range(h.N):
            full = resid_sd(r[s, j], np.column_stack([mkt[s], smb[s]]))
            exp[t, j] = full if np.isfinite(full) else resid_sd(r[s, j], mkt[s][:, None])
    assert np.isfinite(exp[15:30]).all()  # market-only windows before the caps exist
    np.testing.assert_allclose(got, exp, rtol=1e-4)
