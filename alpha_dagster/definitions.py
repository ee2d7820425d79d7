"""Builds the Dagster Definitions for the configured data source; nothing else."""

import logging

import dagster as dg

from alpha_core.data.registry import open_source
from alpha_core.errors import DataContractError
from alpha_core.models.registry import ModelKey
from alpha_core.settings import Settings
from alpha_core.training.folds import fold_keys, plan_folds
from alpha_dagster.defs.assets.data import build_data_assets
from alpha_dagster.defs.assets.features import build_feature_assets
from alpha_dagster.defs.assets.graphs import build_graph_assets
from alpha_dagster.defs.assets.models import build_model_assets, build_training_jobs
from alpha_dagster.defs.assets.portfolio import StrategySpec, build_portfolio_assets
from alpha_dagster.defs.assets.rebalance import build_rebalance_assets, build_rebalance_job, build_rebalance_schedule
from alpha_dagster.defs.checks.bars import build_bar_checks
from alpha_dagster.defs.checks.unsynced import build_unsynced_checks, build_unsynced_sensor, partitioned_keys
from alpha_dagster.defs.partitions import build_scheme
from alpha_dagster.defs.resources import build_resources
from alpha_dagster.lib.quiet import silence_known_warnings

log = logging.getLogger(__name__)
silence_known_warnings()  # every process that loads this project's code imports this module first
R1_MODELS = [ModelKey.GAT_RESIDUAL, ModelKey.GAT_MASK, ModelKey.GAT_GLOBAL, ModelKey.NN, ModelKey.NN_NEUTRAL,
             ModelKey.XGBOOST]
R2_R3_MODELS = [ModelKey.BIAGRU, ModelKey.BIAGRU_GAT, ModelKey.BIAGRU_XGB, ModelKey.MULTI_TRANSFORMER,
                ModelKey.INDCAP_GAT, ModelKey.MTICG, ModelKey.PINN_MTICG]
# Strategy = model x preset: R1's models with R1's constraints, the R2/R3 headline models with theirs.
PRESET_STRATEGIES = [*((m, "r1") for m in R1_MODELS), (ModelKey.BIAGRU_GAT, "r2"), (ModelKey.PINN_MTICG, "r3")]
BLEND = "gat_xgb_blend"


def benchmark_for(source_name: str) -> str:
    """The enhancement benchmark: CSI 500 on the synthetic market (R1), CSI 300 on the shared
    real data (the only index with constituents there)."""
    return "SH000905" if source_name.startswith("synthetic") else "SH000300"


def strategy_key(model: str, preset: str = "r1") -> str:
    return f"{model}_{preset}"


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    source = open_source(settings.data)
    calendar = source.calendar()
    plan = settings.fold_plan
    try:
        folds = fold_keys(plan_folds(calendar, plan.config))
    except DataContractError as exc:  # a short history: the data layers still work, no fold to train
        log.warning("no walk-forward fold fits the calendar (%s); model partitions are empty", exc)
        folds = []
    models = [m.value for m in R1_MODELS + R2_R3_MODELS]
    bench = benchmark_for(source.name)
    strategies = {strategy_key(m, p): StrategySpec(model=m.value, preset=p, index_code=bench)
                  for m, p in PRESET_STRATEGIES}
    scheme = build_scheme(calendar, fold_keys=folds, model_keys=models, strategy_keys=list(strategies))
    data_assets = build_data_assets(scheme, with_ground_truth="ground_truth" in source.available_tables())
    raw_bars = next(a for a in data_assets if a.key == dg.AssetKey("raw_bars"))
    assets = [
        *data_assets,
        *build_feature_assets(scheme),
        *build_graph_assets(),
        *build_model_assets(scheme, plan.config, per_model_lengths=plan.per_model_lengths),
        *build_portfolio_assets(scheme, strategies,
                                blends={BLEND: (strategy_key(ModelKey.GAT_RESIDUAL), strategy_key(ModelKey.XGBOOST))}),
        *build_rebalance_assets(scheme, bench),
    ]
    weekly = build_rebalance_job(scheme)
    return dg.Definitions(
        assets=assets,
        jobs=[weekly, *build_training_jobs(scheme)],
        schedules=[build_rebalance_schedule(weekly, scheme)],
        sensors=[build_unsynced_sensor(partitioned_keys(assets))],
        asset_checks=[*build_bar_checks(raw_bars), build_unsynced_checks(assets)],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` / the code server load (lazily: importing this module builds nothing)."""
    return build_definitions()
