"""Leakage guards: the future cannot change any factor value at or before T."""

import numpy as np
import pandas as pd
from factor_synth import make_bars, make_fundamentals, make_industry

from alpha_core.factors import FACTORS, FactorInputs, compute_factors
from alpha_core.factors.sequences import SequenceBuilder


def _perturb_after(bars, cut, seed=0):
    rng = np.random.default_rng(seed)
    b = bars.copy()
    late = b["date"] > cut
    k = late.sum()
    for col in ("open", "high", "low", "close", "vwap", "limit_up", "limit_down"):
        b.loc[late, col] = b.loc[late, col] * 1.7
    b.loc[late, "high"] = b.loc[late, "high"] * 1.2
    b.loc[late, "volume"] = b.loc[late, "volume"] * rng.uniform(0.1, 9, k)
    b.loc[late, "amount"] = b.loc[late, "volume"] * b.loc[late, "vwap"]
    b.loc[late, "turnover"] = b.loc[late, "turnover"] * rng.uniform(0.1, 9, k)
    b.loc[late, "total_mcap"] = b.loc[late, "total_mcap"] * 3
    b.loc[late, "adj_factor"] = b.loc[late, "adj_factor"] * 2
    return b


def test_future_bars_and_announcements_do_not_change_the_past():
    bars = make_bars(n_stocks=8, n_days=200, seed=31, start="2020-01-02", suspend={3: [150, 151]})
    codes = sorted(bars["code"].unique())
    fund = make_fundamentals(codes, n_quarters=24, first_period="2015-03-31")
    ind = make_industry(codes)
    dates = np.sort(bars["date"].unique())
    cut = pd.Timestamp(dates[120])
    con = pd.DataFrame([(d, c) for d in dates for c in codes], columns=["date", "code"])
    con["con_eps_fy1"] = np.linspace(1, 2, len(con))
    con["con_roe_fy1"] = np.linspace(0.1, 0.2, len(con))
    con["con_np_fy1"] = np.linspace(5, 9, len(con))
    names = list(FACTORS)
    base = compute_factors(FactorInputs(bars, fund, con, ind), names, end=cut)

    bars2 = _perturb_after(bars, cut)
    fund2 = fund.copy()
    after = fund2["announce_date"] > cut
    fund2.loc[after, ["revenue", "net_profit", "book_value", "ocf"]] *= 5
    con2 = con.copy()
    con2.loc[con2["date"] > cut, "con_eps_fy1"] *= 10
    pert = compute_factors(FactorInputs(bars2, fund2, con2, ind), names, end=cut)
    assert len(base) == len(pert) and set(names) <= set(base.columns)
    for name in names:
        np.testing.assert_array_equal(base[name].to_numpy(), pert[name].to_numpy(), err_msg=name)
    # sanity: the perturbation is visible after the cut
    full = compute_factors(FactorInputs(bars2, fund2, con2, ind), ["ret_5d", "bp_lf"])
    full0 = compute_factors(FactorInputs(bars, fund, con, ind), ["ret_5d", "bp_lf"])
    assert not np.allclose(full["bp_lf"], full0["bp_lf"], equal_nan=True)

    c1, s1 = SequenceBuilder(FactorInputs(bars), 30)(cut)
    c2, s2 = SequenceBuilder(FactorInputs(bars2), 30)(cut)
    assert c1 == c2
    np.testing.assert_array_equal(s1, s2)


def test_truncating_history_after_t_is_the_same_as_perturbing():
    bars = make_bars(n_stocks=5, n_days=150, seed=2)
    cut = pd.Timestamp(np.sort(bars["date"].unique())[100])
    names = [n for n, f in FACTORS.items() if not f.requires]
    a = compute_factors(FactorInputs(bars), names, end=cut)
    b = compute_factors(FactorInputs(bars[bars["date"] <= cut]), names)
    for name in names:
        np.testing.assert_array_equal(a[name].to_numpy(), b[name].to_numpy(), err_msg=name)
