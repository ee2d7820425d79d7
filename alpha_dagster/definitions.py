"""Builds the Dagster Definitions for the configured data source; nothing else."""

import logging
from collections.abc import Mapping

import dagster as dg

from alpha_core.data.registry import open_source
from alpha_core.errors import DataContractError
from alpha_core.folds import fold_keys, plan_folds
from alpha_core.settings import Settings
from alpha_core.training.specs import MODEL_SPECS, ModelKey, ModelSpec, Report
from alpha_dagster.defs.assets.data import build_data_assets
from alpha_dagster.defs.assets.features import build_feature_assets
from alpha_dagster.defs.assets.graphs import build_graph_assets
from alpha_dagster.defs.assets.models import build_model_assets, build_training_jobs
from alpha_dagster.defs.assets.portfolio import StrategySpec, build_portfolio_assets
from alpha_dagster.defs.assets.rebalance import build_rebalance_assets, build_rebalance_job, build_rebalance_schedule
from alpha_dagster.defs.checks.bars import build_bar_checks
from alpha_dagster.defs.checks.unsynced import build_unsynced_checks, build_unsynced_sensor
from alpha_dagster.defs.partitions import build_scheme
from alpha_dagster.defs.resources import build_resources
from alpha_dagster.lib.code_version import SourceTree, with_code_version
from alpha_dagster.lib.quiet import silence_known_warnings

log = logging.getLogger(__name__)
silence_known_warnings()  # every process that loads this project's code imports this module first
BLEND = "gat_xgb_blend"
BLEND_MODELS = (ModelKey.GAT_RESIDUAL, ModelKey.XGBOOST)  # the blend's two strategies (R1 preset)


def r1_models(specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> list[str]:
    """The R1 model keys of ``specs``, in table order."""
    return [k for k, s in specs.items() if s.report is Report.R1]


def r2_r3_models(specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> list[str]:
    """The R2 and R3 model keys of ``specs``, in table order."""
    return [k for k, s in specs.items() if s.report in (Report.R2, Report.R3)]


def preset_strategies(specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> list[tuple[str, str]]:
    """Strategy = model x portfolio preset: every spec marked ``strategy`` with its report's
    constraints (R1's models with R1's, the R2 / R3 headline models with theirs)."""
    return [(k, str(s.report)) for k, s in specs.items() if s.strategy]


def benchmark_for(source_name: str) -> str:
    """The enhancement benchmark: CSI 500 on the synthetic market (R1), CSI 300 on the shared
    real data (the only index with constituents there)."""
    return "SH000905" if source_name.startswith("synthetic") else "SH000300"


def strategy_key(model: str, preset: Report | str = Report.R1) -> str:
    """The strategy partition key of ``model`` under ``preset``'s constraints: ``<model>_<preset>``."""
    return f"{model}_{Report(preset)}"


def build_definitions(settings: Settings | None = None, specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> dg.Definitions:
    """The project's Definitions for ``settings`` (default: the environment's).

    ``specs``: the model spec table; its keys are the ``model`` partition keys, its R1 / R2 / R3
    models and strategies follow from each spec's ``report`` and ``strategy`` fields.
    """
    settings = settings or Settings.from_env()
    source = open_source(settings.data)
    calendar = source.calendar()
    plan = settings.fold_plan
    try:
        folds = fold_keys(plan_folds(calendar, plan.config))
    except DataContractError as exc:  # a short history: the data layers still work, no fold to train
        log.warning("no walk-forward fold fits the calendar (%s); model partitions are empty", exc)
        folds = []
    models = [*r1_models(specs), *r2_r3_models(specs)]
    bench = benchmark_for(source.name)
    strategies = {
        strategy_key(m, p): StrategySpec(model=m, preset=p, index_code=bench) for m, p in preset_strategies(specs)
    }
    blend_keys = tuple(strategy_key(m) for m in BLEND_MODELS)
    blends = {BLEND: blend_keys} if all(k in strategies for k in blend_keys) else {}
    scheme = build_scheme(calendar, fold_keys=folds, model_keys=models, strategy_keys=list(strategies))
    tree = SourceTree()  # every asset's code_version: the digest of its module's source closure
    data_assets = with_code_version(
        build_data_assets(scheme, with_ground_truth="ground_truth" in source.available_tables()),
        build_data_assets,
        tree,
    )
    raw_bars = next(a for a in data_assets if a.key == dg.AssetKey("raw_bars"))
    assets = [
        *data_assets,
        *with_code_version(build_feature_assets(scheme), build_feature_assets, tree),
        *with_code_version(build_graph_assets(), build_graph_assets, tree),
        *with_code_version(
            build_model_assets(
                scheme,
                plan.config,
                calendar,
                per_model_lengths=plan.per_model_lengths,
                specs=specs,
                device=settings.device,
            ),
            build_model_assets,
            tree,
        ),
        *with_code_version(build_portfolio_assets(scheme, strategies, blends=blends), build_portfolio_assets, tree),
        *with_code_version(build_rebalance_assets(scheme, bench, specs), build_rebalance_assets, tree),
    ]
    weekly = build_rebalance_job(scheme)
    return dg.Definitions(
        assets=assets,
        jobs=[weekly, *build_training_jobs(scheme)],
        schedules=[build_rebalance_schedule(weekly, scheme)],
        sensors=[build_unsynced_sensor(assets)],
        asset_checks=[*build_bar_checks(raw_bars), build_unsynced_checks(assets)],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` / the code server load (lazily: importing this module builds nothing)."""
    return build_definitions()
