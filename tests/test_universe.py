"""Universe rules on a hand-made market."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import BARS_COLUMNS
from alpha_core.universe import UNIVERSE_COLUMNS, build_universe

N = 10
DATES = pd.bdate_range("2019-01-01", "2019-12-31")


def _bars(amount_q2=None):
    rows = []
    amount = np.array([5, 9, 1, 7, 3, 8, 2, 10, 6, 4], float) * 1e6
    mcap = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 10], float) * 1e9
    for d in DATES:
        amt = amount if (amount_q2 is None or d < pd.Timestamp("2019-04-01")) else amount_q2
        for i in range(N):
            susp = i == 9 and d == pd.Timestamp("2019-03-29")
            rows.append(
                {
                    "date": d,
                    "code": f"SZ{i:06d}",
                    "open": 10.0,
                    "high": 10.5,
                    "low": 9.5,
                    "close": 10.0,
                    "volume": 0.0 if susp else amt[i] / 10,
                    "amount": 0.0 if susp else amt[i],
                    "vwap": 10.0,
                    "adj_factor": 1.0,
                    "turnover": 0.01,
                    "float_mcap": mcap[i] / 2,
                    "total_mcap": mcap[i],
                    "tradable": not susp,
                    "limit_up": 11.0,
                    "limit_down": 9.0,
                    "is_st": bool(i == 1 and pd.Timestamp("2019-05-06") <= d <= pd.Timestamp("2019-05-31")),
                }
            )
    return pd.DataFrame(rows)[BARS_COLUMNS]


def _top(values, eligible, share):
    """Hand screen: descending position (0-based) among eligible < share * n."""
    idx = [i for i in range(N) if eligible[i]]
    order = sorted(idx, key=lambda i: -values[i])
    keep = set(order[: int(np.ceil(share * len(idx) - 1e-9))])
    return np.array([i in keep for i in range(N)])


@pytest.fixture(scope="module")
def universe():
    amount_q2 = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], float) * 1e6
    bars = _bars(amount_q2)
    inst = pd.DataFrame(
        {
            "code": [f"SZ{i:06d}" for i in range(N)],
            "name": None,
            "board": "main",
            "list_date": [pd.Timestamp("2019-02-01")] + [pd.Timestamp("2010-01-01")] * (N - 1),
            "delist_date": pd.NaT,
        }
    )
    iw = pd.DataFrame(
        {
            "date": pd.to_datetime(["2019-01-31", "2019-01-31", "2019-06-28"]),
            "index_code": "SH000905",
            "code": ["SZ000003", "SZ000004", "SZ000005"],
            "weight": [0.5, 0.5, 1.0],
        }
    )
    return bars, build_universe(bars, inst, iw), amount_q2


def _at(u, date):
    return u[u["date"] == pd.Timestamp(date)].set_index("code").sort_index()


def test_columns_and_rows(universe):
    bars, u, _ = universe
    assert list(u.columns) == UNIVERSE_COLUMNS
    assert len(u) == len(bars)


def test_quarter_screen(universe):
    _, u, amount_q2 = universe
    amount = np.array([5, 9, 1, 7, 3, 8, 2, 10, 6, 4], float)
    mcap = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 10], float)
    # before the first quarter end: nothing passes
    assert not _at(u, "2019-03-29")["top60"].any()
    # Q1 end 2019-03-29: stock 9 suspended that day -> not ranked; applied from 2019-04-01 to 2019-06-28
    elig = np.array([i != 9 for i in range(N)])
    exp60 = _top(amount, elig, 0.6) & _top(mcap, elig, 0.6)
    exp90 = _top(amount, elig, 0.9) & _top(mcap, elig, 0.9)
    for d in ("2019-04-01", "2019-06-28"):
        np.testing.assert_array_equal(_at(u, d)["top60"].to_numpy(), exp60)
        np.testing.assert_array_equal(_at(u, d)["top90"].to_numpy(), exp90)
    # Q2 end: 1-year mean amount mixes Q1 and Q2 amounts (252-day window covers the whole year so far)
    n_q1 = int((pd.bdate_range("2019-01-01", "2019-03-31")).size)
    n_q2 = int((pd.bdate_range("2019-04-01", "2019-06-28")).size)
    q2 = amount_q2 / 1e6
    mean_amt = (amount * n_q1 + q2 * n_q2) / (n_q1 + n_q2)
    mean_amt[9] = (amount[9] * (n_q1 - 1) + q2[9] * n_q2) / (n_q1 - 1 + n_q2)  # suspended day excluded
    all_ok = np.ones(N, bool)
    exp = _top(mean_amt, all_ok, 0.6) & _top(mcap, all_ok, 0.6)
    np.testing.assert_array_equal(_at(u, "2019-07-01")["top60"].to_numpy(), exp)
    assert not np.array_equal(exp, exp60)


def test_listing_st_and_r1(universe):
    _, u, _ = universe
    s0 = u[u["code"] == "SZ000000"].reset_index(drop=True)
    t_list = s0.index[s0["date"] == pd.Timestamp("2019-02-01")][0]
    assert not s0.loc[t_list + 62, "listed_63d"] and s0.loc[t_list + 63, "listed_63d"]
    assert _at(u, "2019-01-02").drop(index="SZ000000")["listed_63d"].all()
    assert not _at(u, "2019-05-10").loc["SZ000001", "not_st"]
    assert _at(u, "2019-06-03").loc["SZ000001", "not_st"]
    assert (u["r1"] == (u["listed_63d"] & u["not_st"] & u["top60"])).all()
    assert (u["r1_xgb"] == (u["listed_63d"] & u["not_st"] & u["top90"])).all()
    assert not _at(u, "2019-03-29").loc["SZ000009", "tradable"]


def test_index_membership(universe):
    _, u, _ = universe
    assert not _at(u, "2019-01-30")["in_csi500"].any()
    m = _at(u, "2019-02-01")["in_csi500"]
    assert m[m].index.tolist() == ["SZ000003", "SZ000004"]
    m = _at(u, "2019-07-01")["in_csi500"]
    assert m[m].index.tolist() == ["SZ000005"]
    assert not u["in_csi300"].any() and not u["in_csi1000"].any()


def test_universe_is_causal():
    bars = _bars()
    cut = pd.Timestamp("2019-08-15")
    b2 = bars.copy()
    late = b2["date"] > cut
    b2.loc[late, "amount"] = b2.loc[late, "amount"][::-1].to_numpy()
    b2.loc[late, "total_mcap"] *= np.linspace(0.1, 3, late.sum())
    a = build_universe(bars, end=cut)
    b = build_universe(b2, end=cut)
    pd.testing.assert_frame_equal(a, b)
