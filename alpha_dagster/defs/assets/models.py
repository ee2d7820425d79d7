"""Model stage: ``model_checkpoint`` (fold x model) -> ``signals`` (model) -> ``signal_evaluation`` (model).

Thin wrappers over :mod:`alpha_core.training` and :mod:`alpha_core.metrics.signal`:

- ``model_checkpoint``: trains one model on one walk-forward fold (partition key
  ``fold|model``, fold = first test date), writes the checkpoint directory under
  ``ALPHA_HOME/checkpoints/model=<m>/fold=<f>`` and stores the fold's test-window scores
  (date, code, model, fold, score) as the asset's table. Folds are independent partitions:
  backfill any set from the UI, in parallel (``warm_start`` makes a fold read the previous
  fold's checkpoint, so such runs must go in order). Every registered model key trains here:
  :func:`alpha_core.training.inputs.prepare_fold_inputs` builds each key's inputs (R1 factors
  and sector / industry groups; R2 / R3 sequences, node features, the ``adjacency`` graphs and
  the ``macro_series`` state, per ``MODEL_INPUTS``); R2 / R3 use their spec's label and loss,
  a purge of at least their label horizon and their schedule's 5-day sampling of train / valid
  days, inside the plan's test windows (same fold keys for all models). ``biagru_xgb`` (two
  stages: orthogonal BiAGRU, then XGBoost on its 32 factors + R2's fundamental factors) reads
  what ``biagru`` reads plus those ``factor_table`` columns; its metadata adds the stage-2
  best round and validation RMSE.
- ``signals``: the model's test-window scores stitched across folds (each date from the fold
  whose test window covers it).
- ``signal_evaluation``: per-year IC / RankIC / weighted IC family, ICIRs, decile precision
  and returns, long-short, autocorrelation and top-decile turnover.
"""


import dataclasses
import shutil

import dagster as dg
import pandas as pd

from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.progress import ProgressLog
from alpha_core.reports import inline
from alpha_core.reports.tears import markdown_table
from alpha_core.models.losses import LossKind
from alpha_core.models.registry import FeatureSet, ModelFamily, ModelSpec, get_spec
from alpha_core.models.xgb import XGBEarlyStop, XGBTrees
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.errors import DataContractError
from alpha_core.training.coverage import feature_coverage, require_features
from alpha_core.training.ensemble import EnsembleMethod, ensemble_scores, seed_spread
from alpha_core.training.scoring import MEMBERS, checkpoint_path, member_path
from alpha_core.training.folds import Fold, FoldConfig, plan_folds
from alpha_core.training.inputs import (
    ModelTables,
    model_fold_config,
    model_inputs,
    needs_adjacency,
    needs_macro,
    prepare_fold_inputs,
    sampled_fold,
)
from alpha_core.training.signals import stitch_signals
from alpha_core.training.presets import TrainingBudget, TrainingPreset, budget_spec, training_budget, with_overrides
from alpha_core.training.trainer import Monitor
from alpha_core.training.walkforward import save_fold, train_fold
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.defs.partitions import PartitionScheme
from alpha_dagster.lib.io_manager import OPTIONAL_INPUT
from alpha_dagster.lib.resources import AlphaStore

MODEL_GROUP = "models"


