"""Train one model on one walk-forward fold (the body of the ``model_checkpoint`` asset).

For fold k: fit the feature normaliser on the train window (universe rows only), build day
batches for train / valid (labelled stocks only) and test (every universe stock), train, and
score the test window. By :class:`~alpha_core.training.specs.ModelFamily`:

- ``TORCH``: :func:`~alpha_core.training.trainer.train` (best validation epoch kept).
- ``XGBOOST``: :class:`XGBScorer` on the batches' ``x``, early-stopped on the valid days.
- ``TWO_STAGE``: stage 1 exactly as ``TORCH``; then the best epoch's model turns every train /
  valid / test batch into stage-2 features ``[model.factors(b) || b.extras[k] ...]``
  (:func:`~alpha_core.training.secondary.secondary_weighting_batches`, eval mode, no grad) and
  an :class:`XGBScorer` is fitted on the train days, early-stopped on the valid days; the test
  scores are its predictions.

Nothing from valid or test is seen before the model is fixed, except the validation set
driving early stopping (and choosing the best epoch); test batches are only scored and are
built without labels (``DayBatch.y`` is None): the test window's labels cannot reach the
model, the booster or the scores (tested by training twice, once with garbage test labels).

:func:`alpha_core.training.run.run_fold` wraps this for one (fold, model) partition: fold
lookup, spec overrides, coverage check, warm start, seed ensemble and the checkpoint directory.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError, Location
from alpha_core.folds import Fold
from alpha_core.graph.edges import GraphKind
from alpha_core.models.gat_residual import ResidualHeads
from alpha_core.progress import ProgressLog
from alpha_core.training.boosting import XGBConfig, XGBScorer
from alpha_core.training.checkpoint import save_checkpoint
from alpha_core.training.dataset import DENSE_GRAPHS, build_day_batches, fit_normalizer
from alpha_core.training.normalizer import FeatureNormalizer
from alpha_core.training.secondary import secondary_weighting_batches, secondary_weighting_columns
from alpha_core.training.specs import ModelFamily, ModelOptions, ModelSpec
from alpha_core.training.trainer import EpochReport, TrainConfig, TrainResult, predict, seeded, torch_threads, train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldInputs:
    """The long tables a fold reads (see :func:`build_day_batches` for each).

    ``groups``: optional (date, code, sector, industry, ...) block-graph labels, an
    alternative to dense graphs in ``adjacency``.
    ``batch_hook``: optional ``hook(batches) -> batches`` applied to every list of day batches
    built from these tables (train, valid and test alike), to attach what a model reads
    besides ``x`` (``seq``, ``extras``, ``macro``, graphs; see
    :func:`alpha_core.training.inputs.prepare_fold_inputs`). It may return any sequence
    (e.g. one that attaches sequences lazily on access) and must be causal per day.
    ``extras_columns``: the column names of each ``batch.extras`` block the hook attaches (key ->
    names, in order); a ``TWO_STAGE`` model names its stage-2 features with them.
    ``labels`` (None: scoring only) are read by the labelled (train / valid) batches only.
    """

    features: pd.DataFrame
    labels: pd.DataFrame | None
    feature_cols: tuple[str, ...]
    label_col: str
    universe: pd.DataFrame | None = None
    universe_col: str | None = None
    adjacency: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    dense_graphs: tuple[str, ...] = DENSE_GRAPHS
    batch_hook: Callable[[list[DayBatch]], Sequence[DayBatch]] | None = None
    extras_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class FoldOutcome:
    """A trained fold: everything :func:`save_fold` writes plus the test-window scores.

    ``state_dict``: torch / stage-1 weights (TORCH, TWO_STAGE); ``xgb``: the booster (XGBOOST,
    TWO_STAGE); ``stage2_features``: names of the stage-2 columns (TWO_STAGE). ``curve`` of a
    TWO_STAGE fold stacks both stages (column ``stage``: 1 = epochs, 2 = boosting rounds).
    """

    spec: ModelSpec
    fold_id: str
    options: ModelOptions
    features: list[str]
    normalizer: FeatureNormalizer
    curve: pd.DataFrame
    valid_metrics: dict[str, float]
    test_scores: pd.DataFrame  # date, code, score
    wall_s: float
    seed: int
    state_dict: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    xgb: XGBScorer | None = field(default=None, repr=False)
    train_config: object | None = None
    stage2_features: list[str] | None = None
    device: str = "cpu"  # where it trained (``TrainConfig.device``; XGBoost: the CPU)


def fold_batches(
    inputs: FoldInputs, dates: Sequence[pd.Timestamp], normalizer: FeatureNormalizer, *, labelled: bool
) -> Sequence[DayBatch]:
    """Day batches of ``dates`` through ``inputs.batch_hook``.

    ``labelled`` (train / valid): stocks with a finite label only, ``y`` (N,) set. Otherwise
    (scoring: the test window, a live day) every universe stock, and the labels table is not
    read at all: ``y`` is None.
    """
    if labelled and inputs.labels is None:
        raise ValueError("labelled batches need FoldInputs.labels")
    batches = build_day_batches(
        inputs.features,
        inputs.feature_cols,
        labels=inputs.labels if labelled else None,
        label_col=inputs.label_col if labelled else None,
        universe=inputs.universe,
        universe_col=inputs.universe_col,
        adjacency=inputs.adjacency,
        groups=inputs.groups,
        dense_graphs=inputs.dense_graphs,
        dates=dates,
        normalizer=normalizer,
        require_label=labelled,
    )
    return inputs.batch_hook(batches) if inputs.batch_hook is not None else batches


def _train_normalizer(inputs: FoldInputs, fold: Fold) -> FeatureNormalizer:
    feats = inputs.features
    if inputs.universe is not None:
        members = inputs.universe.loc[inputs.universe[inputs.universe_col].astype(bool), ["date", "code"]]
        feats = feats.merge(members, on=["date", "code"], how="inner")
    return fit_normalizer(feats, inputs.feature_cols, fold.train)


def _fit_torch(
    spec: ModelSpec,
    options: ModelOptions,
    train_b: Sequence[DayBatch],
    valid_b: Sequence[DayBatch],
    cfg: TrainConfig,
    init_state: Mapping[str, torch.Tensor] | None,
    callback: Callable[[EpochReport], None] | None,
    progress_log: ProgressLog | None = None,
) -> tuple[nn.Module, TrainResult]:
    """Build ``spec``'s torch model under ``cfg.seed`` and train it (it ends with the best epoch's weights)."""
    with seeded(cfg.seed):
        model = spec.build_model(options)
        result = train(
            model, train_b, valid_b, cfg, init_state=init_state, callback=callback, progress_log=progress_log
        )
    return model, result


def _fit_xgb(
    train_b: Sequence[DayBatch], valid_b: Sequence[DayBatch], cfg: XGBConfig, progress_log: ProgressLog | None = None
) -> tuple[XGBScorer, dict[str, float]]:
    """XGBoost on the batches' ``x``, early-stopped on ``valid_b``; (scorer, validation metrics)."""
    scorer = XGBScorer(cfg).fit_batches(train_b, valid_b, progress_log=progress_log)
    best = scorer.curve_.iloc[scorer.best_iteration_]
    metrics = {
        "best_epoch": float(scorer.best_iteration_ + 1),
        "valid_loss": float(best["valid_loss"]),
        "epochs_run": float(len(scorer.curve_)),
    }
    if "valid_rank_ic" in best:
        metrics["valid_rank_ic"] = float(best["valid_rank_ic"])
    return scorer, metrics


