"""Training presets: what each names for each model family, and single settings over them."""

import dataclasses

import pytest

from alpha_core.folds import R1, R1_XGB
from alpha_core.training.boosting import TREE_SETTINGS, XGBEarlyStop, XGBTrees
from alpha_core.training.losses import LossKind
from alpha_core.training.presets import TrainingPreset, budget_spec, training_budget, with_overrides
from alpha_core.training.specs import get_spec


def test_tuned_xgboost_trains_qlibs_trees_on_the_torch_windows():
    spec = get_spec("xgboost")
    b = training_budget(TrainingPreset.TUNED, spec)
    assert (b.xgb.max_depth, b.xgb.learning_rate, b.xgb.subsample, b.xgb.colsample) == (8, 0.0421, 0.8789, 0.8879)
    assert b.xgb.early_stop_metric is XGBEarlyStop.RANK_IC and b.xgb.early_stopping == 50
    assert spec.folds == R1_XGB and budget_spec(spec, b).folds == R1  # 252x6 / 252x2 instead of 252x5 / 252x1
    # SPEC keeps the reports' own trees, stopping and windows
    s = training_budget(TrainingPreset.SPEC, spec)
    assert s.xgb.max_depth == 3 and s.xgb.early_stop_metric is XGBEarlyStop.RMSE
    assert budget_spec(spec, s).folds == R1_XGB


def test_two_stage_and_torch_models_keep_their_trees_and_windows():
    two = training_budget(TrainingPreset.TUNED, get_spec("biagru_xgb"))
    assert two.xgb.max_depth == 3 and two.folds is None
    nn = training_budget(TrainingPreset.TUNED, get_spec("nn"))
    assert nn.train.loss is LossKind.MSE and nn.train.weight_ema == 0.99 and nn.folds is None


def test_xgb_trees_override_names_a_tree_setting_and_explicit_fields_win():
    b = training_budget(TrainingPreset.TUNED, get_spec("xgboost"))
    spec_trees = with_overrides(b, xgb_trees=XGBTrees.SPEC)
    assert {k: getattr(spec_trees.xgb, k) for k in TREE_SETTINGS[XGBTrees.SPEC]} == TREE_SETTINGS[XGBTrees.SPEC]
    assert spec_trees.folds == b.folds and spec_trees.xgb.early_stopping == 50  # nothing else moves
    mixed = with_overrides(b, xgb_trees="spec", max_depth=5)
    assert mixed.xgb.max_depth == 5 and mixed.xgb.learning_rate == 0.05
    assert with_overrides(b, xgb_trees=None) == b
    with pytest.raises(TypeError):
        with_overrides(b, max_dept=5)
    assert dataclasses.replace(b) == b