class ModelCheckpointConfig(dg.Config):
    """Run config of ``model_checkpoint``.

    ``preset`` names the training budget (:class:`~alpha_core.training.presets.TrainingPreset`):
    ``tuned`` (the default: chosen on validation folds of the real data; R1 networks train with
    mse, lr 1e-3, up to 20 epochs, patience 5, every 2nd day; XGBoost early-stops on the
    validation RankIC), ``spec`` (SPEC: lr 1e-4, up to 100 epochs, patience 20, the model's loss,
    every day) or ``quick`` (lr 1e-3, 12 epochs, patience 4). Any of ``lr``, ``max_epochs``,
    ``patience``, ``weight_decay``, ``weight_ema``, ``loss``, ``train_day_step``,
    ``xgb_early_stop``, ``xgb_trees`` left unset takes the preset's value.
    ``feature_set`` (R1 keys: the GATs, nn, xgboost): train on another named feature set
    (``r1``, ``alpha158``, ``r1_alpha158``, ...); unset = the model's own. Recorded in the
    checkpoint. ``seeds`` > 1 trains a seed ensemble: members under ``<checkpoint>/members/seed=<s>/``,
    the fold's scores (and the weekly rebalance's) the mean of the members' daily percentile ranks,
    the seeds' validation RankIC and its spread in the metadata.
    The folds come from the deployment's fold plan (``ALPHA_FOLDS``: the partitions' fold keys);
    ``train_days`` / ``valid_days`` / ``purge_days`` override the model's lengths (research on
    window lengths: the test windows, hence the fold keys, stay the plan's).
    """

    preset: TrainingPreset = TrainingPreset.TUNED
    feature_set: FeatureSet | None = None
    train_days: int | None = None
    valid_days: int | None = None
    purge_days: int | None = None
    hidden: int = 64
    graph: str = "sector"
    residual_heads: str = "shared"  # R1 GATs: shared (SPEC) | separate (HIST's forecast / backcast layers)
    lr: float | None = None
    max_epochs: int | None = None
    patience: int | None = None
    weight_decay: float | None = None
    monitor: str = str(Monitor.RANK_IC)
    weight_ema: float | None = None  # validate / keep the moving average of the weights (e.g. 0.998); None = off
    loss: str | None = None  # wmse | mse | ic; None = the preset's (tuned: mse for R1 networks, R2 mse, R3 ic)
    xgb_early_stop: XGBEarlyStop | None = None  # rmse (SPEC) | rank_ic; None = the preset's
    xgb_trees: XGBTrees | None = None  # spec (depth 3) | qlib (depth 8, Qlib's); None = the preset's (tuned: qlib)
    seed: int = 0
    seeds: int = 1  # > 1: a seed ensemble (seeds seed .. seed + seeds - 1), scores = mean of their daily ranks
    warm_start: bool = False
    num_threads: int = 1
    train_day_step: int | None = None  # train on every k-th day of the train window (labels overlap 10 days);
    # R2 / R3 already sample every 5 days (their schedule): they use max(5, train_day_step)

    def budget(self, spec: ModelSpec) -> TrainingBudget:
        """The preset's budget for ``spec`` with this config's explicit settings applied."""
        return with_overrides(training_budget(self.preset, spec), lr=self.lr, max_epochs=self.max_epochs,
                              patience=self.patience, weight_decay=self.weight_decay, weight_ema=self.weight_ema,
                              loss=LossKind(self.loss) if self.loss is not None else None,
                              early_stop_metric=self.xgb_early_stop, xgb_trees=self.xgb_trees,
                              train_day_step=self.train_day_step,
                              monitor=Monitor(self.monitor), num_threads=self.num_threads)

    def folds(self, calendar: pd.DatetimeIndex, plan: FoldConfig, model_folds: FoldConfig | None) -> list[Fold]:
        over = {k: v for k in ("train_days", "valid_days", "purge_days") if (v := getattr(self, k)) is not None}
        if over:
            model_folds = dataclasses.replace(model_folds or plan, **over)
        return plan_folds(calendar, plan, model_folds)


class SignalEvaluationConfig(dg.Config):
    """Run config of ``signal_evaluation``: ``label`` for the IC family (raw 10-day return),
    ``ret`` for decile returns (the ``step``-day forward return), evaluation every ``step`` days."""

    label: str = "y_vwap10"
    ret: str = "y_vwap5"
    step: int = 5


CHECKPOINTS = "checkpoints"  # ALPHA_HOME/checkpoints/model=<m>/fold=<f>/


def checkpoint_dir(alpha_store: AlphaStore, model: str, fold: str):
    return checkpoint_path(alpha_store.path / CHECKPOINTS, model, fold)


def _find_fold(folds: list[Fold], key: str) -> Fold:
    for f in folds:
        if f.fold_id == key:
            return f
    raise dg.Failure(description=f"fold {key} is not a fold of this plan (folds: {[f.fold_id for f in folds][:5]}...)")


