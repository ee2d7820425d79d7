"""Named training budgets: what a fold trains with when the user names no setting.

Three presets (:class:`TrainingPreset`), each a function of the model's family:

- ``tuned`` (the default): settings chosen on the validation folds of the shared real data
  (walk-forward folds whose tests end before 2019, the leaderboard's test span starting in
  2019; benchmarks/RESULTS.md "Training defaults (issue 14)" has the runs). Torch R1 models:
  Adam lr 1e-3, mse on the rank label (wmse's label-dependent weights tilt the score towards
  volatility, alpha_core.training.losses), the weight average 0.99 (~100 steps), up to 20 epochs
  with patience 5 on the validation RankIC, every 2nd training day. On the two validation folds
  (nn, R1 factors, test RankIC vs the 10-day close label): wmse .041, mse .058, IC loss .054,
  mse + weight average .061. XGBoost: early stopping on the validation RankIC after 50
  rounds without improvement (the RMSE stops after a handful of rounds on real data), Qlib's
  published tree settings (``XGBTrees.QLIB``: depth 8, eta 0.0421, subsample 0.8789 / 0.8879) and the
  torch models' windows (train 252x6, valid 252x2 instead of SPEC's 252x5 / 252x1): on the two
  validation folds (Alpha158, test RankIC) .0663 as SPEC's windows and depth 3, .0745 with the
  longer windows, .0752 with the tree settings, .0765 with both; a one-year validation window
  picked round 1 on folds whose validation year reversed the signal. Stage 2 of the two-stage
  R2 model keeps depth 3 (not re-tuned). R2 / R3 models keep their own loss.
- ``spec``: SPEC's settings (Adam lr 1e-4, up to 100 epochs, patience 20, the model's own loss,
  every training day; XGBoost as SPEC: validation RMSE, 20 rounds).
- ``quick``: minutes on a laptop (lr 1e-3, 12 epochs, patience 4, every 2nd day).

Every field can still be overridden one by one (``model_checkpoint``'s run config).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from alpha_core.folds import R1, FoldConfig
from alpha_core.training.boosting import TREE_SETTINGS, XGBConfig, XGBEarlyStop, XGBTrees
from alpha_core.training.losses import LossKind
from alpha_core.training.specs import ModelFamily, ModelSpec
from alpha_core.training.trainer import TrainConfig


class TrainingPreset(enum.StrEnum):
    """A named training budget (see the module docstring)."""

    TUNED = "tuned"
    SPEC = "spec"
    QUICK = "quick"


@dataclass(frozen=True)
class TrainingBudget:
    """What :func:`~alpha_core.training.walkforward.train_fold` is given.

    ``train``: the torch trainer's config (its ``loss`` is the loss the model trains with);
    ``xgb``: the XGBoost config (XGBOOST models and stage 2 of TWO_STAGE ones);
    ``train_day_step``: train on every k-th day of the train window (R1 keys);
    ``folds``: the model's own window lengths under this budget (None: the spec's).
    """

    train: TrainConfig
    xgb: XGBConfig
    train_day_step: int = 1
    folds: FoldConfig | None = None


def training_budget(preset: TrainingPreset | str, spec: ModelSpec) -> TrainingBudget:
    """The budget of ``preset`` for ``spec`` (the model's family and own loss decide the details)."""
    p = TrainingPreset(preset)
    loss = spec.loss
    if p is TrainingPreset.SPEC:
        return TrainingBudget(TrainConfig(lr=1e-4, max_epochs=100, patience=20, loss=loss), XGBConfig(), 1)
    if p is TrainingPreset.QUICK:
        return TrainingBudget(
            TrainConfig(lr=1e-3, max_epochs=12, patience=4, loss=loss),
            XGBConfig(early_stop_metric=XGBEarlyStop.RANK_IC),
            2,
        )
    ema = None
    if spec.family is not ModelFamily.XGBOOST and loss is LossKind.WMSE:  # R1's SPEC loss
        loss, ema = LossKind.MSE, 0.99  # chosen on the validation folds (module docstring)
    xgb = XGBConfig(early_stop_metric=XGBEarlyStop.RANK_IC, early_stopping=50)
    if spec.family is ModelFamily.XGBOOST:  # chosen on the validation folds (module docstring)
        return TrainingBudget(
            TrainConfig(lr=1e-3, max_epochs=20, patience=5, loss=loss),
            dataclasses.replace(xgb, **TREE_SETTINGS[XGBTrees.QLIB]),
            2,
            folds=R1,
        )
    return TrainingBudget(TrainConfig(lr=1e-3, max_epochs=20, patience=5, loss=loss, weight_ema=ema), xgb, 2)


def budget_spec(spec: ModelSpec, budget: TrainingBudget) -> ModelSpec:
    """``spec`` as ``budget`` trains it: the budget's loss, and its window lengths when it sets them."""
    spec = dataclasses.replace(spec, loss=budget.train.loss)
    return dataclasses.replace(spec, folds=budget.folds) if budget.folds is not None else spec


def with_overrides(budget: TrainingBudget, **overrides) -> TrainingBudget:
    """``budget`` with the given non-None TrainConfig / XGBConfig / train_day_step fields replaced;
    ``xgb_trees`` (an :class:`XGBTrees`) sets its tree settings (explicit tree fields still win)."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    trees = overrides.pop("xgb_trees", None)
    if trees is not None:
        overrides = {**TREE_SETTINGS[XGBTrees(trees)], **overrides}
    step = overrides.pop("train_day_step", budget.train_day_step)
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    xgb_fields = {f.name for f in dataclasses.fields(XGBConfig)}
    unknown = sorted(set(overrides) - train_fields - xgb_fields)
    if unknown:
        raise TypeError(f"unknown training setting(s) {unknown}")
    train = dataclasses.replace(budget.train, **{k: v for k, v in overrides.items() if k in train_fields})
    xgb = dataclasses.replace(budget.xgb, **{k: v for k, v in overrides.items() if k in xgb_fields})
    return dataclasses.replace(budget, train=train, xgb=xgb, train_day_step=step)
