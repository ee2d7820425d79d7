import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.training.features import model_features


def _table():
    rng = np.random.default_rng(0)
    n, t = 20, 3
    d = pd.DataFrame(
        {
            "date": np.repeat(pd.bdate_range("2020-01-01", periods=t), n),
            "code": np.tile([f"SH{600000 + i}" for i in range(n)], t),
        }
    )
    d["bp_lf"] = rng.normal(size=n * t)
    d["ep_ttm"] = rng.normal(size=n * t)
    d.loc[3, "ep_ttm"] = np.nan
    ex = d[["date", "code"]].assign(industry=np.tile(["a", "b"], n * t // 2), total_mcap=rng.uniform(1, 2, n * t))
    return d, ex


def test_r1_zscore_and_fill():
    d, _ = _table()
    out, cols = model_features(d, "r1")
    assert cols == ("bp_lf", "ep_ttm")
    assert out.loc[3, "ep_ttm"] == 0.0
    day = out[out["date"] == out["date"].iloc[0]]["bp_lf"]
    raw = d[d["date"] == d["date"].iloc[0]]["bp_lf"].to_numpy()
    corr = np.corrcoef(day.to_numpy(), raw)[0, 1]
    assert abs(day.mean()) < 1e-9 and abs(day.std(ddof=0) - 1) < 0.06 and corr > 0.999  # no outliers: a z-score


def test_neutral_sets_remove_industry_means():
    d, ex = _table()
    for fs in ("r1_neutral", "r1_xgb"):
        out, _ = model_features(d, fs, exposures=ex)
        means = out.merge(ex, on=["date", "code"]).groupby(["date", "industry"])["bp_lf"].mean()
        assert means.abs().max() < 1e-6
    with pytest.raises(DataContractError):
        model_features(d, "r1_xgb")
    with pytest.raises(DataContractError):
        model_features(d[["date", "code"]], "r1")