def build_model_assets(scheme: PartitionScheme, plan: FoldConfig, *, per_model_lengths: bool) -> list[dg.AssetsDefinition]:
    """``plan``: the fold plan whose fold ids are ``scheme.folds``; ``per_model_lengths``: each
    model trains on its spec's own lengths (R1 / R1_XGB) inside the plan's test windows.

    Returns ``model_checkpoint`` (scheme.fold_model), ``signals`` and ``signal_evaluation`` (scheme.models).
    """
    every = dg.AllPartitionMapping()
    by_model = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="model")

    @dg.asset(
        group_name=MODEL_GROUP,
        partitions_def=scheme.fold_model,
        kinds={"pytorch", "parquet"},
        pool=TRAINING_POOL,  # at most dagster.yaml's pools.default_limit (2) folds train at once, in any runs
        ins={
            "factor_table": dg.AssetIn(partition_mapping=every),
            "labels": dg.AssetIn(partition_mapping=every),
            "universe": dg.AssetIn(partition_mapping=every),
            "raw_bars": dg.AssetIn(partition_mapping=every),
            # Read only by the models that need them (R2/R3): R1 folds train before they exist.
            "adjacency": dg.AssetIn(metadata={OPTIONAL_INPUT: True}),
            "macro_series": dg.AssetIn(metadata={OPTIONAL_INPUT: True}),
        },
        description="One model trained on one walk-forward fold: checkpoint directory (state dict, config, "
        "features, normaliser fitted on train, curve, validation metrics) + the fold's test-window scores. "
        "Materialize from this page trains with the TUNED preset (chosen on validation folds of the real data) "
        "unless the launchpad's config names another; the jobs train_folds_tuned, train_folds_spec (the "
        "reports' own budget) and train_folds_quick open the launchpad with that preset filled in.",
    )
    def model_checkpoint(
        context: dg.AssetExecutionContext,
        config: ModelCheckpointConfig,
        alpha_store: AlphaStore,
        factor_table: pd.DataFrame,
        labels: pd.DataFrame,
        universe: pd.DataFrame,
        raw_bars: pd.DataFrame,
        industry_map: pd.DataFrame,
        adjacency: pd.DataFrame,
        macro_series: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        keys = context.partition_key.keys_by_dimension
        fold_key, model = keys["fold"], keys["model"]
        spec = get_spec(model)
        budget = config.budget(spec)
        spec = budget_spec(spec, budget)
        if config.feature_set is not None:
            if model_inputs(spec) is not None:
                raise dg.Failure(description=f"{model} reads its own sequence inputs; feature_set applies to the "
                                 "R1 keys (gat_residual, gat_mask, gat_global, nn, nn_neutral, xgboost)")
            spec = dataclasses.replace(spec, feature_set=FeatureSet(config.feature_set))
        calendar = pd.DatetimeIndex(sorted(factor_table["date"].unique()))
        folds = config.folds(calendar, plan, model_fold_config(spec, plan, per_model_lengths=per_model_lengths))
        fold = sampled_fold(spec, _find_fold(folds, fold_key), budget.train_day_step)
        # adjacency / macro_series are loaded for every model (Dagster loads all ins) but only
        # the R2 / R3 models that name graphs / macro lags read them
        tables = ModelTables(factor_table, labels, universe, raw_bars, industry_map,
                             adjacency=adjacency if needs_adjacency(spec) else None,
                             macro_series=macro_series if needs_macro(spec) else None)
        inputs = prepare_fold_inputs(spec, tables, fold)
        cols = inputs.feature_cols
        # vanishing features: trained on, but (nearly) absent on the days scored -> nothing published
        members = universe.loc[universe[spec.universe].astype(bool), ["date", "code"]]
        train_cov = feature_coverage(factor_table, cols, fold.train, members)
        try:
            require_features(train_cov, feature_coverage(factor_table, cols, fold.test, members),
                             where=f"model_checkpoint {fold_key}|{model}")
        except DataContractError as exc:
            raise dg.Failure(description=str(exc)) from exc
        init_state = None
        k = [f.fold_id for f in folds].index(fold_key)
        if config.warm_start and k > 0 and spec.family in (ModelFamily.TORCH, ModelFamily.TWO_STAGE):
            prev = checkpoint_dir(alpha_store, model, folds[k - 1].fold_id)
            if prev.exists():
                init_state = load_checkpoint(prev).state_dict
                context.log.info("warm start from %s", prev)
        train_cfg = budget.train

        if config.seeds < 1:
            raise dg.Failure(description=f"seeds must be >= 1, got {config.seeds}")
        outs = [train_fold(spec, fold, inputs, hidden=config.hidden, graph=config.graph,
                           residual_heads=config.residual_heads, train_config=train_cfg, xgb_config=budget.xgb,
                           seed=config.seed + i, init_state=init_state, progress_log=ProgressLog(context.log))
                for i in range(config.seeds)]
        out = outs[0]
        path = save_fold(out, checkpoint_dir(alpha_store, model, fold_key), extra={"train_coverage": train_cov})
        shutil.rmtree(path / MEMBERS, ignore_errors=True)  # a rerun never keeps another run's members
        ensemble = {}
        test_scores = out.test_scores
        if len(outs) > 1:
            for o in outs:
                save_fold(o, member_path(path, o.seed), extra={"train_coverage": train_cov})
            test_scores = ensemble_scores([o.test_scores for o in outs], EnsembleMethod.RANK)[["date", "code", "score"]]
            spread = seed_spread([o.valid_metrics for o in outs])
            ensemble = {"seeds": dg.MetadataValue.json([o.seed for o in outs]),
                        "seed_valid_rank_ic": dg.MetadataValue.json(
                            [round(float(o.valid_metrics.get("valid_rank_ic", float("nan"))), 5) for o in outs]),
                        "seed_valid_rank_ic_std": dg.MetadataValue.float(float(spread.loc["valid_rank_ic", "std"]))
                        if "valid_rank_ic" in spread.index else dg.MetadataValue.float(float("nan"))}
        scores = test_scores.assign(model=model, fold=fold_key)[["date", "code", "model", "fold", "score"]]
        m = out.valid_metrics
        stage2 = {"stage2_best_round": int(m["stage2_best_epoch"]),
                  "stage2_valid_rmse": dg.MetadataValue.float(float(m["stage2_valid_loss"])),
                  "stage2_features": dg.MetadataValue.json(out.stage2_features)} if out.stage2_features else {}
        return versioned(
            scores,
            **stage2,
            **ensemble,
            checkpoint=dg.MetadataValue.path(str(path)),
            epochs=int(m.get("epochs_run", 0)),
            best_epoch=int(m.get("best_epoch", 0)),
            best_valid_rank_ic=dg.MetadataValue.float(float(m.get("valid_rank_ic", float("nan")))),
            loss=str(spec.loss),
            preset=str(config.preset),
            feature_set=str(spec.feature_set),
            best_valid_loss=dg.MetadataValue.float(float(m.get("valid_loss", float("nan")))),
            wall_s=dg.MetadataValue.float(float(out.wall_s)),
            n_features=len(cols),
            sampled_days=dg.MetadataValue.json({"train": len(fold.train), "valid": len(fold.valid), "test": len(fold.test)}),
            train_window=f"{fold.train[0].date()}..{fold.train[-1].date()}",
            valid_window=f"{fold.valid[0].date()}..{fold.valid[-1].date()}",
            test_window=f"{fold.test[0].date()}..{fold.test[-1].date()}",
            curve=dg.MetadataValue.md(markdown_table(out.curve.set_index("epoch"), percent=set(), digits=5)),
        )

    @dg.asset(
        group_name=MODEL_GROUP,
        partitions_def=scheme.models,
        kinds={"parquet"},
        ins={"model_checkpoint": dg.AssetIn(partition_mapping=by_model)},
        description="Out-of-sample scores per (date, code) of one model, stitched across its folds.",
    )
    def signals(context: dg.AssetExecutionContext, model_checkpoint: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        model = context.partition_key
        preds = model_checkpoint[model_checkpoint["model"] == model] if len(model_checkpoint) else model_checkpoint
        folds, by_fold = [], {}
        for key, part in preds.groupby("fold", sort=True):
            dates = pd.DatetimeIndex(sorted(part["date"].unique()))
            empty = pd.DatetimeIndex([])
            folds.append(Fold(str(key), empty, empty, dates))
            by_fold[str(key)] = part[["date", "code", "score"]]
        sig = stitch_signals(by_fold, folds, model)
        return versioned(
            sig,
            folds=len(folds),
            first_date=str(sig["date"].min().date()) if len(sig) else "",
            last_date=str(sig["date"].max().date()) if len(sig) else "",
        )

    @dg.asset(
        group_name=MODEL_GROUP,
        partitions_def=scheme.models,
        kinds={"parquet"},
        ins={"labels": dg.AssetIn(partition_mapping=every)},
        description="Per-year evaluation of a model's signal: IC, RankIC, weighted IC / RankIC, ICIRs, decile "
        "precision and annualised returns, long-short, factor autocorrelation, top-decile turnover. Metadata: "
        "the cumulative RankIC chart inline and the whole period's figures as plottable floats.",
    )
    def signal_evaluation(context: dg.AssetExecutionContext, config: SignalEvaluationConfig, signals: pd.DataFrame,
                          labels: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        frame = signals[["date", "code", "score"]].merge(labels[["date", "code", config.label, config.ret]],
                                                          on=["date", "code"], how="inner")
        table = evaluate_signal(frame, label=config.label, ret=config.ret, config=SignalEvalConfig(step=config.step))
        out = table.reset_index().assign(model=context.partition_key)
        shown = ["ic", "rank_ic", "weighted_ic", "weighted_rank_ic", "rank_ic_ir", "top_precision", "long_short_ann",
                 "top_turnover"]
        chart, daily_ic = inline.signal_evaluation_chart(frame, table, label=config.label, step=config.step,
                                                         name=context.partition_key)
        # finite whole-period figures only: each is one point per model in the Plots tab
        numbers = inline.finite_floats(table.loc["all"], inline.SIGNAL_METRICS) if "all" in table.index else {}
        return versioned(
            out,
            table=dg.MetadataValue.md(markdown_table(table[shown], percent=set(), digits=4)),
            # drawn in the metadata table itself; the full chart behind "[Show Markdown]"
            cumulative_rank_ic=dg.MetadataValue.md(inline.sparkline_markdown(
                daily_ic.dropna().cumsum(), f"{context.partition_key} cumulative RankIC"))
            if daily_ic.notna().any() else "no test day",
            rank_ic_chart=dg.MetadataValue.md(chart),
            **{k: dg.MetadataValue.float(v) for k, v in numbers.items()},
        )

    return [model_checkpoint, signals, signal_evaluation]


TRAINING_POOL = "training"
TRAINING_JOB_PREFIX = "train_folds_"


def build_training_jobs(scheme: PartitionScheme) -> list:
    """One job per :class:`TrainingPreset` over ``model_checkpoint``: ``train_folds_tuned``,
    ``train_folds_spec``, ``train_folds_quick``. Each job's config names its preset, so the
    launchpad opens with it (any single setting can still be added there), and its runs carry
    ``alpha/stage=training`` (dagster.yaml: at most 2 such runs at once) and ``alpha/preset``."""
    return [
        dg.define_asset_job(
            f"{TRAINING_JOB_PREFIX}{preset.value}",
            selection=dg.AssetSelection.assets("model_checkpoint"),
            partitions_def=scheme.fold_model,
            config={"ops": {"model_checkpoint": {"config": {"preset": preset.name}}}},
            tags={"alpha/stage": "training", "alpha/preset": preset.value},
            description=f"Train folds x models with the {preset.value.upper()} preset "
            f"({PRESET_NOTES[preset]}); pick partitions in the launchpad or backfill from the job's Partitions tab.",
        )
        for preset in TrainingPreset
    ]


PRESET_NOTES = {
    TrainingPreset.TUNED: "the default: lr 1e-3, mse, weight average, <= 20 epochs; chosen on validation folds",
    TrainingPreset.SPEC: "the research reports' budget: lr 1e-4, up to 100 epochs, patience 20, the model's loss",
    TrainingPreset.QUICK: "minutes: lr 1e-3, 12 epochs, patience 4, every 2nd day",
}
