"""The demo's control market: the same synthetic market with the planted graph part off.

``make demo`` trains ``gat_residual`` and ``nn`` through Dagster on the demo market; to show
that their gap comes from the planted graph part, this module trains the same models with the
same options on the control market (same seed: every other planted part and every noise draw
is unchanged) through the library path the ``model_checkpoint`` asset wraps
(:func:`~alpha_core.training.run.setup_fold` -> :func:`~alpha_core.training.run.train_setup`,
what :func:`~alpha_core.training.run.run_fold` does without writing checkpoints), and evaluates the stitched test signal
the way ``signal_evaluation`` does (RankIC vs ``y_vwap10`` on every ``step``-th test day).

No Dagster run here (only the asset's config class, to read the options the same way): it runs
in a worker process while the main pipeline runs (the second core of a 2-core machine), and
writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from alpha_core.data.synthetic import SyntheticConfig, SyntheticSource
from alpha_core.factors import FactorInputs, compute_factors
from alpha_core.factors.registry import R1_FACTORS
from alpha_core.folds import FoldConfig
from alpha_core.labels import compute_labels
from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.training.inputs import ModelTables
from alpha_core.training.run import setup_fold, train_setup
from alpha_core.training.signals import stitch_signals
from alpha_core.universe import build_universe
from alpha_dagster.defs.assets.models import ModelCheckpointConfig

log = logging.getLogger(__name__)


def control_market(market: SyntheticConfig) -> SyntheticConfig:
    """``market`` with its planted graph part switched off."""
    return market.without("graph")


def market_tables(market: SyntheticConfig) -> ModelTables:
    """The R1 model inputs of ``market``: R1 factors, labels, universe, bars, industry map."""
    src = SyntheticSource(market)
    cal = src.calendar()
    bars = src.bars(cal[0], cal[-1])
    inst, ind = src.instruments(), src.industry_map()
    inputs = FactorInputs(bars, src.fundamentals(), src.consensus(cal[0], cal[-1]), ind, inst)
    factors = compute_factors(inputs, list(R1_FACTORS))
    factors.attrs = {}
    labels = compute_labels(bars)
    universe = build_universe(bars, inst, src.index_weights(cal[0], cal[-1]))
    return ModelTables(factors, labels, universe, bars, ind)


def signal_rank_ic(scores: pd.DataFrame, labels: pd.DataFrame, step: int = 5) -> float:
    """RankIC over all periods of ``evaluate_signal`` (label y_vwap10, every ``step``-th date)."""
    frame = scores[["date", "code", "score"]].merge(
        labels[["date", "code", "y_vwap10", "y_vwap5"]], on=["date", "code"], how="inner"
    )
    table = evaluate_signal(frame, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=step))
    return float(table.loc["all", "rank_ic"])


def train_walkforward(
    tables: ModelTables,
    model: str,
    options: Mapping[str, Any],
    plan: FoldConfig,
    fold_ids: Sequence[str],
    *,
    per_model_lengths: bool,
) -> pd.DataFrame:
    """Stitched test scores (date, code, score) of the torch model ``model`` over the folds
    ``fold_ids`` of ``plan``, trained with ``model_checkpoint``'s run-config ``options``: the
    asset's own config class resolves them (preset, overrides, feature set), so both paths train
    the same way (the coverage check included)."""
    config = ModelCheckpointConfig(**options).run_config()
    if config.seeds != 1:
        raise ValueError(f"control market: one seed per model (seeds={config.seeds} is not supported here)")
    preds, folds = {}, []
    for fold_id in fold_ids:  # FoldRunError when a fold is not in the plan
        setup = setup_fold(model, fold_id, tables, config, plan=plan, per_model_lengths=per_model_lengths)
        preds[fold_id] = train_setup(setup, config)[0].test_scores
        folds.append(setup.folds[setup.index])
    return stitch_signals(preds, folds, model)


def control_rank_ics(
    market: SyntheticConfig,
    models: Sequence[str],
    options: Mapping[str, Any],
    plan: FoldConfig,
    fold_ids: Sequence[str],
    *,
    per_model_lengths: bool = False,
) -> dict[str, float]:
    """RankIC per model on the control market of ``market`` (the worker process's entry point)."""
    logging.getLogger("alpha_core").setLevel(logging.ERROR)  # the main process reports; this one stays quiet
    tables = market_tables(control_market(market))
    return {
        m: signal_rank_ic(
            train_walkforward(tables, m, options, plan, fold_ids, per_model_lengths=per_model_lengths), tables.labels
        )
        for m in models
    }
