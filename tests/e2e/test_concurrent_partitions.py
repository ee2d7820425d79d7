"""Parallel partition runs do not corrupt the Parquet store or the DuckDB catalog.

Five runs of one job start at the same moment (``dagster job execute``, as the run launcher
would start them during a fold backfill), one per partition p0..p3 plus a second run of p0
(two writers of the same file). Each run uses the multiprocess executor, so its two sibling
assets are written by two step processes at once, through the project's ParquetIOManager
(atomic file replace + catalog view creation under a file lock). Afterwards every file reads,
holds exactly the frame its partition should hold, no temporary file is left behind, and the
catalog views count all rows.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PARTITIONS = ["p0", "p1", "p2", "p3"]
ROWS = 20_000
ASSETS = {"conc_panel": 0, "conc_other": 1}  # asset -> salt of its deterministic frame

DEFS = f"""
import os

import dagster as dg
import numpy as np
import pandas as pd

from alpha_dagster.lib.io_manager import ParquetIOManager

PARTS = dg.StaticPartitionsDefinition({PARTITIONS!r})
ROWS = {ROWS}


def frame(key, salt):
    rng = np.random.default_rng(int(key[1:]) * 10 + salt)
    return pd.DataFrame({{
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(ROWS) // 100, unit="D"),
        "code": np.array([f"SH{{600000 + i:06d}}" for i in range(100)])[np.arange(ROWS) % 100],
        "partition": key,
        "value": rng.standard_normal(ROWS),
    }})


@dg.asset(partitions_def=PARTS)
def conc_panel(context):
    return frame(context.partition_key, 0)


@dg.asset(partitions_def=PARTS)
def conc_other(context):
    return frame(context.partition_key, 1)


concurrent_partitions = dg.define_asset_job(
    "concurrent_partitions",
    selection=[conc_panel, conc_other],
    partitions_def=PARTS,
    executor_def=dg.multiprocess_executor.configured({{"max_concurrent": 2}}),
)

defs = dg.Definitions(
    assets=[conc_panel, conc_other],
    jobs=[concurrent_partitions],
    resources={{"io_manager": ParquetIOManager(home=os.environ["ALPHA_HOME"])}},
)
"""


def expected_frame(key: str, salt: int) -> pd.DataFrame:
    """The frame a partition must hold (same recipe as DEFS, written out again)."""
    rng = np.random.default_rng(int(key[1:]) * 10 + salt)
    idx = np.arange(ROWS)
    codes = np.array([f"SH{600000 + i:06d}" for i in range(100)])
    return pd.DataFrame(
        {
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(idx // 100, unit="D"),
            "code": codes[idx % 100],
            "partition": key,
            "value": rng.standard_normal(ROWS),
        }
    )


def test_concurrent_partition_runs_keep_store_and_catalog_consistent(tmp_path: Path):
    defs_file = tmp_path / "concurrent_defs.py"
    defs_file.write_text(DEFS)
    dagster_home, alpha_home = tmp_path / "dagster_home", tmp_path / "alpha_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # Create the SQLite storage once, so the five runs do not race on creating its schema.
    dg.DagsterInstance.from_config(str(dagster_home)).dispose()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "ALPHA_HOME": str(alpha_home),
        "OMP_NUM_THREADS": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    dagster_cli = str(Path(sys.executable).parent / "dagster")

    procs = []
    for i, key in enumerate([*PARTITIONS, "p0"]):
        log = open(tmp_path / f"run{i}_{key}.log", "wb")  # noqa: SIM115 - closed below
        procs.append(
            (
                key,
                log,
                subprocess.Popen(
                    [
                        dagster_cli,
                        "job",
                        "execute",
                        "-f",
                        str(defs_file),
                        "-j",
                        "concurrent_partitions",
                        "--tags",
                        json.dumps({"dagster/partition": key}),
                    ],
                    cwd=tmp_path,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                ),
            )
        )
    failures = []
    try:
        for key, log, proc in procs:
            rc = proc.wait(timeout=240)
            log.close()
            if rc != 0:
                failures.append(f"run {key} exited {rc}:\n{Path(log.name).read_text()[-3000:]}")
    finally:
        for _, log, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    assert not failures, "\n".join(failures)

    store = ParquetStore(alpha_home)
    for asset, salt in ASSETS.items():
        assert store.partitions(asset) == PARTITIONS
        for key in PARTITIONS:
            got = pq.read_table(store.path(asset, key)).to_pandas()
            pd.testing.assert_frame_equal(got, expected_frame(key, salt), check_dtype=False)
    assert not [p for p in alpha_home.rglob("*") if ".tmp-" in p.name], "temporary files left behind"

    catalog = Catalog(alpha_home)
    for asset in ASSETS:
        counts = catalog.query(f"SELECT partition, count(*) AS n FROM {asset} GROUP BY 1 ORDER BY 1")
        assert counts["partition"].tolist() == PARTITIONS
        assert counts["n"].tolist() == [ROWS] * len(PARTITIONS)

    # The runs did overlap: some step of one run started before a step of another run ended.
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        runs = instance.get_runs()
        assert len(runs) == 5 and all(r.is_success for r in runs)
        spans = []
        for run in runs:
            records = instance.all_logs(run.run_id)
            start = min(
                r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value == "STEP_START"
            )
            end = max(
                r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value == "STEP_SUCCESS"
            )
            spans.append((start, end))
    finally:
        instance.dispose()
    spans.sort()
    ends_so_far = np.maximum.accumulate([end for _, end in spans])
    assert any(spans[i + 1][0] < ends_so_far[i] for i in range(len(spans) - 1)), f"runs did not overlap: {spans}"
