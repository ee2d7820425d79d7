"""Vanishing features (alpha_core.training.coverage): hand-counted coverage and the rule."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.training.coverage import CoverageRule, feature_coverage, require_features, vanished_features


def _table():
    d = pd.to_datetime(["2021-01-04", "2021-01-04", "2021-01-04", "2021-01-04", "2021-01-05", "2021-01-05"])
    return pd.DataFrame(
        {
            "date": d,
            "code": ["A", "B", "C", "D", "A", "B"],
            "f": [1.0, np.nan, 2.0, 3.0, np.nan, np.nan],
            "g": [np.inf, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )


def test_coverage_counts_finite_values_of_the_member_rows():
    t = _table()
    day1 = [pd.Timestamp("2021-01-04")]
    assert feature_coverage(t, ["f", "g", "h"], day1) == {"f": 0.75, "g": 0.75, "h": 0.0}
    members = pd.DataFrame({"date": pd.Timestamp("2021-01-04"), "code": ["A", "B"]})
    assert feature_coverage(t, ["f"], day1, members) == {"f": 0.5}
    assert feature_coverage(t, ["f"], [pd.Timestamp("2021-01-05")]) == {"f": 0.0}


def test_only_a_learnt_feature_that_disappeared_is_flagged():
    train = {"f": 0.9, "g": 0.4, "h": 0.5}
    scoring = {"f": 0.05, "g": 0.0, "h": 0.1}
    # g was never learnt (40% < 50%); h is at exactly 10% (not below); f vanished
    assert vanished_features(train, scoring) == {"f": (0.9, 0.05)}
    assert vanished_features(train, scoring, CoverageRule(scoring_max=0.2)) == {"f": (0.9, 0.05), "h": (0.5, 0.1)}
    with pytest.raises(DataContractError, match=r"f \(train 90%, now 5%\)"):
        require_features(train, scoring, where="target_orders 2021-01-05")
    require_features(train, {"f": 0.5, "h": 0.5}, where="x")  # nothing vanished: no error
