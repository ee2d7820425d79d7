"""Every signal metric against a hand computation on a small fixture."""

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.metrics import signal as sm

S = np.array([[0.1, 0.4, 0.2, 0.9, 0.5, np.nan], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
L = np.array([[0.0, 1.0, 3.0, 2.0, np.nan, 5.0], [6.0, 5.0, 4.0, 3.0, 2.0, 1.0]])


def _pearson(a, b, w=None):
    w = np.ones_like(a) if w is None else w / w.sum()
    w = w / w.sum()
    ma, mb = (w * a).sum(), (w * b).sum()
    return ((w * a * b).sum() - ma * mb) / np.sqrt(((w * a * a).sum() - ma**2) * ((w * b * b).sum() - mb**2))


def test_ic_and_rank_ic():
    # day 0: jointly finite stocks 0..3: s = (.1, .4, .2, .9), l = (0, 1, 3, 2)
    s, l = np.array([0.1, 0.4, 0.2, 0.9]), np.array([0.0, 1.0, 3.0, 2.0])
    ic = sm.daily_ic(S, L)
    assert np.isclose(ic[0], np.corrcoef(s, l)[0, 1]) and np.isclose(ic[1], -1.0)
    ric = sm.daily_rank_ic(S, L)
    # ranks s: (1, 3, 2, 4), l: (1, 2, 4, 3)
    assert np.isclose(ric[0], np.corrcoef([1, 3, 2, 4], [1, 2, 4, 3])[0, 1])
    assert np.isclose(ric[1], -1.0)


def test_weighted_ic_family():
    s, l = np.array([0.1, 0.4, 0.2, 0.9]), np.array([0.0, 1.0, 3.0, 2.0])
    # label ranks descending: 3.0 -> 0, 2.0 -> 1, 1.0 -> 2, 0.0 -> 3; half-life (4-1)/2 = 1.5
    w = 0.5 ** (np.array([3, 2, 0, 1]) / 1.5)
    assert np.isclose(sm.daily_weighted_ic(S, L)[0], _pearson(s, l, w))
    assert np.isclose(
        sm.daily_weighted_rank_ic(S, L)[0], _pearson(np.array([1.0, 3, 2, 4]), np.array([1.0, 2, 4, 3]), w)
    )
    hw = sm.halflife_weights(L[1:])
    np.testing.assert_allclose(hw[0], 0.5 ** (np.arange(6) / 2.5))  # best=1 ... worst=0.25
    assert np.isclose(hw[0, -1], 0.25)


def test_ir():
    x = np.array([0.1, 0.2, np.nan, 0.3])
    assert np.isclose(sm.ir(x), 0.2 / np.std([0.1, 0.2, 0.3], ddof=1))
    assert np.isnan(sm.ir(np.array([0.1])))


def _decile_fixture():
    score = np.arange(20, dtype=float)[None, :]  # one day, 20 stocks; deciles of 2 stocks
    label = np.array([[5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, -3]], dtype=float)
    ret = np.linspace(-0.1, 0.1, 20)[None, :]
    return score, label, ret


def test_groups_precision_and_returns():
    score, label, ret = _decile_fixture()
    g = sm.score_groups(score, 10)
    assert g[0].tolist() == [k // 2 + 1 for k in range(20)]
    top, bot = sm.decile_precision(score, label, 10)
    # median label = 0; top group = stocks 18, 19 (labels 9, -3) -> 1/2 above; bottom = 0, 1 (5, 1) -> 0/2 below
    assert top[0] == 0.5 and bot[0] == 0.0
    gr = sm.group_returns(score, ret, 10)
    np.testing.assert_allclose(gr[0], [(ret[0, 2 * k] + ret[0, 2 * k + 1]) / 2 for k in range(10)])


def test_annualise():
    r = np.array([0.01, -0.02, 0.03, np.nan])
    assert np.isclose(sm.annualise(r, 52), (1.01 * 0.98 * 1.03) ** (52 / 3) - 1)


def test_autocorr_and_turnover():
    score = np.array([np.arange(20.0), np.r_[np.arange(18.0), 100.0, -1.0]])
    ac = sm.factor_autocorr(score, 1)
    ranks_b = np.argsort(np.argsort(score[1])) + 1
    assert np.isnan(ac[0]) and np.isclose(ac[1], np.corrcoef(np.arange(1, 21), ranks_b)[0, 1])
    to = sm.top_turnover(score, 1, 10)
    # top group day 0: {18, 19}; day 1: scores 100 (stock 18) and 17 (stock 17) -> {18, 17}: one name replaced
    assert np.isnan(to[0]) and to[1] == 0.5


def test_evaluate_signal_per_year_table():
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2019-12-02", periods=40)
    n = 30
    df = pd.DataFrame({"date": np.repeat(dates, n), "code": np.tile([f"SH{600000 + i}" for i in range(n)], 40)})
    df["score"] = rng.normal(size=len(df))
    df["label"] = df["score"] + rng.normal(size=len(df))
    df["ret"] = 0.01 * df["label"]
    out = sm.evaluate_signal(df, config=sm.SignalEvalConfig(step=5))
    assert out.index.tolist() == ["2019", "2020", "all"]
    assert (
        out.loc["all", "n_dates"] == 8 and out.loc["2019", "n_dates"] == 5 and out.loc["2020", "n_dates"] == 3
    )  # 22 business days in Dec 2019
    # the 'all' RankIC is the mean of the 8 sampled days, computed independently here
    sampled = dates[::5]
    hand = np.mean(
        [
            np.corrcoef(*(np.argsort(np.argsort(df.loc[df["date"] == d, c].to_numpy())) for c in ("score", "label")))[
                0, 1
            ]
            for d in sampled
        ]
    )
    assert np.isclose(out.loc["all", "rank_ic"], hand)
    assert out.loc["all", "long_short_ann"] > 0 and out.loc["all", "top_precision"] > 0.5
    for col in ["ic_ir", "weighted_rank_ic_ir", "group_10_ann", "autocorr", "top_turnover", "bottom_precision"]:
        assert col in out.columns


def test_evaluate_signal_errors():
    df = pd.DataFrame(
        {
            "date": [pd.Timestamp("2020-01-02")] * 2,
            "code": ["A", "A"],
            "score": [1.0, 2.0],
            "label": [1.0, 2.0],
            "ret": [0.0, 0.0],
        }
    )
    with pytest.raises(DataContractError):
        sm.evaluate_signal(df)
    with pytest.raises(DataContractError):
        sm.evaluate_signal(df.drop(columns="ret"))


def test_past_metrics_unchanged_by_future_rows():
    score, label = S.copy(), L.copy()
    base = sm.daily_rank_ic(score[:1], label[:1])
    label[1] = -label[1]
    assert np.allclose(sm.daily_rank_ic(score, label)[:1], base)


def test_row_nan_helpers_hand_computed_and_silent_on_empty_rows():
    a = np.array([[1.0, np.nan, 5.0, 3.0], [np.nan] * 4, [2.0, np.inf, np.nan, 4.0]])
    with warnings_as_errors():
        np.testing.assert_allclose(sm.row_nanmean(a), [3.0, np.nan, 3.0])
        np.testing.assert_allclose(sm.row_nanmedian(a), [3.0, np.nan, 3.0])


def test_evaluate_signal_without_warnings_on_days_without_labels():
    # the last evaluation dates of a sample have scores but no forward label / return yet
    dates = pd.bdate_range("2020-01-01", periods=12)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame([(d, f"S{i}") for d in dates for i in range(20)], columns=["date", "code"])
    frame["score"] = rng.normal(size=len(frame))
    frame["label"] = frame["score"] + rng.normal(size=len(frame))
    frame["ret"] = 0.01 * frame["label"]
    unknown = frame["date"] >= dates[-2]
    frame.loc[unknown, ["label", "ret"]] = np.nan
    with warnings_as_errors():
        table = sm.evaluate_signal(frame, config=sm.SignalEvalConfig(step=1))
        daily = sm.daily_signal_metrics(
            *(frame.pivot(index="date", columns="code", values=c).to_numpy() for c in ("score", "label", "ret")),
            sm.SignalEvalConfig(step=1),
        )
    assert daily["top_precision"].iloc[-2:].isna().all() and daily["universe_ret"].iloc[-2:].isna().all()
    known = frame[~unknown]
    assert np.isclose(daily["universe_ret"].iloc[0], known[known["date"] == dates[0]]["ret"].mean())
    assert table.loc["all", "n_dates"] == 12 and np.isfinite(table.loc["all", "rank_ic"])


@contextlib.contextmanager
def warnings_as_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
