"""The demo's control market: the same synthetic market with the planted graph part off.

``make demo`` trains ``gat_residual`` and ``nn`` through Dagster on the demo market; to show
that their gap comes from the planted graph part, this module trains the same models with the
same options on the control market (same seed: every other planted part and every noise draw
is unchanged) through the library path the ``model_checkpoint`` asset wraps
(:func:`~alpha_core.training.inputs.prepare_fold_inputs` ->
:func:`~alpha_core.training.walkforward.train_fold`), and evaluates the stitched test signal
the way ``signal_evaluation`` does (RankIC vs ``y_vwap10`` on every ``step``-th test day).

No Dagster run here (only the asset's config class, to read the options the same way): it runs
in a worker process while the main pipeline runs (the second core of a 2-core machine), and
writes nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from alpha_core.data.synthetic import SyntheticConfig, SyntheticSource
from alpha_core.factors import FactorInputs, compute_factors
from alpha_core.factors.registry import R1_FACTORS
from alpha_core.labels import compute_labels
from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.models.registry import FeatureSet, get_spec
from alpha_core.training.folds import FoldConfig
from alpha_core.training.inputs import ModelTables, model_fold_config, prepare_fold_inputs, sampled_fold
from alpha_core.training.presets import budget_spec
from alpha_core.training.signals import stitch_signals
from alpha_core.training.walkforward import train_fold
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
    frame = scores[["date", "code", "score"]].merge(labels[["date", "code", "y_vwap10", "y_vwap5"]],
                                                    on=["date", "code"], how="inner")
    table = evaluate_signal(frame, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=step))
    return float(table.loc["all", "rank_ic"])


def train_walkforward(tables: ModelTables, model: str, options: Mapping[str, Any], plan: FoldConfig,
                      fold_ids: Sequence[str], *, per_model_lengths: bool) -> pd.DataFrame:
    """Stitched test scores (date, code, score) of the torch model ``model`` over the folds
    ``fold_ids`` of ``plan``, trained with ``model_checkpoint``'s run-config ``options``: the
    asset's own config class resolves them (preset, overrides, feature set), so both paths train
    the same way."""
    config = ModelCheckpointConfig(**options)
    if config.seeds != 1:
        raise ValueError(f"control market: one seed per model (seeds={config.seeds} is not supported here)")
    spec = get_spec(model)
    budget = config.budget(spec)
    spec = budget_spec(spec, budget)
    if config.feature_set is not None:
        spec = dataclasses.replace(spec, feature_set=FeatureSet(config.feature_set))
    calendar = pd.DatetimeIndex(sorted(tables.factor_table["date"].unique()))
    folds = [f for f in config.folds(calendar, plan, model_fold_config(spec, plan, per_model_lengths=per_model_lengths))
             if f.fold_id in set(fold_ids)]
    if len(folds) != len(fold_ids):
        raise ValueError(f"control market: folds {sorted(fold_ids)} not all in the plan (found {[f.fold_id for f in folds]})")
    preds = {}
    for fold in folds:
        sampled = sampled_fold(spec, fold, budget.train_day_step)
        out = train_fold(spec, sampled, prepare_fold_inputs(spec, tables, sampled), hidden=config.hidden,
                         graph=config.graph, residual_heads=config.residual_heads, train_config=budget.train,
                         seed=config.seed)
        preds[fold.fold_id] = out.test_scores
    return stitch_signals(preds, folds, model)


def control_rank_ics(market: SyntheticConfig, models: Sequence[str], options: Mapping[str, Any], plan: FoldConfig,
                     fold_ids: Sequence[str], *, per_model_lengths: bool = False) -> dict[str, float]:
    """RankIC per model on the control market of ``market`` (the worker process's entry point)."""
    logging.getLogger("alpha_core").setLevel(logging.ERROR)  # the main process reports; this one stays quiet
    tables = market_tables(control_market(market))
    return {m: signal_rank_ic(train_walkforward(tables, m, options, plan, fold_ids,
                                                per_model_lengths=per_model_lengths), tables.labels)
            for m in models}
