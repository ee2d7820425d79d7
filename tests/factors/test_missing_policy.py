"""No leakage through missingness: the default preprocessing hides a column's presence pattern
on dates where the source delivers it only partially (alpha_core.factors.preprocess)."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.factors.preprocess import MissingPolicy, PreprocessConfig, daily_coverage, preprocess
from alpha_core.training.boosting import XGBConfig, XGBScorer


def _two_days() -> pd.DataFrame:
    dates = pd.to_datetime(["2021-01-04", "2021-01-05"])
    codes = [f"SH6000{i:02d}" for i in range(10)]
    df = pd.DataFrame([(d, c) for d in dates for c in codes], columns=["date", "code"])
    df["a"] = np.r_[np.arange(10.0), np.arange(10.0)]
    df.loc[[0, 1, 2, 3, 4], "a"] = np.nan  # day 1: 50% coverage
    df.loc[[19], "a"] = np.nan  # day 2: 90% coverage
    return df


def test_a_column_below_min_coverage_is_filled_for_every_row_of_that_date():
    df = _two_days()
    out = preprocess(df, ["a"])
    day1, day2 = out.iloc[:10]["a"].to_numpy(), out.iloc[10:]["a"].to_numpy()
    np.testing.assert_array_equal(day1, np.zeros(10))  # presence pattern gone
    # day 2 at exactly the threshold: the hand z-score of 0..8, the missing row 0
    v = np.arange(9.0)
    np.testing.assert_allclose(day2[:9], (v - v.mean()) / v.std(), rtol=1e-6)
    assert day2[9] == 0.0
    # SPEC's zero fill keeps day 1's values (and so its presence pattern)
    legacy = preprocess(df, ["a"], PreprocessConfig(missing=MissingPolicy.ZERO_FILL))
    v1 = np.arange(5.0, 10.0)
    np.testing.assert_allclose(legacy.iloc[5:10]["a"], (v1 - v1.mean()) / v1.std(), rtol=1e-6)
    np.testing.assert_array_equal(legacy.iloc[:5]["a"], np.zeros(5))
    cov = daily_coverage(df, ["a"])
    np.testing.assert_allclose(cov["a"].to_numpy(), [0.5, 0.9])


def test_the_gate_is_causal_per_date():
    df = _two_days()
    base = preprocess(df, ["a"]).iloc[:10]
    later = df.copy()
    later.loc[later["date"] == later["date"].max(), "a"] = np.nan  # the future loses every value
    np.testing.assert_array_equal(preprocess(later, ["a"]).iloc[:10]["a"], base["a"])


def test_min_coverage_outside_unit_interval_is_refused():
    with pytest.raises(ValueError, match="min_coverage"):
        PreprocessConfig(min_coverage=1.5)


def _presence_market(seed: int = 0, n_days: int = 240, n_stocks: int = 120) -> pd.DataFrame:
    """A market whose only signal is WHICH stocks have a value of ``f`` (its values are noise):
    each day half the stocks get a value, and those stocks earn +1% over the label window."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_days)
    codes = [f"SZ{i:06d}" for i in range(n_stocks)]
    df = pd.DataFrame([(d, c) for d in dates for c in codes], columns=["date", "code"])
    has = rng.random(len(df)) < 0.5
    df["f"] = np.where(has, rng.normal(0, 1, len(df)), np.nan)
    df["g"] = rng.normal(0, 1, len(df))  # a fully covered pure-noise column
    df["y"] = np.where(has, 0.01, -0.01) + rng.normal(0, 0.02, len(df))
    return df


def _test_rank_ic(policy: MissingPolicy) -> float:
    df = _presence_market()
    feats = preprocess(df[["date", "code", "f", "g"]], ["f", "g"], PreprocessConfig(missing=policy))
    feats["y"] = df["y"].to_numpy()
    dates = feats["date"].drop_duplicates().sort_values()
    train, valid, test = dates[:150], dates[160:200], dates[200:]
    part = {k: feats[feats["date"].isin(v)] for k, v in (("train", train), ("valid", valid), ("test", test))}
    scorer = XGBScorer(XGBConfig(num_rounds=60, early_stopping=60, n_threads=1)).fit(
        part["train"][["f", "g"]].to_numpy(np.float32),
        part["train"]["y"].to_numpy(np.float32),
        part["valid"][["f", "g"]].to_numpy(np.float32),
        part["valid"]["y"].to_numpy(np.float32),
    )
    t = part["test"].assign(score=scorer.predict(part["test"][["f", "g"]].to_numpy(np.float32)))
    ic = t.groupby("date").apply(lambda g: g["score"].rank().corr(g["y"].rank()), include_groups=False)
    return float(ic.fillna(0.0).mean())  # a constant score (no split) has no rank correlation: 0


def test_a_signal_living_only_in_presence_gives_a_model_no_gain_under_the_default():
    leaked = _test_rank_ic(MissingPolicy.ZERO_FILL)
    gated = _test_rank_ic(MissingPolicy.COVERAGE_GATE)
    assert leaked > 0.3  # the model does learn presence when it can see it
    assert abs(gated) < 0.05
