"""Model stage: ``model_checkpoint`` (fold x model) -> ``signals`` (model) -> ``signal_evaluation`` (model).

Thin wrappers over :mod:`alpha_core.training` and :mod:`alpha_core.metrics.signal`:

- ``model_checkpoint``: trains one model on one walk-forward fold (partition key
  ``fold|model``, fold = first test date), writes the checkpoint directory under
  ``ALPHA_HOME/checkpoints/model=<m>/fold=<f>`` and stores the fold's test-window scores
  (date, code, model, fold, score) as the asset's table. Folds are independent partitions:
  backfill any set from the UI, in parallel (``warm_start`` makes a fold read the previous
  fold's checkpoint, so such runs must go in order). Every key of the spec table trains here,
  through :func:`alpha_core.training.run.run_fold` (fold lookup, overrides, inputs, coverage,
  warm start, seeds, checkpoint); :func:`alpha_core.training.inputs.prepare_fold_inputs`
  builds each key's inputs (R1 factors and sector / industry groups; R2 / R3 sequences, node
  features, the ``adjacency`` graphs and the ``macro_series`` state, per the spec's
  ``inputs``); R2 / R3 use their spec's label and loss,
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
from collections.abc import Mapping

import dagster as dg
import pandas as pd

from alpha_core.errors import DataContractError
from alpha_core.folds import Fold, FoldConfig
from alpha_core.graph.edges import GraphKind
from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.models.gat_residual import ResidualHeads
from alpha_core.progress import ProgressLog
from alpha_core.reports import inline
from alpha_core.reports.tears import markdown_table
from alpha_core.training.boosting import XGBEarlyStop, XGBTrees
from alpha_core.training.device import DevicePolicy, DeviceUnavailableError
from alpha_core.training.inputs import ModelTables
from alpha_core.training.losses import LossKind
from alpha_core.training.presets import TrainingPreset
from alpha_core.training.run import FoldRunConfig, FoldRunError, FoldRunResult, ReadWindow, read_window, run_fold
from alpha_core.training.scoring import checkpoint_path
from alpha_core.training.signals import stitch_signals
from alpha_core.training.specs import MODEL_SPECS, FeatureSet, ModelSpec
from alpha_core.training.trainer import Monitor
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.defs.partitions import PartitionScheme, partitions_between
from alpha_dagster.lib.lineage import UNPARTITIONED
from alpha_dagster.lib.resources import AlphaStore

MODEL_GROUP = "models"


class ModelCheckpointConfig(dg.Config):
    """Run config of ``model_checkpoint`` (:class:`~alpha_core.training.run.FoldRunConfig`, field
    for field). Enum-typed fields take the member NAME in run config (``graph: INDUSTRY``,
    ``residual_heads: SEPARATE``, ``monitor: LOSS``, ``loss: MSE``), as every Dagster enum.

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
    graph: GraphKind = GraphKind.SECTOR  # R1 GATs' block graph: SECTOR | INDUSTRY
    residual_heads: ResidualHeads = ResidualHeads.SHARED  # R1 GATs: SHARED (SPEC) | SEPARATE (HIST's layers)
    lr: float | None = None
    max_epochs: int | None = None
    patience: int | None = None
    weight_decay: float | None = None
    monitor: Monitor = Monitor.RANK_IC
    weight_ema: float | None = None  # validate / keep the moving average of the weights (e.g. 0.998); None = off
    loss: LossKind | None = None  # WMSE | MSE | IC; None = the preset's (tuned: mse for R1 networks, R2 mse, R3 ic)
    xgb_early_stop: XGBEarlyStop | None = None  # rmse (SPEC) | rank_ic; None = the preset's
    xgb_trees: XGBTrees | None = None  # spec (depth 3) | qlib (depth 8, Qlib's); None = the preset's (tuned: qlib)
    seed: int = 0
    seeds: int = 1  # > 1: a seed ensemble (seeds seed .. seed + seeds - 1), scores = mean of their daily ranks
    warm_start: bool = False
    num_threads: int = 1
    train_day_step: int | None = None  # train on every k-th day of the train window (labels overlap 10 days);
    # R2 / R3 already sample every 5 days (their schedule): they use max(5, train_day_step)
    device: DevicePolicy | None = None  # AUTO | CPU | CUDA; None = the deployment's ALPHA_DEVICE

    def run_config(self) -> FoldRunConfig:
        """The library's frozen config of the same options (FoldRunError when one is invalid)."""
        return FoldRunConfig(**{f.name: getattr(self, f.name) for f in dataclasses.fields(FoldRunConfig)})


