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

from alpha_core.settings import Settings
from alpha_core.store.catalog import Catalog

log = logging.getLogger("alpha_dagster.demo")


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
            partition_range: tuple[str, str] | None = None) -> None:
        tags = {}
        if partition_range is not None:
            tags = {ASSET_PARTITION_RANGE_START_TAG: partition_range[0],
                    ASSET_PARTITION_RANGE_END_TAG: partition_range[1]}
        t0 = time.perf_counter()
        result = dg.materialize(
            self.assets, selection=list(selection), partition_key=partition_key, tags=tags,
            instance=self.instance, resources=self.resources,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        if not result.success:
            raise SystemExit(f"demo: run for {selection} failed")
        log.info("materialised %s %s in %.1fs", ",".join(selection),
                 partition_key or (partition_range and "..".join(partition_range)) or "", time.perf_counter() - t0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout)
    for noisy in ("dagster", "alembic", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)

    from alpha_dagster.definitions import build_definitions

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

    catalog = Catalog(settings.home)
    views = catalog.register_all()
    print()
    print(f"Outputs (Parquet): {settings.home}")
    print(f"Catalog (DuckDB):  {catalog.path}   e.g. duckdb {catalog.path} -c 'SELECT * FROM raw_bars LIMIT 5'")
    print(f"Dagster instance:  {os.environ.get('DAGSTER_HOME', '(ephemeral)')}   `make ui` shows these runs")
    print("Tables: " + ", ".join(views))
    print(f"demo finished in {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
