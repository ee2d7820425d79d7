"""Typed model registry: model key -> how to build, train and feed it (no YAML, no class paths).

A :class:`ModelSpec` names the builder function (torch models) or the XGBoost family, the
feature set, the label column, the loss and the walk-forward fold preset. The R2 / R3
models register their own specs with :func:`register` under their :class:`ModelKey`.

Families (:class:`ModelFamily`), all trained by
:func:`alpha_core.training.walkforward.train_fold` and saved by
:mod:`alpha_core.training.checkpoint`:

- ``TORCH``: one torch model fitted by the one trainer (:func:`alpha_core.training.trainer.train`).
- ``XGBOOST``: :class:`~alpha_core.models.xgb.XGBScorer` on the batches' ``x``.
- ``TWO_STAGE``: stage 1 is a torch factor model (``model.factors(batch) -> (N, K)``) fitted by
  the same trainer; stage 2 is an :class:`XGBScorer` on ``[factors || batch.extras[k] ...]``
  for the keys in ``ModelSpec.stage2_extras``
  (:func:`alpha_core.models.orthogonal.secondary_weighting_batches`), early-stopped on the
  fold's validation days. R2's ``biagru_xgb`` ("secondary weighting").
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from alpha_core.models.gat_residual import GATResidual, GATResidualConfig, ResidualHeads
from alpha_core.models.losses import LossKind
from alpha_core.models.mlp import MLP, MLPConfig
from alpha_core.training.folds import R1, R1_XGB, FoldConfig


class ModelKey(enum.StrEnum):
    """Every model of the three reports (the ``model`` partition keys)."""

    GAT_RESIDUAL = "gat_residual"
    GAT_MASK = "gat_mask"
    GAT_GLOBAL = "gat_global"
    NN = "nn"
    NN_NEUTRAL = "nn_neutral"
    XGBOOST = "xgboost"
    BIAGRU = "biagru"
    BIAGRU_GAT = "biagru_gat"
    BIAGRU_XGB = "biagru_xgb"
    MULTI_TRANSFORMER = "multi_transformer"
    INDCAP_GAT = "indcap_gat"
    MTICG = "mticg"
    PINN_MTICG = "pinn_mticg"


class ModelFamily(enum.StrEnum):
    TORCH = "torch"  # trained by alpha_core.training.trainer.train
    XGBOOST = "xgboost"  # alpha_core.models.xgb.XGBScorer
    TWO_STAGE = "two_stage"  # torch factor model (trainer.train), then XGBScorer on its factors + extras


class FeatureSet(enum.StrEnum):
    """Which factor columns a model reads (the factor engine owns the names)."""

    R1 = "r1"  # the 42 factors of R1 table 15
    R1_NEUTRAL = "r1_neutral"  # the same, industry-neutralised (nn_neutral)
    R1_XGB = "r1_xgb"  # R1 table 32 (XGBoost), industry + size neutralised
    ALPHA158 = "alpha158"  # Qlib's Alpha158 price-volume set (no neutralisation)
    R1_ALPHA158 = "r1_alpha158"  # the R1 42 and Alpha158 side by side
    XGB_ALPHA158 = "xgb_alpha158"  # R1 table 32 and Alpha158, industry + size neutralised
    R2 = "r2"
    R3 = "r3"


@dataclass(frozen=True)
class ModelOptions:
    """Everything a builder may need; stored in the checkpoint's config json.

    Args: n_features (F); hidden (64; 32, 16); graph ('sector' | 'industry'); chunk_rows
    (global attention row chunk, None = whole day); residual_heads (R1 GATs:
    :class:`~alpha_core.models.gat_residual.ResidualHeads`, 'shared' = the SPEC network).
    """

    n_features: int
    hidden: int = 64
    graph: str = "sector"
    chunk_rows: int | None = None
    residual_heads: str = str(ResidualHeads.SHARED)


Builder = Callable[[ModelOptions], nn.Module]


@dataclass(frozen=True)
class ModelSpec:
    """How to build, feed and train one model key.

    ``stage2_extras`` (``TWO_STAGE`` only): the ``batch.extras`` keys whose (N, F_k) columns are
    appended to the stage-1 factors in the stage-2 XGBoost features, in this order.
    """

    key: ModelKey
    family: ModelFamily
    feature_set: FeatureSet
    label: str
    loss: LossKind = LossKind.WMSE
    folds: FoldConfig = R1
    build: Builder | None = None
    graphs: tuple[str, ...] = field(default_factory=tuple)
    universe: str = "r1"  # bool column of the ``universe`` table (alpha_core.universe)
    stage2_extras: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.family is ModelFamily.TWO_STAGE and self.build is None:
            raise ValueError(f"{self.key}: a TWO_STAGE spec needs the builder of its stage-1 torch model")
        if self.stage2_extras and self.family is not ModelFamily.TWO_STAGE:
            raise ValueError(f"{self.key}: stage2_extras only apply to TWO_STAGE specs")

    def build_model(self, options: ModelOptions) -> nn.Module:
        if self.build is None:
            raise TypeError(f"{self.key} is not a torch model")
        return self.build(options)


LABEL_R1 = "y_vwap10_rank"
"""R1 label column: rank-standardised return from T+1 vwap to T+11 vwap (labels engineer)."""
LABEL_R1_XGB = "y_close10_rank"
"""R1 XGBoost label: the same on close prices."""


def _gat(use_mask: bool, use_global: bool) -> Builder:
    def build(o: ModelOptions) -> nn.Module:
        return GATResidual(GATResidualConfig(o.n_features, o.hidden, o.graph, use_mask, use_global, o.chunk_rows,
                                             heads=ResidualHeads(o.residual_heads)))

    return build


def _mlp(o: ModelOptions) -> nn.Module:
    return MLP(MLPConfig(o.n_features, o.hidden))


REGISTRY: dict[ModelKey, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add (or replace) the spec of ``spec.key``."""
    REGISTRY[spec.key] = spec
    return spec