class SignalEvaluationConfig(dg.Config):
    """Run config of ``signal_evaluation``: ``label`` for the IC family (raw 10-day return),
    ``ret`` for decile returns (the ``step``-day forward return), evaluation every ``step`` days."""

    label: str = "y_vwap10"
    ret: str = "y_vwap5"
    step: int = 5


WINDOW_TABLES = ("factor_table", "universe", "raw_bars", "labels")
"""Monthly tables a fold reads over its :class:`~alpha_core.training.run.ReadWindow` (labels: train and valid days)."""
SHARED_TABLES = ("adjacency", "macro_series")
"""Unpartitioned tables read only by the models whose inputs name graphs / macro lags."""


def fold_tables(
    alpha_store: AlphaStore, months: dg.TimeWindowPartitionsDefinition, window: ReadWindow, industry_map: pd.DataFrame
) -> tuple[ModelTables, dict[str, list[str]]]:
    """The tables one fold reads, cut to ``window``, and what was read (asset -> partition keys).

    Features over the months of ``[window.first, window.last]``, labels over those of
    ``[window.labels_first, window.labels_last]`` (each cut to its days); adjacency / macro_series
    when ``window`` says the model reads them (else recorded as not read)."""
    store = alpha_store.store
    spans = {t: (window.first, window.last) for t in WINDOW_TABLES}
    spans["labels"] = (window.labels_first, window.labels_last)
    reads: dict[str, list[str]] = {}
    frames: dict[str, pd.DataFrame] = {}
    for table, (first, last) in spans.items():
        keys = partitions_between(months, first, last)
        frames[table] = store.read(table, keys, start=first, end=last, missing_ok=True)
        reads[table] = keys
    shared = {"adjacency": window.reads_adjacency, "macro_series": window.reads_macro}
    for table, needed in shared.items():
        frames[table] = store.read(table) if needed and store.exists(table) else None
        reads[table] = [UNPARTITIONED] if needed else []
    tables = ModelTables(
        frames["factor_table"],
        frames["labels"],
        frames["universe"],
        frames["raw_bars"],
        industry_map,
        adjacency=frames["adjacency"],
        macro_series=frames["macro_series"],
    )
    return tables, reads


CHECKPOINTS = "checkpoints"  # ALPHA_HOME/checkpoints/model=<m>/fold=<f>/


def checkpoint_dir(alpha_store: AlphaStore, model: str, fold: str):
    return checkpoint_path(alpha_store.path / CHECKPOINTS, model, fold)


def checkpoint_metadata(result: FoldRunResult) -> dict[str, object]:
    """The ``model_checkpoint`` materialisation's metadata of a fold run (stage 2 and seed
    ensemble entries only when they apply)."""
    m = result.valid_metrics
    out = result.outcome
    stage2 = (
        {
            "stage2_best_round": int(m["stage2_best_epoch"]),
            "stage2_valid_rmse": dg.MetadataValue.float(float(m["stage2_valid_loss"])),
            "stage2_features": dg.MetadataValue.json(out.stage2_features),
        }
        if out.stage2_features
        else {}
    )
    ensemble = {}
    if len(result.outcomes) > 1:
        ensemble = {
            "seeds": dg.MetadataValue.json(list(result.seeds)),
            "seed_valid_rank_ic": dg.MetadataValue.json([round(v, 5) for v in result.seed_valid_rank_ic]),
            "seed_valid_rank_ic_std": dg.MetadataValue.float(result.seed_valid_rank_ic_std),
        }
    return {
        **stage2,
        **ensemble,
        "checkpoint": dg.MetadataValue.path(str(result.checkpoint)),
        "epochs": int(m.get("epochs_run", 0)),
        "best_epoch": int(m.get("best_epoch", 0)),
        "best_valid_rank_ic": dg.MetadataValue.float(float(m.get("valid_rank_ic", float("nan")))),
        "loss": str(result.spec.loss),
        "preset": str(result.preset),
        "feature_set": str(result.spec.feature_set),
        "best_valid_loss": dg.MetadataValue.float(float(m.get("valid_loss", float("nan")))),
        "wall_s": dg.MetadataValue.float(float(out.wall_s)),
        "device": out.device,
        "n_features": result.n_features,
        "sampled_days": dg.MetadataValue.json(result.sampled_days),
        "train_window": result.window("train"),
        "valid_window": result.window("valid"),
        "test_window": result.window("test"),
        "curve": dg.MetadataValue.md(markdown_table(out.curve.set_index("epoch"), percent=set(), digits=5)),
    }


