"""`make demo`: run the whole pipeline on the configured source (default: the embedded
synthetic market) through Dagster, on the same instance storage as `make ui`, then print
where the outputs are and the headline tables.

Usage: python -m alpha_dagster.demo [--stages data,features,...]
"""

import argparse
import logging
import os
import sys
import time
import warnings
from collections.abc import Sequence

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from alpha_core.metrics.performance import compare_strategies
from alpha_core.reports.tears import markdown_table
from alpha_core.settings import Settings
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import BLEND, build_definitions, strategy_key

log = logging.getLogger("alpha_dagster.demo")
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}  # Dagster's DEBUG events off


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


class Runner:
    """Materialises selections of the Definitions in-process, one Dagster run per call."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance):
        self.defs = defs
        self.instance = instance
        self.assets = list(defs.assets or []) + list(defs.asset_checks or [])
        self.resources = defs.resources

    def run(self, selection: Sequence[str], *, partition_key: str | dg.MultiPartitionKey | None = None,
            partition_range: tuple[str, str] | None = None, ops: dict | None = None) -> None:
        tags = {}
        if partition_range is not None:
            tags = {ASSET_PARTITION_RANGE_START_TAG: partition_range[0],
                    ASSET_PARTITION_RANGE_END_TAG: partition_range[1]}
        t0 = time.perf_counter()
        result = dg.materialize(
            self.assets, selection=list(selection), partition_key=partition_key, tags=tags,
            instance=self.instance, resources=self.resources,
            run_config={**QUIET, "ops": {name: {"config": cfg} for name, cfg in (ops or {}).items()}},
        )
        if not result.success:
            raise SystemExit(f"demo: run for {selection} failed")
        log.info("materialised %s %s in %.1fs", ",".join(selection),
                 partition_key or (partition_range and "..".join(partition_range)) or "", time.perf_counter() - t0)


# The demo's training budget: SPEC's lr 1e-4 / patience 20 takes hours on 2 cores; the demo
# shows the machinery end to end in minutes (benchmarks/ run the full budget). SPEC's loss (wmse):
# mse helps at SPEC's lr 1e-4 over 30 epochs (benchmarks/RESULTS.md, "Does the graph help?") but
# not with this budget (demo RankIC .0055 / .0054 for gat_residual / nn with mse vs ~.01 with wmse).
DEMO_MODELS = ("gat_residual", "nn", "xgboost")
DEMO_TRAINING = {"lr": 1e-3, "max_epochs": 12, "patience": 4, "train_day_step": 2}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=4, help="train the last N folds (default 4)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    for noisy in ("dagster", "alembic", "py.warnings", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    # weekly_rebalance mixes single-run (bars, factors) and one-run-per-month (target_orders) assets.
    warnings.filterwarnings("ignore", message="Asset job weekly_rebalance materializes assets with varying")


    settings = Settings.from_env()
    t0 = time.perf_counter()
    defs = build_definitions(settings)
    runner = Runner(defs, _instance())
    monthly = defs.resolve_assets_def("raw_bars").partitions_def
    keys = monthly.get_partition_keys()
    everything = (keys[0], keys[-1])

    log.info("data source %s; %d monthly partitions %s..%s", settings.data, len(keys), keys[0], keys[-1])
    data = [a.key.to_user_string() for a in defs.assets if a.group_names_by_key.get(a.key) == "data"]
    runner.run([k for k in data if defs.resolve_assets_def(k).partitions_def is not None], partition_range=everything)
    runner.run([k for k in data if defs.resolve_assets_def(k).partitions_def is None])
    runner.run(["universe", "factor_table", "labels"], partition_range=everything)
    runner.run(["adjacency", "macro_series"])

    fold_keys = defs.resolve_assets_def("model_checkpoint").partitions_def.get_partitions_def_for_dimension(
        "fold").get_partition_keys()[-args.folds:]
    for model in DEMO_MODELS:
        for fold in fold_keys:
            runner.run(["model_checkpoint"], partition_key=dg.MultiPartitionKey({"fold": fold, "model": model}),
                       ops={"model_checkpoint": DEMO_TRAINING})
        runner.run(["signals", "signal_evaluation"], partition_key=model)
    strategies = [strategy_key(m) for m in ("gat_residual", "xgboost")]
    for strategy in strategies:
        runner.run(["portfolio_weights", "backtest", "backtest_report"], partition_key=strategy)
    runner.run(["strategy_blend"], partition_key=BLEND)

    # The weekly rebalance job once, on the last month of data, as its schedule would run it.
    live_month = keys[-1]
    weekly = defs.resolve_job_def("weekly_rebalance").execute_in_process(
        partition_key=live_month, instance=runner.instance,
        run_config={"ops": {"target_orders": {"config": {"model": "gat_residual"}}}, **QUIET})
    if not weekly.success:
        raise SystemExit("demo: weekly_rebalance failed")

    catalog = Catalog(settings.home)
    views = catalog.register_all()
    print()
    print(f"Outputs (Parquet): {settings.home}")
    print(f"Catalog (DuckDB):  {catalog.path}   e.g. duckdb {catalog.path} -c 'SELECT * FROM raw_bars LIMIT 5'")
    print(f"Dagster instance:  {os.environ.get('DAGSTER_HOME', '(ephemeral)')}   `make ui` shows these runs")
    print("Tables: " + ", ".join(views))
    _print_headlines(settings, strategies)
    _print_orders(settings, live_month)
    print(f"demo finished in {time.perf_counter() - t0:.0f}s")
    return 0


def _print_headlines(settings: Settings, strategies: list[str]) -> None:
    """The signal-evaluation and backtest headline tables, read back from the store."""
    store = ParquetStore(settings.home)
    evaluation = store.read("signal_evaluation", list(DEMO_MODELS), missing_ok=True)
    if len(evaluation):
        overall = evaluation[evaluation["period"] == "all"].set_index("model")
        cols = ["ic", "rank_ic", "weighted_rank_ic", "rank_ic_ir", "top_precision", "long_short_ann"]
        print("\nSignal evaluation over the test folds (signal_evaluation):")
        print(markdown_table(overall[cols], percent=set(), digits=4))
    dailies = {s: store.read("backtest", [s]).drop(columns="strategy") for s in strategies}
    blend = store.read("strategy_blend", [BLEND], missing_ok=True)
    if len(blend):
        dailies[BLEND] = blend.drop(columns="strategy")
    print("\nIndex enhancement (R1 preset) vs the CSI-500-like index, test folds (backtest, strategy_blend):")
    print(markdown_table(compare_strategies(dailies)))


def _print_orders(settings: Settings, month: str) -> None:
    orders = ParquetStore(settings.home).read("target_orders", [month])
    day = orders["date"].max()
    o = orders[orders["date"] == day]
    print(f"\nweekly_rebalance (job of weekly_rebalance_schedule, Fridays 17:00 Asia/Shanghai) ran for "
          f"partition {month}: target_orders of {day.date()}: {len(o)} names, one-way turnover "
          f"{o['trade'].clip(lower=0).sum():.1%}, {int((o['blocked_reason'] != '').sum())} blocked trades.")
    print("  run it again: .venv/bin/dagster job execute -m alpha_dagster.definitions -j weekly_rebalance "
          f"--tags '{{\"dagster/partition\": \"{month}\"}}'   (or UI: Jobs -> weekly_rebalance -> Launchpad)")
    print(f"  orders: SELECT * FROM target_orders WHERE date = '{day.date()}' ORDER BY abs(trade) DESC")


if __name__ == "__main__":
    raise SystemExit(main())
