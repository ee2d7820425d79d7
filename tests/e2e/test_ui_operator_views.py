"""Headless Chromium shows what an operator looks for first: the unsynced count after a data fix,
an embedded chart on a ``backtest_report`` partition, and the training presets in the launchpad.

Setup (in-process, into the project instance that the webserver then serves): a vendor directory
holding the 2-year synthetic market as files (``ALPHA_DATA`` = that directory, fold plan ``quick``);
the lineage of the ``nn_r1`` strategy materialised (data, features, 8 ``nn`` folds at 2 epochs,
signals, portfolio, backtest, report); then a data fix: the vendor corrects the volume of three
stocks on one day, ``raw_bars`` of that month is rerun, and the ``unsynced_partitions_sensor`` is
evaluated once (the daemon would do the same within its interval). Then the webserver starts and
Chromium renders three pages (``--dump-dom`` for the assertions, ``--screenshot`` kept under
``$ALPHA_TEST_ARTIFACTS``):

- ``factor_table``'s checks: ``partitions_in_sync`` failing, with its unsynced count;
- ``backtest_report`` partition ``nn_r1``: the materialisation's Markdown chart as an ``<img>``
  with an inline PNG;
- the launchpad of ``train_folds_quick``: the job's preset tag, and (GraphQL, what the editor loads
  once a partition is picked in it) the partition's run config with ``preset: QUICK``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from e2e_stack import CodeLocation, DagsterStack
from test_ui_screenshot import png_size, run_chromium

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.settings import Settings
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.checks.unsynced import UNSYNCED_CHECK
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

FIX_DAY = pd.Timestamp("2019-06-12")
FIX_MONTH = "2019-06-01"
STRATEGY = "nn_r1"


def write_vendor_dir(path: Path, bars: pd.DataFrame, market: SyntheticSource) -> None:
    """The synthetic market as a vendor's file export (alpha_core/data/files.py's layout)."""
    start, end = bars["date"].min(), bars["date"].max()
    bars.to_parquet(path / "bars.parquet", index=False)
    market.instruments().to_parquet(path / "instruments.parquet", index=False)
    market.industry_map().to_parquet(path / "industry_map.parquet", index=False)
    market.index_levels(start, end).to_parquet(path / "index_levels.parquet", index=False)
    market.index_weights(start, end).to_parquet(path / "index_weights.parquet", index=False)
    market.fundamentals().to_parquet(path / "fundamentals.parquet", index=False)
    market.consensus(start, end).to_parquet(path / "consensus.parquet", index=False)
    market.macro().to_parquet(path / "macro.parquet", index=False)
    pd.DataFrame({"date": bars["date"].drop_duplicates()}).to_csv(path / "calendar.csv", index=False)


def materialise(defs: dg.Definitions, instance: dg.DagsterInstance, selection, **kw) -> None:
    assert dg.materialize(
        list(defs.assets), selection=selection, instance=instance, resources=defs.resources, **kw
    ).success, selection


def build_operator_state(root: Path) -> tuple[Path, Path, int]:
    """Vendor dir + project instance with a materialised strategy and one corrected month.
    Returns (vendor dir, ALPHA_HOME, factor_table's unsynced count after the fix)."""
    market = SyntheticSource.from_profile("small")
    cal = market.calendar()
    bars = market.bars(cal[0], cal[-1])
    vendor, home = root / "vendor", root / ".alpha_home"
    vendor.mkdir()
    (home / "dagster").mkdir(parents=True)
    write_vendor_dir(vendor, bars, market)
    settings = Settings(data=str(vendor), home=home, folds="quick")
    defs = build_definitions(settings)
    months = defs.resolve_assets_def("raw_bars").partitions_def.get_partition_keys()
    whole = {RANGE_START_TAG: months[0], RANGE_END_TAG: months[-1]}
    folds = (
        defs.resolve_assets_def("model_checkpoint")
        .partitions_def.get_partitions_def_for_dimension("fold")
        .get_partition_keys()
    )
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        materialise(
            defs,
            instance,
            ["raw_bars", "index_weights", "index_levels", "instruments", "industry_map", "fundamentals", "consensus"],
            tags=whole,
        )
        materialise(defs, instance, ["universe", "factor_table", "labels"], tags=whole)
        materialise(defs, instance, ["macro_raw", "adjacency", "macro_series"])
        for fold in folds:
            materialise(
                defs,
                instance,
                ["model_checkpoint"],
                partition_key=dg.MultiPartitionKey({"fold": fold, "model": "nn"}),
                run_config={"ops": {"model_checkpoint": {"config": {"max_epochs": 2, "hidden": 16}}}},
            )
        materialise(defs, instance, ["signals", "signal_evaluation"], partition_key="nn")
        materialise(defs, instance, ["portfolio_weights", "backtest", "backtest_report"], partition_key=STRATEGY)
        # The vendor corrects the volume of three stocks on FIX_DAY; the month is rerun.
        fixed = bars.copy()
        rows = fixed.index[(fixed["date"] == FIX_DAY) & fixed["tradable"]][:3]
        fixed.loc[rows, ["volume", "amount"]] *= 1.5
        write_vendor_dir(vendor, fixed, market)
        defs = build_definitions(settings)
        materialise(defs, instance, ["raw_bars"], partition_key=FIX_MONTH)
        repo = defs.get_repository_def()
        repo.get_sensor_def("unsynced_partitions_sensor").evaluate_tick(
            dg.build_sensor_context(instance=instance, repository_def=repo)
        )
        record = instance.get_latest_asset_check_evaluation_record(
            dg.AssetCheckKey(dg.AssetKey("factor_table"), UNSYNCED_CHECK)
        )
        unsynced = record.event.dagster_event.event_specific_data.metadata["unsynced_partitions"].value
    return vendor, home, int(unsynced)


def text_of(dom: str) -> str:
    """The page's visible text, whitespace collapsed."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


_PARTITION_CONFIG = """
query PartitionConfig($repo: RepositorySelector!, $job: String!) {
  partitionSetsOrError(repositorySelector: $repo, pipelineName: $job) {
    ... on PartitionSets { results { partitionsOrError(limit: 1) {
      ... on Partitions { results { name runConfigOrError { ... on PartitionRunConfig { yaml } } } } } } }
  }
}
"""


def partition_run_config(client, job: str) -> str:
    """YAML run config of the job's first partition, as the launchpad loads it."""
    data = client.execute(
        _PARTITION_CONFIG, {"repo": {"repositoryName": "__repository__", "repositoryLocationName": "alpha"}, "job": job}
    )
    part = data["partitionSetsOrError"]["results"][0]["partitionsOrError"]["results"][0]
    return part["runConfigOrError"]["yaml"]


def render(url: str, tmp_path: Path, artifacts_dir: Path, name: str) -> str:
    """The page's DOM after the app's GraphQL round trips; a screenshot of it under artifacts/."""
    dom = run_chromium(["--dump-dom", url], tmp_path / f"chromium-dom-{name}").stdout.decode(errors="replace")
    shot = artifacts_dir / f"operator_{name}.png"
    run_chromium([f"--screenshot={shot}", url], tmp_path / f"chromium-shot-{name}")
    assert png_size(shot.read_bytes())[0] > 0
    return dom


def test_operator_views_render_in_headless_chromium(tmp_path: Path, artifacts_dir: Path):
    root = tmp_path / "project"
    root.mkdir()
    vendor, home, unsynced = build_operator_state(root)
    # factor_table month m reads raw_bars m-24..m: June 2019 and every month after it (to 2019-12).
    assert unsynced == 7
    stack = DagsterStack(
        root,
        locations=(CodeLocation("alpha", module="alpha_dagster.definitions"),),
        env_overrides={"ALPHA_DATA": str(vendor), "ALPHA_FOLDS": "quick"},
        alpha_home_dir=".alpha_home",
        dagster_home_dir=".alpha_home/dagster",
    )
    try:
        stack.start(ready_timeout_s=600.0)
        base = stack.url
        checks = text_of(
            render(
                f"{base}/assets/factor_table?view=checks&checkDetail={UNSYNCED_CHECK}",
                tmp_path,
                artifacts_dir,
                "unsynced_check",
            )
        )
        assert f"{UNSYNCED_CHECK} Failed" in checks, checks[:2000]
        assert f"unsynced_partitions {unsynced}" in checks, "the unsynced count is not on the check's page"

        report = render(
            f"{base}/assets/backtest_report?view=partitions&partition={STRATEGY}",
            tmp_path,
            artifacts_dir,
            "backtest_report_chart",
        )
        # the cumulative excess line, drawn in the partition's metadata table (no click)
        assert re.search(r'<img[^>]+src="data:image/svg\+xml;utf8,', report), "no inline chart on the partition"

        launchpad = text_of(
            render(
                f"{base}/locations/alpha/jobs/train_folds_quick/playground", tmp_path, artifacts_dir, "launchpad_preset"
            )
        )
        assert "alpha/preset: quick" in launchpad and "alpha/stage: training" in launchpad, launchpad[:2000]
        # what the launchpad's editor loads once a partition is picked (and what a backfill runs with)
        assert "preset: QUICK" in partition_run_config(stack.client, "train_folds_quick")
    finally:
        stack.stop()
