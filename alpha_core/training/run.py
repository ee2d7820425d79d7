"""One (fold, model) partition end to end: the library body of the ``model_checkpoint`` asset.

:func:`run_fold` does, for model key ``m`` and fold key ``f`` (the fold's first test date):

1. spec: ``m``'s :class:`~alpha_core.training.specs.ModelSpec` with the training budget of the
   run's preset and explicit settings (:func:`alpha_core.training.presets.training_budget`,
   :func:`~alpha_core.training.presets.with_overrides`: loss, lengths) and the ``feature_set``
   override (R1 recipes only);
2. folds: the plan's walk-forward folds with the model's own lengths
   (:func:`alpha_core.training.inputs.model_fold_config`, then the run's ``train_days`` /
   ``valid_days`` / ``purge_days``), the test windows (hence fold keys) always the plan's; ``f``
   looked up among them (:class:`FoldRunError` naming ``f`` and the plan's first keys);
3. the sampled fold (:func:`~alpha_core.training.inputs.sampled_fold`) and its inputs
   (:func:`~alpha_core.training.inputs.prepare_fold_inputs`);
4. the coverage rule (:func:`alpha_core.training.coverage.require_features`): a feature trained
   on that the test days no longer deliver stops the run before anything is written;
5. warm start (torch / two-stage): the state dict of the previous fold's checkpoint, if any;
6. one :func:`~alpha_core.training.walkforward.train_fold` per seed ``seed .. seed + seeds - 1``;
   with several seeds the fold's scores are their rank ensemble
   (:func:`alpha_core.training.ensemble.ensemble_scores`, ``EnsembleMethod.RANK``: the mean of
   the members' daily percentile ranks);
7. the checkpoint directory ``<root>/model=<m>/fold=<f>`` (the first seed's model; members under
   ``members/seed=<s>/`` when ``seeds > 1``, none otherwise).

It returns a frozen :class:`FoldRunResult`: the scores (date, code, model, fold, score) and
plain values describing the run. :func:`setup_fold` is steps 1-4 alone, for callers that train
without writing checkpoints (the demo's control market).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from alpha_core.folds import Fold, FoldConfig, plan_folds
from alpha_core.graph.edges import GraphKind
from alpha_core.models.gat_residual import ResidualHeads
from alpha_core.progress import ProgressLog
from alpha_core.training.boosting import XGBEarlyStop, XGBTrees
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.training.coverage import feature_coverage, require_features
from alpha_core.training.device import DevicePolicy
from alpha_core.training.ensemble import EnsembleMethod, ensemble_scores, seed_spread
from alpha_core.training.inputs import ModelTables, model_fold_config, prepare_fold_inputs, sampled_fold
from alpha_core.training.losses import LossKind
from alpha_core.training.presets import TrainingBudget, TrainingPreset, budget_spec, training_budget, with_overrides
from alpha_core.training.scoring import MEMBERS, checkpoint_path, member_path
from alpha_core.training.specs import MODEL_SPECS, FeatureSet, InputRecipe, ModelFamily, ModelSpec, get_spec
from alpha_core.training.trainer import Monitor
from alpha_core.training.walkforward import FoldInputs, FoldOutcome, save_fold, train_fold

log = logging.getLogger(__name__)


class FoldRunError(ValueError):
    """The requested fold run cannot start: an unknown fold key, an option that does not apply."""


@dataclass(frozen=True)
class FoldRunConfig:
    """The options of one fold's training (``model_checkpoint``'s run config, field for field).

    Args:
        preset: the training budget (:class:`~alpha_core.training.presets.TrainingPreset`, TUNED).
        feature_set: train an R1-recipe model on another :class:`FeatureSet` (None: its own).
        train_days, valid_days, purge_days: override the model's window lengths (None: keep).
        hidden: model width (64).
        graph: the R1 GATs' block graph (:class:`GraphKind` SECTOR or INDUSTRY).
        residual_heads: the R1 GATs' :class:`ResidualHeads` (SHARED, the SPEC network).
        lr, max_epochs, patience, weight_decay, weight_ema, loss, xgb_early_stop, xgb_trees,
            train_day_step: explicit training settings; None takes the preset's.
        monitor: the early-stopping metric of the torch trainer (:class:`Monitor`, RANK_IC).
        seed: the first seed; seeds: how many (> 1: a rank ensemble of seeds seed .. seed+seeds-1).
        warm_start: torch / two-stage models start from the previous fold's checkpoint.
        num_threads: torch intra-op threads while training and scoring (1).
        device: where torch models train (:class:`~alpha_core.training.device.DevicePolicy`;
            None: the preset's, AUTO). Recorded in the checkpoint (``extra.device``).
    """

    preset: TrainingPreset = TrainingPreset.TUNED
    feature_set: FeatureSet | None = None
    train_days: int | None = None
    valid_days: int | None = None
    purge_days: int | None = None
    hidden: int = 64
    graph: GraphKind = GraphKind.SECTOR
    residual_heads: ResidualHeads = ResidualHeads.SHARED
    lr: float | None = None
    max_epochs: int | None = None
    patience: int | None = None
    weight_decay: float | None = None
    monitor: Monitor = Monitor.RANK_IC
    weight_ema: float | None = None
    loss: LossKind | None = None
    xgb_early_stop: XGBEarlyStop | None = None
    xgb_trees: XGBTrees | None = None
    seed: int = 0
    seeds: int = 1
    warm_start: bool = False
    num_threads: int = 1
    train_day_step: int | None = None
    device: DevicePolicy | None = None

    def __post_init__(self) -> None:
        if self.seeds < 1:
            raise FoldRunError(f"seeds must be >= 1, got {self.seeds}")
        for name, kind in (
            ("preset", TrainingPreset),
            ("graph", GraphKind),
            ("residual_heads", ResidualHeads),
            ("monitor", Monitor),
            ("feature_set", FeatureSet),
            ("loss", LossKind),
            ("xgb_early_stop", XGBEarlyStop),
            ("xgb_trees", XGBTrees),
            ("device", DevicePolicy),
        ):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, kind(value))

    def budget(self, spec: ModelSpec) -> TrainingBudget:
        """The preset's budget for ``spec`` with this config's explicit settings applied."""
        return with_overrides(
            training_budget(self.preset, spec),
            lr=self.lr,
            max_epochs=self.max_epochs,
            patience=self.patience,
            weight_decay=self.weight_decay,
            weight_ema=self.weight_ema,
            loss=self.loss,
            early_stop_metric=self.xgb_early_stop,
            xgb_trees=self.xgb_trees,
            train_day_step=self.train_day_step,
            monitor=self.monitor,
            num_threads=self.num_threads,
            device=self.device,
        )

    def folds(self, calendar: pd.DatetimeIndex, plan: FoldConfig, model_folds: FoldConfig | None) -> list[Fold]:
        """The plan's folds with ``model_folds``' lengths and this config's length overrides."""
        over = {k: v for k in ("train_days", "valid_days", "purge_days") if (v := getattr(self, k)) is not None}
        if over:
            model_folds = dataclasses.replace(model_folds or plan, **over)
        return plan_folds(calendar, plan, model_folds)


def resolve_spec(
    model: str,
    config: FoldRunConfig,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
) -> tuple[ModelSpec, TrainingBudget]:
    """(spec as trained, budget): ``model``'s spec with the budget's loss / lengths and the
    config's feature set (R1 recipes only; FoldRunError otherwise)."""
    spec = get_spec(model, specs)
    budget = config.budget(spec)
    spec = budget_spec(spec, budget)
    if config.feature_set is not None:
        if spec.inputs.recipe is not InputRecipe.R1_FACTORS:
            r1 = [k for k, s in specs.items() if s.inputs.recipe is InputRecipe.R1_FACTORS]
            raise FoldRunError(
                f"{model} reads its own {spec.inputs.recipe} inputs; feature_set applies to the "
                f"R1-recipe keys ({', '.join(r1)})"
            )
        spec = dataclasses.replace(spec, feature_set=config.feature_set)
    return spec, budget


def fold_index(folds: Sequence[Fold], key: str) -> int:
    """Position of the fold ``key`` in ``folds``; FoldRunError naming the plan's first keys."""
    for k, f in enumerate(folds):
        if f.fold_id == key:
            return k
    raise FoldRunError(f"fold {key} is not a fold of this plan (folds: {[f.fold_id for f in folds][:5]}...)")


@dataclass(frozen=True)
class FoldSetup:
    """A (fold, model) ready to train (:func:`setup_fold`).

    ``spec`` / ``budget``: as trained (:func:`resolve_spec`); ``folds``: the model's folds under
    the plan, unsampled, ``index`` the position of this one; ``fold``: the sampled fold;
    ``inputs``: its :class:`FoldInputs`; ``train_coverage``: feature -> share of the train days'
    universe rows with a value (stored in the checkpoint, checked again when scoring live).
    """

    model: str
    spec: ModelSpec
    budget: TrainingBudget
    folds: tuple[Fold, ...]
    index: int
    fold: Fold
    inputs: FoldInputs
    train_coverage: Mapping[str, float]

    @property
    def fold_id(self) -> str:
        return self.fold.fold_id

    @property
    def previous(self) -> Fold | None:
        """The fold before this one in the plan (its checkpoint warm-starts this one)."""
        return self.folds[self.index - 1] if self.index > 0 else None


@dataclass(frozen=True)
class ReadWindow:
    """The dates one (fold, model) run reads (what its lineage records, month by month).

    Features (``factor_table``, ``universe``, ``raw_bars``) over ``[first, last]``: from the first
    train day minus the sequence history (L trading days of ``spec.inputs.seq_length``; 0 for
    R1) to the last test day. Labels over ``[labels_first, labels_last]``: the train and valid
    days only (scoring the test window reads no label)."""

    first: pd.Timestamp
    last: pd.Timestamp
    labels_first: pd.Timestamp
    labels_last: pd.Timestamp
    reads_adjacency: bool
    reads_macro: bool


def read_window(
    model: str,
    fold_key: str,
    calendar: pd.DatetimeIndex,
    config: FoldRunConfig = FoldRunConfig(),
    *,
    plan: FoldConfig,
    per_model_lengths: bool,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
) -> ReadWindow:
    """:class:`ReadWindow` of ``model`` on fold ``fold_key`` of ``plan`` over ``calendar`` (the
    whole trading calendar: the folds are planned on it). Raises FoldRunError like :func:`setup_fold`."""
    spec, _ = resolve_spec(model, config, specs)
    folds = config.folds(calendar, plan, model_fold_config(spec, plan, per_model_lengths=per_model_lengths))
    fold = folds[fold_index(folds, fold_key)]
    start = max(0, int(calendar.searchsorted(fold.train[0])) - spec.inputs.seq_length)
    return ReadWindow(
        first=calendar[start],
        last=fold.test[-1],
        labels_first=fold.train[0],
        labels_last=fold.valid[-1],
        reads_adjacency=spec.inputs.needs_adjacency,
        reads_macro=spec.inputs.needs_macro,
    )


def setup_fold(
    model: str,
    fold_key: str,
    tables: ModelTables,
    config: FoldRunConfig = FoldRunConfig(),
    *,
    plan: FoldConfig,
    per_model_lengths: bool,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
    calendar: pd.DatetimeIndex | None = None,
) -> FoldSetup:
    """Steps 1-4 of the module docstring: spec, fold lookup, sampled fold, inputs, coverage check.

    ``tables.adjacency`` / ``tables.macro_series`` are read only when the spec's inputs name
    graphs / macro lags (the R1 folds train before those tables exist).

    Raises:
        FoldRunError: ``fold_key`` is not a fold of the plan, or an option does not apply.
        DataContractError: a needed table / column is absent, or a trained-on feature vanished
            on the test days (nothing is trained).

    ``calendar``: the whole trading calendar the plan's folds are drawn on; needed when
    ``tables`` hold only the fold's :class:`ReadWindow` (default: the dates of ``factor_table``).
    """
    spec, budget = resolve_spec(model, config, specs)
    if calendar is None:  # tables that hold the whole history
        calendar = pd.DatetimeIndex(sorted(tables.factor_table["date"].unique()))
    folds = config.folds(calendar, plan, model_fold_config(spec, plan, per_model_lengths=per_model_lengths))
    k = fold_index(folds, fold_key)
    fold = sampled_fold(spec, folds[k], budget.train_day_step)
    tables = dataclasses.replace(
        tables,
        adjacency=tables.adjacency if spec.inputs.needs_adjacency else None,
        macro_series=tables.macro_series if spec.inputs.needs_macro else None,
    )
    inputs = prepare_fold_inputs(spec, tables, fold)
    cols = list(inputs.feature_cols)
    universe = tables.universe
    members = universe.loc[universe[spec.universe].astype(bool), ["date", "code"]]
    train_cov = feature_coverage(tables.factor_table, cols, fold.train, members)
    require_features(
        train_cov, feature_coverage(tables.factor_table, cols, fold.test, members), where=f"fold {fold_key}|{model}"
    )
    return FoldSetup(model, spec, budget, tuple(folds), k, fold, inputs, train_cov)


def train_setup(
    setup: FoldSetup,
    config: FoldRunConfig = FoldRunConfig(),
    *,
    init_state: Mapping[str, torch.Tensor] | None = None,
    progress_log: ProgressLog | None = None,
) -> list[FoldOutcome]:
    """One :func:`train_fold` of ``setup`` per seed ``config.seed .. config.seed + config.seeds - 1``."""
    return [
        train_fold(
            setup.spec,
            setup.fold,
            setup.inputs,
            hidden=config.hidden,
            graph=config.graph,
            residual_heads=config.residual_heads,
            train_config=setup.budget.train,
            xgb_config=setup.budget.xgb,
            seed=config.seed + i,
            init_state=init_state,
            progress_log=progress_log,
        )
        for i in range(config.seeds)
    ]


@dataclass(frozen=True)
class FoldRunResult:
    """What :func:`run_fold` trained and wrote, as plain values.

    Attributes:
        model, fold_id: the partition. ``spec``: the spec as trained. ``preset``: the budget's name.
        fold: the sampled fold (train / valid / test days actually used).
        scores: (date, code, model, fold, score) of the test window (the seeds' rank ensemble
            when ``len(seeds) > 1``).
        checkpoint: the fold's checkpoint directory.
        outcomes: the per-seed :class:`FoldOutcome` (the first is the checkpoint's model).
        n_features: width of ``x``. train_coverage: see :class:`FoldSetup`.
        warm_start_from: the checkpoint the torch model started from (None: fresh).
    """

    model: str
    fold_id: str
    spec: ModelSpec
    preset: TrainingPreset
    fold: Fold
    scores: pd.DataFrame
    checkpoint: Path
    outcomes: tuple[FoldOutcome, ...]
    n_features: int
    train_coverage: Mapping[str, float]
    warm_start_from: Path | None = None

    @property
    def outcome(self) -> FoldOutcome:
        return self.outcomes[0]

    @property
    def valid_metrics(self) -> Mapping[str, float]:
        """The first seed's validation metrics (best_epoch, valid_loss, valid_rank_ic, epochs_run, ...)."""
        return self.outcome.valid_metrics

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(o.seed for o in self.outcomes)

    @property
    def seed_valid_rank_ic(self) -> tuple[float, ...]:
        """Each seed's best validation RankIC (NaN where not measured)."""
        return tuple(float(o.valid_metrics.get("valid_rank_ic", float("nan"))) for o in self.outcomes)

    @property
    def seed_valid_rank_ic_std(self) -> float:
        """Std (ddof 1) of the seeds' validation RankIC (:func:`seed_spread`); NaN when not measured."""
        spread = seed_spread([o.valid_metrics for o in self.outcomes])
        return float(spread.loc["valid_rank_ic", "std"]) if "valid_rank_ic" in spread.index else float("nan")

    def window(self, part: str) -> str:
        """``'first..last'`` dates of the fold's ``part`` ('train', 'valid' or 'test')."""
        days = getattr(self.fold, part)
        return f"{days[0].date()}..{days[-1].date()}"

    @property
    def sampled_days(self) -> dict[str, int]:
        return {"train": len(self.fold.train), "valid": len(self.fold.valid), "test": len(self.fold.test)}


def run_fold(
    model: str,
    fold_key: str,
    tables: ModelTables,
    config: FoldRunConfig = FoldRunConfig(),
    *,
    plan: FoldConfig,
    per_model_lengths: bool,
    checkpoint_root: Path | str,
    specs: Mapping[str, ModelSpec] = MODEL_SPECS,
    progress_log: ProgressLog | None = None,
    calendar: pd.DatetimeIndex | None = None,
) -> FoldRunResult:
    """Train ``model`` on fold ``fold_key`` of ``plan`` and write its checkpoint (module docstring).

    Args:
        model: a key of ``specs``. fold_key: the fold's first test date 'YYYY-MM-DD'.
        tables: the pipeline's long tables (:class:`ModelTables`).
        config: :class:`FoldRunConfig`.
        plan: the fold plan whose test windows every model shares.
        per_model_lengths: each model trains on its spec's own lengths inside the plan's windows.
        checkpoint_root: checkpoints live under ``<root>/model=<m>/fold=<f>``.
        specs: the spec table. progress_log: throttled epoch / round progress lines.
        calendar: see :func:`setup_fold` (for tables cut to the fold's :func:`read_window`).

    Raises:
        FoldRunError, DataContractError: see :func:`setup_fold` (nothing is written).
    """
    root = Path(checkpoint_root)
    setup = setup_fold(
        model, fold_key, tables, config, plan=plan, per_model_lengths=per_model_lengths, specs=specs, calendar=calendar
    )
    init_state, warm_from = None, None
    previous = setup.previous
    if config.warm_start and previous is not None and setup.spec.family in (ModelFamily.TORCH, ModelFamily.TWO_STAGE):
        prev = checkpoint_path(root, model, previous.fold_id)
        if prev.exists():
            init_state, warm_from = load_checkpoint(prev, specs).state_dict, prev
            log.info("warm start from %s", prev)
    outs = train_setup(setup, config, init_state=init_state, progress_log=progress_log)
    extra = {"train_coverage": dict(setup.train_coverage)}
    path = save_fold(outs[0], checkpoint_path(root, model, fold_key), extra=extra)
    shutil.rmtree(path / MEMBERS, ignore_errors=True)  # a rerun never keeps another run's members
    test_scores = outs[0].test_scores
    if len(outs) > 1:
        for o in outs:
            save_fold(o, member_path(path, o.seed), extra=extra)
        test_scores = ensemble_scores([o.test_scores for o in outs], EnsembleMethod.RANK)[["date", "code", "score"]]
    scores = test_scores.assign(model=model, fold=fold_key)[["date", "code", "model", "fold", "score"]]
    return FoldRunResult(
        model=model,
        fold_id=fold_key,
        spec=setup.spec,
        preset=config.preset,
        fold=setup.fold,
        scores=scores,
        checkpoint=path,
        outcomes=tuple(outs),
        n_features=len(setup.inputs.feature_cols),
        train_coverage=setup.train_coverage,
        warm_start_from=warm_from,
    )
