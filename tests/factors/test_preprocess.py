"""Preprocessing vs hand computations per date."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.factors.preprocess import (
    Neutralize,
    PreprocessConfig,
    exposures_from,
    neutralize,
    preprocess,
    winsorize_mad,
    zscore,
)


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    dates = pd.to_datetime(["2021-01-04", "2021-01-05", "2021-01-06"])
    codes = [f"SZ{i:06d}" for i in range(12)]
    df = pd.DataFrame([(d, c) for d in dates for c in codes], columns=["date", "code"])
    df["a"] = rng.normal(0, 1, len(df))
    df.loc[3, "a"] = 50.0  # an outlier on day 1
    df.loc[5, "a"] = np.nan
    df["b"] = rng.lognormal(0, 1, len(df)).astype(np.float32)
    return df


def _hand(x, k=5.0):
    v = x.copy()
    ok = ~np.isnan(v)
    med = np.median(v[ok])
    mad = np.median(np.abs(v[ok] - med))
    if mad > 0:
        v[ok] = np.clip(v[ok], med - k * mad, med + k * mad)
    z = (v - np.nanmean(v)) / np.nanstd(v)
    return np.where(np.isnan(z), 0.0, z)


def test_preprocess_matches_hand(table):
    out = preprocess(table, ["a", "b"])
    for d, g in table.groupby("date"):
        o = out[out["date"] == d]
        for col in ("a", "b"):
            np.testing.assert_allclose(o[col].to_numpy(), _hand(g[col].to_numpy(dtype=float)), rtol=1e-5, atol=1e-6)
    assert out["b"].dtype == np.float32
    assert out.loc[5, "a"] == 0.0
    # the outlier was clipped before the z-score: it is not 3+ std away anymore
    assert out.loc[3, "a"] < 3.5


def test_winsorize_keeps_constant_day_and_zscore_constant(table):
    t = table.copy()
    t.loc[t["date"] == t["date"].iloc[-1], "a"] = 2.0
    w = winsorize_mad(t, ["a"])
    assert (w.loc[t["date"] == t["date"].iloc[-1], "a"] == 2.0).all()
    z = zscore(t, ["a"])
    assert (z.loc[t["date"] == t["date"].iloc[-1], "a"] == 0.0).all()


def test_per_date_only(table):
    t = table.copy()
    t.loc[t["date"] == t["date"].iloc[-1], "a"] *= 100  # another day's scale must not matter
    a = preprocess(table, ["a"])
    b = preprocess(t, ["a"])
    first = table["date"] == table["date"].iloc[0]
    np.testing.assert_array_equal(a.loc[first, "a"], b.loc[first, "a"])


def test_neutralize_is_ols_residual(table):
    rng = np.random.default_rng(1)
    exp = table[["date", "code"]].copy()
    exp["industry"] = np.tile(["x", "y", "z"], len(exp) // 3)
    exp["total_mcap"] = rng.lognormal(20, 1, len(exp))
    exp.loc[7, "industry"] = None  # no industry, fewer than 3 such rows that day -> fill value
    exp.loc[[13, 16, 19], "total_mcap"] = np.nan  # no cap on day 2 -> industry-only residual
    filled = table.fillna({"a": 0.0})
    out = neutralize(filled, exp, ["a"])
    full_rows = exp["industry"].notna().to_numpy() & exp["total_mcap"].notna().to_numpy()
    for d in table["date"].unique():
        m = (table["date"] == d).to_numpy() & full_rows
        x = pd.get_dummies(exp.loc[m, "industry"]).to_numpy(float)
        x = np.column_stack([x, np.log(exp.loc[m, "total_mcap"])])
        y = filled.loc[m, "a"].to_numpy()
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        np.testing.assert_allclose(out.loc[m, "a"], y - x @ beta, atol=1e-9)
    assert out.loc[7, "a"] == 0.0
    # rows 13, 16, 19 (all industry "y") lack a cap: residual of an industry-only fit,
    # i.e. the value minus the mean of its industry among those rows
    no_cap = filled.loc[[13, 16, 19], "a"].to_numpy()
    ind = exp.loc[[13, 16, 19], "industry"].to_numpy()
    expect = np.array([v - no_cap[ind == i].mean() for v, i in zip(no_cap, ind)])
    np.testing.assert_allclose(out.loc[[13, 16, 19], "a"], expect, atol=1e-9)
    full = preprocess(table, ["a", "b"], PreprocessConfig(neutralize=Neutralize.INDUSTRY_SIZE), exposures=exp)
    # after neutralisation the residuals are orthogonal to the industry dummies on each date
    for _, g in full.join(exp[["industry"]]).groupby("date"):
        means = g[g["industry"].notna()].groupby("industry")["a"].mean()
        assert np.abs(means).max() < 1e-5
    with pytest.raises(DataContractError):
        preprocess(table, ["a"], PreprocessConfig(neutralize=Neutralize.INDUSTRY_SIZE))


def test_exposures_from_bars():
    bars = pd.DataFrame(
        {
            "date": pd.to_datetime(["2021-01-04", "2021-01-04", "2021-02-01"]),
            "code": ["SH600000", "SH600001", "SH600000"],
            "total_mcap": [1.0, 2.0, 3.0],
        }
    )
    imap = pd.DataFrame(
        {
            "code": ["SH600000", "SH600000"],
            "start_date": pd.to_datetime(["2020-01-01", "2021-01-15"]),
            "end_date": pd.to_datetime(["2021-01-14", None]),
            "industry": ["banks", "media"],
            "sector": ["financial", "growth"],
        }
    )
    e = exposures_from(bars, imap)
    assert e["industry"].iloc[[0, 2]].tolist() == ["banks", "media"] and pd.isna(e["industry"].iloc[1])
