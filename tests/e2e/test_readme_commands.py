"""The README's shell commands, typed in a clean shell at a project root, land in that project's
store and run history, and the webserver finds their runs.

A temporary project root gets its ``.env`` from the Makefile's own rule (``make -C ROOT -f
Makefile .env``: ``ALPHA_HOME=${ALPHA_HOME:-ROOT/.alpha_home}``, ``DAGSTER_HOME=${ALPHA_HOME}/dagster``).
The lineage the rebalance needs (bars, factors, graphs, one ``gat_residual`` fold on the 2-year
synthetic market) is materialised in-process into that instance. Then, with ``ALPHA_HOME`` and
``DAGSTER_HOME`` removed from the environment and the root as working directory, the documented
commands run as a user types them:

- README "Weekly rebalance": ``dg launch -m alpha_dagster.definitions --job weekly_rebalance --partition M``
- docs/operations.md "Rerun after a data fix": ``dg launch -m alpha_dagster.definitions --assets raw_bars --partition M``

Without the ``.env`` both would run on a throwaway temporary instance (Dagster's behaviour when
``DAGSTER_HOME`` is unset) and the webserver would never see them: the failure the issue reports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from dotenv import dotenv_values
from e2e_stack import BIN, REPO, CodeLocation, DagsterStack, executable

from alpha_core.settings import Settings
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

MONTH = "2019-12-01"
DATA = "synthetic:small"


def _project_root(root: Path) -> tuple[Path, Path]:
    """Write ROOT/.env with the Makefile's rule; create DAGSTER_HOME with the repo's dagster.yaml."""
    env = {k: v for k, v in os.environ.items() if k not in ("ALPHA_HOME", "DAGSTER_HOME")}
    subprocess.run(
        ["make", "-s", "-C", str(root), "-f", str(REPO / "Makefile"), ".env"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    parsed = dotenv_values(root / ".env")  # what Dagster's CLI and load_project_env read
    alpha_home, dagster_home = Path(parsed["ALPHA_HOME"]), Path(parsed["DAGSTER_HOME"])
    assert alpha_home == root / ".alpha_home" and dagster_home == alpha_home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    return alpha_home, dagster_home


def _upstream(alpha_home: Path, dagster_home: Path) -> None:
    """Bars, factors, graphs and one gat_residual fold, into the project's instance (in-process)."""
    defs = build_definitions(Settings(data=DATA, home=alpha_home))
    assets = list(defs.assets)
    months = defs.resolve_assets_def("raw_bars").partitions_def.get_partition_keys()
    whole = {RANGE_START_TAG: months[0], RANGE_END_TAG: months[-1]}
    fold = (
        defs.resolve_assets_def("model_checkpoint")
        .partitions_def.get_partitions_def_for_dimension("fold")
        .get_partition_keys()[-1]
    )
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for selection, tags in (
            (["raw_bars", "index_weights", "consensus", "instruments", "industry_map", "fundamentals"], whole),
            (["universe", "factor_table", "labels"], whole),
            (["macro_raw", "adjacency", "macro_series"], {}),
        ):
            assert dg.materialize(
                assets, selection=selection, tags=tags, instance=instance, resources=defs.resources
            ).success
        assert dg.materialize(
            assets,
            selection=["model_checkpoint"],
            instance=instance,
            resources=defs.resources,
            partition_key=dg.MultiPartitionKey({"fold": fold, "model": "gat_residual"}),
            run_config={"ops": {"model_checkpoint": {"config": {"max_epochs": 2}}}},
        ).success


def _clean_shell(root: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """``argv`` at ROOT with neither ALPHA_HOME nor DAGSTER_HOME in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("ALPHA_HOME", "DAGSTER_HOME")}
    env.update(ALPHA_DATA=DATA, OMP_NUM_THREADS="1", DAGSTER_DISABLE_TELEMETRY="1")
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=900)


def test_readme_commands_from_a_clean_shell_land_in_the_project_instance(tmp_path: Path, monkeypatch):
    # a clean shell: `make test` itself exports ALPHA_HOME / DAGSTER_HOME, and .env defers to them
    monkeypatch.delenv("ALPHA_HOME", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    root = tmp_path / "project"
    root.mkdir()
    alpha_home, dagster_home = _project_root(root)
    _upstream(alpha_home, dagster_home)

    dg_cli = str(BIN / "dg") if (BIN / "dg").exists() else executable("dg")
    commands = {
        "weekly_rebalance": [
            dg_cli,
            "launch",
            "-m",
            "alpha_dagster.definitions",
            "--job",
            "weekly_rebalance",
            "--partition",
            MONTH,
        ],
        "raw_bars": [dg_cli, "launch", "-m", "alpha_dagster.definitions", "--assets", "raw_bars", "--partition", MONTH],
    }
    for name, argv in commands.items():
        done = _clean_shell(root, argv)
        assert done.returncode == 0, f"{name}: {' '.join(argv)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        output = done.stdout + done.stderr
        assert "Warning" not in output, f"{name}: the CLI printed warnings:\n{output[-3000:]}"  # quiet CLI
        assert not list(root.glob(".tmp_dagster_home_*")), "the CLI used a temporary instance"
    # The rebalance wrote its ticket into the project's store.
    assert len(ParquetStore(alpha_home).read("target_orders", [MONTH])) > 0

    stack = DagsterStack(
        root,
        locations=(CodeLocation("alpha", module="alpha_dagster.definitions"),),
        env_overrides={"ALPHA_DATA": DATA},
        alpha_home_dir=".alpha_home",
        dagster_home_dir=".alpha_home/dagster",
    )
    try:
        stack.start(ready_timeout_s=600.0)
        runs = stack.client.runs(tags={"dagster/partition": MONTH})
        by_job = {}
        for run in runs:
            by_job.setdefault(run["jobName"], []).append(run)
        rebalance = by_job.get("weekly_rebalance", [])
        assert [r["status"] for r in rebalance] == ["SUCCESS"], runs
        materialise = by_job.get("__ASSET_JOB", [])
        assert [r["status"] for r in materialise] == ["SUCCESS"], runs
    finally:
        stack.stop()
