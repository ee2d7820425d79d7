"""Planted predictability: exact ground truth, causality and the oracle IC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.synthetic import SyntheticSource, forward_vwap_return, mean_ic
from alpha_core.data.synthetic.macro import macro_state
from alpha_core.data.synthetic.oracle import rank_ic_by_date
from alpha_core.data.synthetic.planted import HORIZON_WEIGHTS, _geometric_lag, _group_sums, _peer_mean, _persistent


def _brute_lag_truth(s: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """E_T of sum_m w_m d[T+m] with d[u] = sum_j k_j s[u-j], future s replaced by its mean 0."""
    t_len = len(s)
    out = np.zeros_like(s)
    for t in range(t_len):
        for m in range(1, 12):
            u = t + m
            for j in range(1, len(kernel) + 1):
                if u - j <= t and u - j >= 0:
                    out[t] += HORIZON_WEIGHTS[m - 1] * kernel[j - 1] * s[u - j]
    return out


def test_horizon_weights_cover_t1_to_t11_vwap():
    assert len(HORIZON_WEIGHTS) == 11 and HORIZON_WEIGHTS.sum() == 10.0
    assert HORIZON_WEIGHTS[0] == HORIZON_WEIGHTS[-1] == 0.5


def test_geometric_lag_truth_matches_brute_force_and_drift():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((60, 3))
    a, rho = 0.3, 0.7
    kernel = a * rho ** np.arange(80)  # longer than the sample: the untruncated kernel
    drift, truth = _geometric_lag(s, a, rho)
    assert np.allclose(truth, _brute_lag_truth(s, kernel))
    # drift of day u only uses shocks up to u-1
    assert np.allclose(drift[5], sum(kernel[j - 1] * s[5 - j] for j in range(1, 6)))
    assert np.allclose(drift[0], 0.0)


def test_geometric_lag_is_causal():
    rng = np.random.default_rng(1)
    s = rng.standard_normal((80, 4))
    d0, mu0 = _geometric_lag(s, -0.1, 0.9)
    s2 = s.copy()
    s2[50:] += rng.standard_normal((30, 4)) * 5
    d1, mu1 = _geometric_lag(s2, -0.1, 0.9)
    assert np.array_equal(mu0[:50], mu1[:50])  # the truth at T only sees shocks <= T
    assert np.array_equal(d0[:51], d1[:51])  # the drift of day u only sees shocks <= u-1
    assert not np.allclose(mu0[50:], mu1[50:])


def test_persistent_truth_is_ar1_expectation():
    x = np.array([[1.0, -2.0], [0.5, 0.0]])
    drift, truth = _persistent(x, 1.0)
    assert np.allclose(truth, 10.0 * x)
    assert np.allclose(drift[1], x[0]) and np.allclose(drift[0], 0.0)
    phi = 0.9
    _, truth = _persistent(x, phi)
    expect = sum(w * phi**m for m, w in enumerate(HORIZON_WEIGHTS))
    assert np.allclose(truth, expect * x)


def test_macro_state_is_causal():
    rng = np.random.default_rng(2)
    months = pd.date_range("2010-01-01", "2016-12-01", freq="MS")
    release = (months + pd.DateOffset(months=1) + pd.Timedelta(days=14)).values
    log_m2 = np.cumsum(0.01 + 0.002 * rng.standard_normal(len(months)))
    days = pd.bdate_range("2012-01-02", "2016-12-30")
    y = 3.4 + np.cumsum(0.03 * rng.standard_normal(len(days)))
    u0 = macro_state(log_m2, release, y, days.values, 0)
    cut = days[600]
    m2_future = release > cut.to_datetime64()  # months not yet released on `cut`
    log_m2b, yb = log_m2.copy(), y.copy()
    log_m2b[m2_future] += 0.5
    yb[601:] += 2.0
    u1 = macro_state(log_m2b, release, yb, days.values, 0)
    assert np.array_equal(u0[:601], u1[:601])
    assert not np.allclose(u0[601:], u1[601:])
    assert np.all(np.abs(u0) < 1)


def _oracle_frame(src: SyntheticSource) -> pd.DataFrame:
    cal = src.calendar()
    bars = src.bars(cal[0], cal[-1])
    fr = forward_vwap_return(bars)
    ok = bars.loc[~bars["is_st"], ["date", "code"]]
    return src.ground_truth(cal[0], cal[-1]).merge(fr, on=["date", "code"]).merge(ok, on=["date", "code"])


@pytest.fixture(scope="module")
def small_oracle(small_source) -> pd.DataFrame:
    return _oracle_frame(small_source)


def test_ground_truth_table(small_source):
    cal = small_source.calendar()
    gt = small_source.ground_truth(cal[0], cal[-1])
    bars = small_source.bars(cal[0], cal[-1])
    assert list(gt.columns) == ["date", "code", "mu_total", "mu_factor", "mu_graph", "mu_macro"]
    assert len(gt) == len(bars) and (gt[["date", "code"]].to_numpy() == bars[["date", "code"]].to_numpy()).all()
    assert gt.notna().all().all()
    assert np.allclose(gt["mu_total"], gt[["mu_factor", "mu_graph", "mu_macro"]].sum(axis=1))
    parts = ["mu_factor", "mu_graph", "mu_macro"]
    dev = gt[parts] - gt.groupby("date")[parts].transform("mean")
    cfg = small_source.config
    assert np.allclose(
        np.sqrt((dev**2).mean()), [cfg.factor_strength, cfg.graph_strength, cfg.macro_strength], rtol=0.02
    )


def test_oracle_rank_ic_in_realistic_range(small_oracle):
    ic = mean_ic(rank_ic_by_date(small_oracle, "mu_total", "ret"))
    assert 0.05 <= ic <= 0.15


def test_ground_truth_is_the_expected_return(small_oracle):
    """Pooled regression of the demeaned realised 10-day return on the demeaned truth: slope ~ 1."""
    d = small_oracle.dropna()
    x = d["mu_total"] - d.groupby("date")["mu_total"].transform("mean")
    y = d["ret"] - d.groupby("date")["ret"].transform("mean")
    slope = float((x * y).sum() / (x * x).sum())
    assert 0.7 < slope < 1.3


@pytest.mark.parametrize("part", ["mu_factor", "mu_graph", "mu_macro"])
def test_each_part_contributes(small_oracle, part):
    full = mean_ic(rank_ic_by_date(small_oracle, "mu_total", "ret"))
    without = mean_ic(
        rank_ic_by_date(small_oracle.assign(wo=small_oracle["mu_total"] - small_oracle[part]), "wo", "ret")
    )
    alone = mean_ic(rank_ic_by_date(small_oracle, part, "ret"))
    assert full - without > 0.008
    assert alone > 0.02


@pytest.mark.parametrize("part", ["factor", "graph", "macro"])
def test_switching_a_part_off_lowers_the_oracle_ic(small_source, small_oracle, part):
    off = SyntheticSource(small_source.config.without(part))
    frame = _oracle_frame(off)
    assert np.allclose(frame[f"mu_{part}"], 0.0)
    ic_off = mean_ic(rank_ic_by_date(frame, "mu_total", "ret"))
    ic_on = mean_ic(rank_ic_by_date(small_oracle, "mu_total", "ret"))
    assert ic_on - ic_off > 0.01
    # the other parts' draws are untouched
    other = [p for p in ("factor", "graph", "macro") if p != part][0]
    assert np.allclose(frame[f"mu_{other}"].to_numpy(), small_oracle[f"mu_{other}"].to_numpy())


def test_graph_part_is_invisible_without_neighbours(small_source, small_oracle):
    """The graph part is (nearly) uncorrelated with the stock's own recent return."""
    cal = small_source.calendar()
    bars = small_source.bars(cal[0], cal[-1])
    adj = np.log(bars["close"] * bars["adj_factor"])
    bars["ret5"] = adj - adj.groupby(bars["code"]).shift(5)
    d = small_oracle.merge(bars[["date", "code", "ret5"]], on=["date", "code"])
    own = abs(mean_ic(rank_ic_by_date(d, "ret5", "mu_graph")))
    fac = abs(mean_ic(rank_ic_by_date(d, "ret5", "mu_factor")))
    assert own < 0.05 and fac > 0.08


def test_peer_mean_excludes_self_and_unlisted():
    e = np.array([[1.0, 2.0, 3.0, 4.0, 10.0]])
    group = np.array([0, 0, 0, 1, 1])
    mask = np.array([[True, True, False, True, True]])
    out = _peer_mean(e, group, 2, mask)
    # stock 0: peers {1} (2 is unlisted) -> 2; stock 1 -> 1; stock 3 -> 10; stock 4 -> 4; unlisted -> 0
    assert np.allclose(out, [[2.0, 1.0, 0.0, 10.0, 4.0]])
    assert np.allclose(_group_sums(e, group, 3), [[6.0, 6.0, 6.0, 14.0, 14.0]])
