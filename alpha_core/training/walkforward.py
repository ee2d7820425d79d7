"""Train one model on one walk-forward fold (the body of the ``model_checkpoint`` asset).

For fold k: fit the feature normaliser on the train window (universe rows only), build day
batches for train / valid (labelled stocks only) and test (every universe stock), train
(torch: :func:`~alpha_core.training.trainer.train`; xgboost: :class:`XGBScorer`), and score
the test window. Nothing from valid or test is seen before the model is fixed, except the
validation set driving early stopping.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from alpha_core.models.registry import ModelFamily, ModelOptions, ModelSpec
from alpha_core.models.xgb import XGBConfig, XGBScorer
from alpha_core.training.batch import DayBatch
from alpha_core.training.checkpoint import save_checkpoint
from alpha_core.training.dataset import DENSE_GRAPHS, build_day_batches, fit_normalizer
from alpha_core.training.folds import Fold
from alpha_core.training.normalizer import FeatureNormalizer
from alpha_core.training.trainer import EpochReport, TrainConfig, predict, seeded, train

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
    """

    features: pd.DataFrame
    labels: pd.DataFrame
    feature_cols: tuple[str, ...]
    label_col: str
    universe: pd.DataFrame | None = None
    universe_col: str | None = None
    adjacency: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    dense_graphs: tuple[str, ...] = DENSE_GRAPHS
    batch_hook: Callable[[list[DayBatch]], Sequence[DayBatch]] | None = None


@dataclass
class FoldOutcome:
    """A trained fold: everything :func:`save_fold` writes plus the test-window scores."""

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


def fold_batches(
    inputs: FoldInputs, dates: Sequence[pd.Timestamp], normalizer: FeatureNormalizer, *, labelled: bool
) -> Sequence[DayBatch]:
    """Day batches of ``dates`` (labelled stocks only when ``labelled``), through ``inputs.batch_hook``."""
    batches = build_day_batches(
        inputs.features,
        inputs.feature_cols,
        labels=inputs.labels,
        label_col=inputs.label_col,
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


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily run torch with ``n`` intra-op threads (None: leave it as is)."""
    prev = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def train_fold(
    spec: ModelSpec,
    fold: Fold,
    inputs: FoldInputs,
    *,
    hidden: int = 64,
    graph: str = "sector",
    train_config: TrainConfig = TrainConfig(),
    xgb_config: XGBConfig = XGBConfig(),
    seed: int = 0,
    init_state: Mapping[str, torch.Tensor] | None = None,
    callback: Callable[[EpochReport], None] | None = None,
) -> FoldOutcome:
    """Train ``spec`` on ``fold`` and score its test window.

    ``seed`` seeds parameter init and day shuffling (torch) or the tree sampling (xgboost);
    ``init_state`` warm-starts a torch model (e.g. the previous fold's state dict);
    ``train_config.loss`` is replaced by ``spec.loss``.
    """
    t0 = time.perf_counter()
    normalizer = _train_normalizer(inputs, fold)
    train_b = fold_batches(inputs, fold.train, normalizer, labelled=True)
    valid_b = fold_batches(inputs, fold.valid, normalizer, labelled=True)
    test_b = fold_batches(inputs, fold.test, normalizer, labelled=False)
    options = ModelOptions(n_features=len(inputs.feature_cols), hidden=hidden, graph=graph)
    log.info("fold %s %s: %d train / %d valid / %d test days", fold.fold_id, spec.key, len(train_b), len(valid_b), len(test_b))
    if spec.family is ModelFamily.XGBOOST:
        cfg = dataclasses.replace(xgb_config, seed=seed)
        scorer = XGBScorer(cfg).fit_batches(train_b, valid_b)
        curve = scorer.curve_
        best = curve.iloc[scorer.best_iteration_]
        metrics = {"best_epoch": float(scorer.best_iteration_ + 1), "valid_loss": float(best["valid_loss"]), "epochs_run": float(len(curve))}
        scores = scorer.predict_batches(test_b)
        state, used_cfg = None, cfg
    else:
        cfg = dataclasses.replace(train_config, seed=seed, loss=spec.loss)
        with seeded(seed):
            model = spec.build_model(options)
            result = train(model, train_b, valid_b, cfg, init_state=init_state, callback=callback)
        curve, metrics = result.curve, result.valid_metrics
        with _torch_threads(cfg.num_threads):  # scoring under the training's thread budget too
            scores = predict(model, test_b)
        state, scorer, used_cfg = result.best_state, None, cfg
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
    )


def save_fold(outcome: FoldOutcome, path: Path | str) -> Path:
    """Write the fold's checkpoint directory (see :mod:`alpha_core.training.checkpoint`)."""
    return save_checkpoint(
        path,
        model_key=outcome.spec.key,
        options=outcome.options,
        features=outcome.features,
        normalizer=outcome.normalizer,
        curve=outcome.curve,
        valid_metrics=outcome.valid_metrics,
        state_dict=outcome.state_dict,
        xgb=outcome.xgb,
        train_config=outcome.train_config,
        fold_id=outcome.fold_id,
        extra={"seed": outcome.seed},
    )
