"""The secondary-weighting (biagru_xgb) data of long tables (alpha_core.training.secondary)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.models.orthogonal import factor_column_names
from alpha_core.training.boosting import XGBConfig, XGBScorer
from alpha_core.training.secondary import fit_secondary_weighting, secondary_weighting_data


def frames():
    dates = pd.to_datetime(["2020-01-03", "2020-01-03", "2020-01-10", "2020-01-10"])
    codes = ["SH600000", "SZ000001", "SH600000", "SZ000001"]
    deep = pd.DataFrame({"date": dates, "code": codes})
    for i, c in enumerate(factor_column_names(2)):
        deep[c] = np.arange(4.0) + 10 * i
    fund = pd.DataFrame({"date": dates[:3], "code": codes[:3], "bp": [0.1, 0.2, 0.3], "ep": [1.0, 2.0, 3.0]})
    labels = pd.DataFrame({"date": dates, "code": codes, "y": [0.5, np.nan, -0.5, 1.0]})
    return deep, fund, labels


def test_secondary_weighting_data_joins_on_date_and_code_and_drops_missing_labels():
    deep, fund, labels = frames()
    data = secondary_weighting_data(deep, fund, labels, "y")
    assert data.feature_columns == ["dl_f00", "dl_f01", "bp", "ep"]
    assert len(data.frame) == 3  # the NaN label is dropped
    row = data.frame[(data.frame["code"] == "SH600000") & (data.frame["date"] == "2020-01-10")].iloc[0]
    assert row["dl_f00"] == 2.0 and row["dl_f01"] == 12.0 and row["bp"] == 0.3 and row["y"] == -0.5
    assert np.isnan(data.x.iloc[-1]["bp"])  # fundamental missing for that stock: NaN kept
    np.testing.assert_array_equal(data.y.to_numpy(), [0.5, -0.5, 1.0])


def test_secondary_weighting_rejects_duplicates_and_clashes():
    deep, fund, labels = frames()
    with pytest.raises(DataContractError, match="duplicated"):
        secondary_weighting_data(pd.concat([deep, deep.iloc[:1]]), fund, labels, "y")
    with pytest.raises(DataContractError, match="clash"):
        secondary_weighting_data(deep, fund.rename(columns={"bp": "dl_f00"}), labels, "y")
    with pytest.raises(DataContractError, match="lacks column"):
        secondary_weighting_data(deep, fund, labels, "label")


def test_xgboost_fits_the_secondary_weighting_data():
    rng = np.random.default_rng(0)
    n = 400
    deep = pd.DataFrame({"date": pd.Timestamp("2020-01-03"), "code": [f"SH{i:06d}" for i in range(n)]})
    deep["dl_f00"] = rng.standard_normal(n)
    fund = deep[["date", "code"]].assign(bp=rng.standard_normal(n))
    labels = deep[["date", "code"]].assign(y=deep["dl_f00"] + fund["bp"] + 0.1 * rng.standard_normal(n))
    data = secondary_weighting_data(deep, fund, labels, "y")
    train = dataclasses.replace(data, frame=data.frame.iloc[:300])
    valid = dataclasses.replace(data, frame=data.frame.iloc[300:])
    model = fit_secondary_weighting(train, valid, XGBConfig(num_rounds=200, n_threads=1))
    assert isinstance(model, XGBScorer)
    assert np.corrcoef(model.predict(valid.x.to_numpy(np.float32)), valid.y)[0, 1] > 0.8
    with pytest.raises(DataContractError, match="differ"):
        fit_secondary_weighting(train, dataclasses.replace(valid, feature_columns=["dl_f00"]))
