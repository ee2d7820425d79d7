"""Forward-return labels vs hand computations."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import BARS_COLUMNS
from alpha_core.labels import compute_labels

T = 40


@pytest.fixture(scope="module")
def bars():
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2021-03-01", periods=T)
    rows = []
    for i in range(4):
        close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, T)))
        vwap = close * rng.uniform(0.99, 1.01, T)
        adj = np.where(np.arange(T) >= 20, 1.25, 1.0)
        for t, d in enumerate(dates):
            susp = i == 1 and t == 8
            rows.append(
                {
                    "date": d,
                    "code": f"SH60000{i}",
                    "open": close[t],
                    "high": close[t] * 1.02,
                    "low": close[t] * 0.98,
                    "close": close[t],
                    "volume": 0.0 if susp else 1e5,
                    "amount": 0.0 if susp else 1e5 * vwap[t],
                    "vwap": np.nan if susp else vwap[t],
                    "adj_factor": adj[t],
                    "turnover": 0.01,
                    "float_mcap": 1e9,
                    "total_mcap": 2e9,
                    "tradable": not susp,
                    "limit_up": close[t] * 1.1,
                    "limit_down": close[t] * 0.9,
                    "is_st": False,
                }
            )
    return pd.DataFrame(rows)[BARS_COLUMNS]


def _px(bars, code, col):
    b = bars[bars["code"] == code].sort_values("date")
    return (b[col] * b["adj_factor"]).to_numpy()


def test_values(bars):
    lab = compute_labels(bars)
    p = _px(bars, "SH600000", "vwap")
    c = _px(bars, "SH600000", "close")
    s0 = lab[lab["code"] == "SH600000"].reset_index(drop=True)
    for t in (0, 12, 15):  # t=15 crosses the adj_factor step: adjusted prices must be used
        assert s0.loc[t, "y_vwap10"] == pytest.approx(p[t + 11] / p[t + 1] - 1, rel=1e-12)
        assert s0.loc[t, "y_close10"] == pytest.approx(c[t + 11] / c[t + 1] - 1, rel=1e-12)
        assert s0.loc[t, "y_vwap5"] == pytest.approx(p[t + 6] / p[t + 1] - 1, rel=1e-12)
    assert s0.loc[10, "y_month"] == pytest.approx(p[32] / p[11] - 1, rel=1e-12)
    # end of data
    assert np.isfinite(s0.loc[T - 12, "y_vwap10"]) and np.isnan(s0.loc[T - 11, "y_vwap10"])
    assert np.isnan(s0.loc[T - 22, "y_month"]) and np.isfinite(s0.loc[T - 23, "y_month"])


def test_untradable_entry_and_exit(bars):
    lab = compute_labels(bars)
    s1 = lab[lab["code"] == "SH600001"].reset_index(drop=True)
    assert np.isnan(s1.loc[7, "y_vwap10"])  # cannot buy at T+1 = suspended day 8
    assert np.isnan(s1.loc[7, "y_close10"])
    assert np.isnan(s1.loc[2, "y_vwap5"])  # exit day 8 has no price
    assert np.isfinite(s1.loc[8, "y_vwap10"])


def test_rank_standardised(bars):
    lab = compute_labels(bars)
    d = lab[lab["date"] == lab["date"].unique()[7]]
    valid = d["y_vwap10"].notna()
    assert valid.sum() == 3
    r = d.loc[valid, "y_vwap10"].rank().to_numpy()
    np.testing.assert_allclose(d.loc[valid, "y_vwap10_rank"], (r - 2) / np.sqrt(2 / 3))
    assert d.loc[~valid, "y_vwap10_rank"].isna().all()


def test_range_and_future_dependence(bars):
    start, end = bars["date"].unique()[[5, 20]]
    lab = compute_labels(bars, start=start, end=end)
    assert lab["date"].min() == start and lab["date"].max() == end
    # labels DO depend on the future (documented): perturbing T+11 changes the label at T
    b2 = bars.copy()
    b2.loc[b2["date"] == bars["date"].unique()[16], "vwap"] *= 2
    l2 = compute_labels(b2, start=start, end=end)
    assert not np.allclose(lab["y_vwap10"], l2["y_vwap10"], equal_nan=True)
