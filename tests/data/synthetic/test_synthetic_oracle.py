"""Oracle helpers: rank IC by date, oracle_ic, forward vwap returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.synthetic import ic_summary, mean_ic, oracle_ic
from alpha_core.data.synthetic.oracle import forward_vwap_return, rank_ic_by_date
from alpha_core.errors import DataContractError


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pd.Series(a).rank().to_numpy()
    rb = pd.Series(b).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def test_rank_ic_by_date_matches_hand_spearman():
    rng = np.random.default_rng(0)
    dates = pd.to_datetime(["2020-01-02", "2020-01-03"]).astype("datetime64[ns]")
    rows = []
    for d in dates:
        x = rng.standard_normal(15)
        y = 0.5 * x + rng.standard_normal(15)
        rows.append(pd.DataFrame({"date": d, "code": [f"SH6{i:05d}" for i in range(15)], "x": x, "y": y}))
    df = pd.concat(rows, ignore_index=True)
    df.loc[3, "x"] = df.loc[4, "x"]  # a tie
    ic = rank_ic_by_date(df, "x", "y")
    for d, v in zip(ic["date"], ic["ic"], strict=True):
        part = df[df["date"] == d]
        assert v == pytest.approx(_spearman(part["x"].to_numpy(), part["y"].to_numpy()))
    assert mean_ic(ic) == pytest.approx(ic["ic"].mean())
    s = ic_summary(ic)
    assert s["n"] == 2 and s["icir"] == pytest.approx(s["mean"] / s["std"])


def test_oracle_ic_perfect_and_inverted_scores():
    d = pd.Timestamp("2020-01-02")
    truth = pd.DataFrame(
        {
            "date": d,
            "code": [f"SZ{i:06d}" for i in range(1, 21)],
            "mu_total": np.arange(20.0),
            "mu_factor": 0.0,
            "mu_graph": 0.0,
            "mu_macro": np.arange(20.0)[::-1],
        }
    )
    scores = truth[["date", "code"]].assign(score=np.arange(20.0) ** 3)
    assert oracle_ic(scores, truth)["ic"].iloc[0] == pytest.approx(1.0)
    assert oracle_ic(scores, truth, part="mu_macro")["ic"].iloc[0] == pytest.approx(-1.0)
    assert oracle_ic(scores, truth, part="mu_graph").empty  # constant truth: undefined, dropped
    with pytest.raises(DataContractError):
        oracle_ic(scores.drop(columns="score"), truth)
    with pytest.raises(DataContractError):
        oracle_ic(scores, truth, part="mu_other")


def test_forward_vwap_return_hand_computed():
    dates = pd.bdate_range("2020-01-01", periods=14)
    vwap = np.arange(1.0, 15.0)
    bars = pd.DataFrame({"date": dates, "code": "SH600000", "vwap": vwap, "adj_factor": 1.0})
    bars.loc[13, "adj_factor"] = 2.0
    out = forward_vwap_return(bars)
    # T=0: vwap[1] -> vwap[11]; T=2: vwap[3] -> vwap[13] * adj 2
    assert out["ret"].iloc[0] == pytest.approx(12.0 / 2.0 - 1)
    assert out["ret"].iloc[2] == pytest.approx(14.0 * 2.0 / 4.0 - 1)
    assert out["ret"].iloc[3:].isna().all()
