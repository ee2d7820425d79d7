"""Progress lines reach the run's event log: a raw_bars range run (one line for the partitions
written) and a factor_table run (the factors computed), on the small synthetic market."""

import re

import dagster as dg

from alpha_core.settings import Settings
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG


def _log_lines(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    """The user log messages (``context.log``) of the run, in order."""
    return [e.user_message for e in instance.all_logs(result.run_id) if e.dagster_event is None]


def test_range_write_and_factor_table_log_progress(tmp_path):
    defs = build_definitions(Settings(data="synthetic:small", home=tmp_path))
    assets = list(defs.assets)
    instance = dg.DagsterInstance.ephemeral()
    months = {RANGE_START_TAG: "2018-01-01", RANGE_END_TAG: "2018-06-01"}
    upstream = dg.materialize(
        assets,
        selection=["raw_bars", "consensus", "fundamentals", "industry_map", "instruments"],
        tags=months,
        instance=instance,
        resources=defs.resources,
    )
    assert upstream.success
    lines = _log_lines(instance, upstream)
    for table in ("raw_bars", "consensus"):
        assert any(re.fullmatch(rf"{table}: partition 6/6 done in \d+:\d\d", line) for line in lines), table

    features = dg.materialize(
        assets, selection=["factor_table"], partition_key="2018-06-01", instance=instance, resources=defs.resources
    )
    assert features.success
    done = [line for line in _log_lines(instance, features) if "factor_table 2018-06-01..2018-06-30: factor " in line]
    n = features.asset_materializations_for_node("factor_table")[0].metadata["n_factors"].value
    assert len(done) == 1 and re.fullmatch(
        rf"factor_table 2018-06-01\.\.2018-06-30: factor {n}/{n} done in \d+:\d\d", done[0]
    )
