import pandas as pd
import pytest
import torch

from alpha_core.models.registry import ModelFamily, ModelKey, ModelOptions, get_spec
from alpha_core.training.batch import DayBatch
from alpha_core.training.folds import R1, R1_XGB

R1_TORCH = ["gat_residual", "gat_mask", "gat_global", "nn", "nn_neutral"]


@pytest.mark.parametrize("key", R1_TORCH)
def test_r1_torch_specs_build_and_score(key):
    spec = get_spec(key)
    assert spec.family is ModelFamily.TORCH and spec.folds == R1
    model = spec.build_model(ModelOptions(n_features=5, hidden=16))
    n = 12
    sector = torch.arange(n) % 3
    b = DayBatch(pd.Timestamp("2021-01-04"), [str(i) for i in range(n)], torch.randn(n, 5), graphs={"sector": sector[:, None] == sector[None, :]})
    assert model(b).shape == (n,)


def test_xgboost_spec():
    spec = get_spec(ModelKey.XGBOOST)
    assert spec.family is ModelFamily.XGBOOST and spec.folds == R1_XGB
    with pytest.raises(TypeError):
        spec.build_model(ModelOptions(5))


def test_unknown_key():
    with pytest.raises(ValueError):
        get_spec("nope")
