"""Issue 16 case 7: two runs of one partition are serialised by Dagster's run queue.

Every instance profile (the repo's dagster.yaml, deploy/*.yaml) limits runs tagged with the same
``dagster/partition`` value to one at a time (``applyLimitPerUniqueValue``). The test builds the
instance from each profile and asks Dagster's own queue accounting (the counter the
QueuedRunCoordinator daemon uses to dequeue) whether a second run may start.
"""

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.config import dagster_instance_config
from dagster._utils.tags import TagConcurrencyLimitsCounter

REPO = Path(__file__).resolve().parents[2]
PG_ENV = {
    "DAGSTER_PG_HOST": "db",
    "DAGSTER_PG_PORT": "6543",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
    "ALPHA_IMAGE": "registry/alpha-gnn:1",
    "ALPHA_K8S_NAMESPACE": "alpha",
}


@dg.asset(partitions_def=dg.MonthlyPartitionsDefinition(start_date="2018-01-01", end_date="2018-06-01"))
def month_asset() -> int:
    return 1


def _limits(profile: Path, home: Path) -> list[dict]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(profile, home / "dagster.yaml")
    config, _ = dagster_instance_config(str(home))
    return list(config["concurrency"]["runs"]["tag_concurrency_limits"])


def _run(instance: dg.DagsterInstance, partition: str) -> dg.DagsterRun:
    job = dg.Definitions(assets=[month_asset]).resolve_implicit_global_asset_job_def()
    return instance.create_run_for_job(job, tags={"dagster/partition": partition})


@pytest.mark.parametrize("profile", ["dagster.yaml", "deploy/dagster-postgres.yaml", "deploy/dagster-k8s.yaml"])
def test_second_run_of_a_partition_waits_for_the_first(profile, tmp_path, monkeypatch):
    for k, v in PG_ENV.items():
        monkeypatch.setenv(k, v)
    limits = _limits(REPO / profile, tmp_path / "home")  # the profile's run-queue limits
    with dg.instance_for_test() as instance:
        first, same, other = _run(instance, "2018-02-01"), _run(instance, "2018-02-01"), _run(instance, "2018-03-01")
        queue = TagConcurrencyLimitsCounter(limits, in_progress_tagged_items=[])
        assert not queue.is_blocked(first)
        queue.update_counters_with_launched_item(first)  # the daemon launched the first run
        assert queue.is_blocked(same)  # the second run of 2018-02 stays queued
        assert not queue.is_blocked(other)  # another month runs alongside

        # once the first run is in progress (e.g. after a daemon restart), the second is still held
        queue = TagConcurrencyLimitsCounter(limits, in_progress_tagged_items=[first])
        assert queue.is_blocked(same) and not queue.is_blocked(other)


def test_repo_instance_uses_the_run_queue(tmp_path):
    """The limits only bind runs that go through the queue (UI, backfills, schedules, sensors)."""
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    finally:
        instance.dispose()