def get_spec(key: ModelKey | str) -> ModelSpec:
    """The spec of ``key``; KeyError naming the registered keys when absent."""
    k = ModelKey(key)
    if k not in REGISTRY:
        raise KeyError(f"model {k} is not registered (registered: {sorted(REGISTRY)})")
    return REGISTRY[k]


register(ModelSpec(ModelKey.GAT_RESIDUAL, ModelFamily.TORCH, FeatureSet.R1, LABEL_R1, build=_gat(True, True), graphs=("sector",)))
register(ModelSpec(ModelKey.GAT_MASK, ModelFamily.TORCH, FeatureSet.R1, LABEL_R1, build=_gat(True, False), graphs=("sector",)))
register(ModelSpec(ModelKey.GAT_GLOBAL, ModelFamily.TORCH, FeatureSet.R1, LABEL_R1, build=_gat(False, True)))
register(ModelSpec(ModelKey.NN, ModelFamily.TORCH, FeatureSet.R1, LABEL_R1, build=_mlp))
register(ModelSpec(ModelKey.NN_NEUTRAL, ModelFamily.TORCH, FeatureSet.R1_NEUTRAL, LABEL_R1, build=_mlp))
# XGBoost reads the R1 42 WITHOUT SPEC's industry + size neutralisation (table 32 neutralised stays
# available as feature_set r1_xgb): on the real data's validation folds (tests 2018, before the
# leaderboard's 2019-2022) the neutralised set scored test RankIC .035 / .042, the plain R1 set
# .070 / .069 (benchmarks/RESULTS.md, "Training defaults (issue 14)").
register(ModelSpec(ModelKey.XGBOOST, ModelFamily.XGBOOST, FeatureSet.R1, LABEL_R1_XGB, folds=R1_XGB, universe="r1_xgb"))
import alpha_core.models.r2r3_specs  # noqa: E402,F401  (registers the R2/R3 specs; a from-import would be circular)