def _stage2_columns(spec: ModelSpec, inputs: FoldInputs, width: int) -> list[str]:
    """Names of the ``width`` stage-2 columns: K factor columns, then ``inputs.extras_columns`` of each extra."""
    missing = [k for k in spec.stage2_extras if k not in inputs.extras_columns]
    if missing:
        raise DataContractError(
            f"{spec.key}: FoldInputs.extras_columns does not name extras {missing}", Location(column=missing[0])
        )
    blocks = [inputs.extras_columns[k] for k in spec.stage2_extras]
    return secondary_weighting_columns(width - sum(len(b) for b in blocks), blocks)


def train_fold(
    spec: ModelSpec,
    fold: Fold,
    inputs: FoldInputs,
    *,
    hidden: int = 64,
    graph: GraphKind = GraphKind.SECTOR,
    residual_heads: ResidualHeads = ResidualHeads.SHARED,
    train_config: TrainConfig = TrainConfig(),
    xgb_config: XGBConfig = XGBConfig(),
    seed: int = 0,
    init_state: Mapping[str, torch.Tensor] | None = None,
    callback: Callable[[EpochReport], None] | None = None,
    progress_log: ProgressLog | None = None,
) -> FoldOutcome:
    """Train ``spec`` on ``fold`` and score its test window.

    ``seed`` seeds parameter init and day shuffling (torch) and the tree sampling (xgboost);
    ``init_state`` warm-starts a torch model (e.g. the previous fold's state dict; stage 1 of a
    TWO_STAGE model); ``graph`` (the block graph, SECTOR or INDUSTRY) and ``residual_heads``
    (:class:`ResidualHeads`) are the R1 GATs' (ignored by the other models); ``train_config.loss`` is replaced by ``spec.loss``; ``xgb_config`` is the
    XGBoost of the XGBOOST family and of stage 2 of a TWO_STAGE model. ``progress_log``: throttled
    ``epoch`` / ``boosting round`` i/N lines with elapsed time and ETA, prefixed with the model,
    fold and seed (:mod:`alpha_core.progress`); it changes nothing else.
    """
    t0 = time.perf_counter()
    normalizer = _train_normalizer(inputs, fold)
    train_b = fold_batches(inputs, fold.train, normalizer, labelled=True)
    valid_b = fold_batches(inputs, fold.valid, normalizer, labelled=True)
    test_b = fold_batches(inputs, fold.test, normalizer, labelled=False)
    options = ModelOptions(
        n_features=len(inputs.feature_cols),
        hidden=hidden,
        graph=GraphKind(graph),
        residual_heads=ResidualHeads(residual_heads),
    )
    log.info(
        "fold %s %s: %d train / %d valid / %d test days",
        fold.fold_id,
        spec.key,
        len(train_b),
        len(valid_b),
        len(test_b),
    )
    plog = progress_log.with_prefix(f"{spec.key} {fold.fold_id} seed {seed}: ") if progress_log is not None else None
    stage2_features = None
    device = "cpu"
    if spec.family is ModelFamily.XGBOOST:
        used_cfg = dataclasses.replace(xgb_config, seed=seed)
        scorer, metrics = _fit_xgb(train_b, valid_b, used_cfg, plog)
        curve, scores, state = scorer.curve_, scorer.predict_batches(test_b), None
    else:
        used_cfg = dataclasses.replace(train_config, seed=seed, loss=spec.loss)
        model, result = _fit_torch(spec, options, train_b, valid_b, used_cfg, init_state, callback, plog)
        curve, metrics, state, scorer = result.curve, result.valid_metrics, result.best_state, None
        device = result.device
        with torch_threads(used_cfg.num_threads):  # scoring under the training's thread budget too
            if spec.family is ModelFamily.TWO_STAGE:
                train2, valid2, test2 = [
                    secondary_weighting_batches(model, b, spec.stage2_extras) for b in (train_b, valid_b, test_b)
                ]
            else:
                scores = predict(model, test_b)
        if spec.family is ModelFamily.TWO_STAGE:
            stage2_features = _stage2_columns(spec, inputs, int(train2[0].x.shape[1]))
            scorer, xgb_metrics = _fit_xgb(
                train2,
                valid2,
                dataclasses.replace(xgb_config, seed=seed),
                plog.with_prefix("stage 2 ") if plog is not None else None,
            )
            scores = scorer.predict_batches(test2)
            curve = pd.concat([curve.assign(stage=1), scorer.curve_.assign(stage=2)], ignore_index=True)
            metrics = {**metrics, **{f"stage2_{k}": v for k, v in xgb_metrics.items()}}
            log.info(
                "fold %s %s: stage 2 on %d features, best round %d",
                fold.fold_id,
                spec.key,
                len(stage2_features),
                scorer.best_iteration_ + 1,
            )
    wall = time.perf_counter() - t0
    metrics = {**metrics, "wall_s": wall}
    return FoldOutcome(
        spec=spec,
        fold_id=fold.fold_id,
        options=options,
        features=list(inputs.feature_cols),
        normalizer=normalizer,
        curve=curve,
        valid_metrics=metrics,
        test_scores=scores,
        wall_s=wall,
        seed=seed,
        state_dict=state,
        xgb=scorer,
        train_config=used_cfg,
        stage2_features=stage2_features,
        device=device,
    )


def save_fold(outcome: FoldOutcome, path: Path | str, extra: Mapping[str, object] | None = None) -> Path:
    """Write the fold's checkpoint directory (see :mod:`alpha_core.training.checkpoint`); ``extra``
    adds entries to its metadata's ``extra`` (e.g. the features' train coverage)."""
    return save_checkpoint(
        path,
        spec=outcome.spec,
        options=outcome.options,
        features=outcome.features,
        normalizer=outcome.normalizer,
        curve=outcome.curve,
        valid_metrics=outcome.valid_metrics,
        state_dict=outcome.state_dict,
        xgb=outcome.xgb,
        train_config=outcome.train_config,
        fold_id=outcome.fold_id,
        stage2_features=outcome.stage2_features,
        extra={
            "seed": outcome.seed,
            "feature_set": str(outcome.spec.feature_set),
            "device": outcome.device,
            **dict(extra or {}),
        },
    )