def build_model_assets(
    scheme: PartitionScheme,
    plan: FoldConfig,
    calendar: pd.DatetimeIndex,
    *,
    per_model_lengths: bool,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
    device: DevicePolicy = DevicePolicy.AUTO,
) -> list[dg.AssetsDefinition]:
    """``plan``: the fold plan whose fold ids are ``scheme.folds``, drawn on ``calendar`` (the
    source's trading calendar: each fold's windows are located on it); ``per_model_lengths``: each
    model trains on its spec's own lengths (R1 / R1_XGB) inside the plan's test windows;
    ``specs``: the spec table whose keys are ``scheme.models``; ``device``: where folds train
    when their run config names no device (the deployment's ``ALPHA_DEVICE``).

    Returns ``model_checkpoint`` (scheme.fold_model), ``signals`` and ``signal_evaluation`` (scheme.models).
    """
    every = dg.AllPartitionMapping()
    by_model = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="model")
    months = scheme.monthly

    @dg.asset(
        group_name=MODEL_GROUP,
        partitions_def=scheme.fold_model,
        kinds={"pytorch", "parquet"},
        pool=TRAINING_POOL,  # at most dagster.yaml's pools.default_limit (2) folds train at once, in any runs
        # Read from the store, the fold's months only (:func:`fold_reads`), and recorded as read.
        # The declared mapping (every month) orders backfills: a fold waits for the months it may read.
        deps=[*(dg.AssetDep(t, partition_mapping=every) for t in WINDOW_TABLES), *SHARED_TABLES],
        description="One model trained on one walk-forward fold: checkpoint directory (state dict, config, "
        "features, normaliser fitted on train, curve, validation metrics) + the fold's test-window scores. "
        "Reads factor_table / universe / raw_bars over the fold's window (train start minus the sequence "
        "history to test end) and labels over its train and valid days only; adjacency / macro_series only for "
        "the models that need them. "
        "Materialize from this page trains with the TUNED preset (chosen on validation folds of the real data) "
        "unless the launchpad's config names another; the jobs train_folds_tuned, train_folds_spec (the "
        "reports' own budget) and train_folds_quick open the launchpad with that preset filled in.",
    )
    def model_checkpoint(
        context: dg.AssetExecutionContext,
        config: ModelCheckpointConfig,
        alpha_store: AlphaStore,
        industry_map: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        keys = context.partition_key.keys_by_dimension
        fold_key, model = keys["fold"], keys["model"]
        try:
            run_config = config.run_config()
            if run_config.device is None:
                run_config = dataclasses.replace(run_config, device=device)
            window = read_window(
                model, fold_key, calendar, run_config, plan=plan, per_model_lengths=per_model_lengths, specs=specs
            )
            tables, reads = fold_tables(alpha_store, months, window, industry_map)
            result = run_fold(
                model,
                fold_key,
                tables,
                run_config,
                plan=plan,
                per_model_lengths=per_model_lengths,
                checkpoint_root=alpha_store.path / CHECKPOINTS,
                specs=specs,
                progress_log=ProgressLog(context.log),
                calendar=calendar,
            )
        except (FoldRunError, DataContractError, DeviceUnavailableError) as exc:  # nothing trained, nothing written
            raise dg.Failure(description=str(exc)) from exc
        if result.warm_start_from is not None:
            context.log.info("warm start from %s", result.warm_start_from)
        return versioned(result.scores, reads=reads, **checkpoint_metadata(result))

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
    def signal_evaluation(
        context: dg.AssetExecutionContext, config: SignalEvaluationConfig, signals: pd.DataFrame, labels: pd.DataFrame
    ) -> dg.Output[pd.DataFrame]:
        frame = signals[["date", "code", "score"]].merge(
            labels[["date", "code", config.label, config.ret]], on=["date", "code"], how="inner"
        )
        table = evaluate_signal(frame, label=config.label, ret=config.ret, config=SignalEvalConfig(step=config.step))
        out = table.reset_index().assign(model=context.partition_key)
        shown = [
            "ic",
            "rank_ic",
            "weighted_ic",
            "weighted_rank_ic",
            "rank_ic_ir",
            "top_precision",
            "long_short_ann",
            "top_turnover",
        ]
        chart, daily_ic = inline.signal_evaluation_chart(
            frame, table, label=config.label, step=config.step, name=context.partition_key
        )
        # finite whole-period figures only: each is one point per model in the Plots tab
        numbers = inline.finite_floats(table.loc["all"], inline.SIGNAL_METRICS) if "all" in table.index else {}
        return versioned(
            out,
            table=dg.MetadataValue.md(markdown_table(table[shown], percent=set(), digits=4)),
            # drawn in the metadata table itself; the full chart behind "[Show Markdown]"
            cumulative_rank_ic=dg.MetadataValue.md(
                inline.sparkline_markdown(daily_ic.dropna().cumsum(), f"{context.partition_key} cumulative RankIC")
            )
            if daily_ic.notna().any()
            else "no test day",
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
