"""Backfill by partition through the webserver's GraphQL API, exactly as the UI does it.

A real ``dagster-webserver`` + ``dagster-daemon`` (fixture ``dagster_stack``) on a temporary
DAGSTER_HOME; ``launchPartitionBackfill(partitionNames, assetSelection)`` per target; the daemon
plans and launches the runs; we poll ``partitionBackfillOrError`` until a terminal status and
check each partition's materialization in GraphQL, in the instance's event log and (project
target) in the Parquet store. Both targets' backfills are launched before either is awaited, so
they share the daemon's 30 s backfill tick.

Budgets survive a loaded machine (``make test`` beside CPU-bound jobs): a wait fails after
BACKFILL_STALL_S without a new Dagster event of the backfill's runs (or a change of its status),
and only after BACKFILL_CAP_S overall; slow progress is still progress.
"""

from __future__ import annotations

import dagster as dg
import pytest
from e2e_stack import PROJECT_TARGET, TOY_TARGET, BackfillTarget

from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

TARGETS = [TOY_TARGET, PROJECT_TARGET]
BACKFILL_STALL_S = 420.0  # no event and no status change for this long: stuck
BACKFILL_CAP_S = 3600.0  # overall cap, only for a backfill that keeps emitting events forever


@pytest.fixture(scope="module")
def instance(dagster_stack):
    inst = dg.DagsterInstance.from_config(str(dagster_stack.dagster_home))
    yield inst
    inst.dispose()


def _events_of(instance: dg.DagsterInstance, backfill_id: str):
    """Progress marker of a backfill: its runs, their statuses and event counts."""

    def progress() -> tuple:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        return tuple(sorted((r.run_id, r.status.value, len(instance.all_logs(r.run_id))) for r in runs))

    return progress


def _wait(dagster_stack, instance, backfill_id: str):
    return dagster_stack.client.wait_for_backfill(
        backfill_id,
        BACKFILL_CAP_S,
        poll_s=3.0,
        alive=dagster_stack.check_alive,
        stall_s=BACKFILL_STALL_S,
        progress=_events_of(instance, backfill_id),
    )


@pytest.fixture(scope="module")
def launched(dagster_stack, instance) -> dict[str, tuple[str | None, list[str], str | None]]:
    """target id -> (backfill id, partitions, setup error: code location not loaded / upstream failed)."""
    client = dagster_stack.client
    locations = client.code_locations()
    out: dict[str, tuple[str | None, list[str], str | None]] = {}
    for target in TARGETS:
        _, load_error = locations.get(target.location, ("MISSING", f"no code location {target.location!r}"))
        if load_error:
            out[target.id] = (None, [], load_error)
            continue
        upstream = target.upstream_assets(client)
        if upstream:
            upstream_id = client.launch_partition_backfill(upstream, None, tags={"alpha/e2e": f"{target.id}-upstream"})
            status = _wait(dagster_stack, instance, upstream_id)
            if not status.succeeded:
                out[target.id] = (None, [], f"upstream backfill of {upstream}: {status}\n{dagster_stack.logs()}")
                continue
        partitions = target.partitions(client)
        backfill_id = client.launch_partition_backfill(
            [target.asset_key], partitions, tags={"alpha/e2e": target.id}, title=f"e2e {target.id}"
        )
        out[target.id] = (backfill_id, partitions, None)
    return out


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.id)
def test_graphql_backfill_materialises_each_partition(dagster_stack, instance, launched, target: BackfillTarget):
    backfill_id, partitions, setup_error = launched[target.id]
    assert setup_error is None, f"target {target.id} ({target.location}/{target.asset_key}):\n{setup_error}"
    assert len(partitions) == 2 and len(set(partitions)) == 2, partitions
    client = dagster_stack.client

    status = _wait(dagster_stack, instance, backfill_id)
    assert status.succeeded, f"{status}\n{dagster_stack.logs()}"
    counts = {c.asset: c for c in status.assets}
    assert counts[target.asset_key].targeted == 2
    assert counts[target.asset_key].materialized == 2
    assert counts[target.asset_key].failed == 0

    # What the UI's partition page shows: one materialization per backfilled partition.
    by_partition = client.materialized_partitions(target.asset_key, partitions)
    assert sorted(by_partition) == sorted(partitions)
    # Only the requested partitions: the backfill did not spill over to others.
    all_events = client.materializations(target.asset_key)
    assert {e["partition"] for e in all_events} == set(partitions)

    # The instance's event log (what the daemon and run workers wrote) agrees.
    materialised = instance.get_materialized_partitions(dg.AssetKey(target.asset_key.split("/")))
    assert set(partitions) <= set(materialised)

    if target is PROJECT_TARGET:
        _assert_stored(dagster_stack.alpha_home, target.asset_key.split("/")[-1], partitions)


def _assert_stored(home, table: str, partitions: list[str]) -> None:
    """The runs wrote through ParquetIOManager into the stack's ALPHA_HOME."""
    store = ParquetStore(home)
    stored = store.partitions(table)
    assert stored, f"nothing stored for {table} under {home}"
    if any("|" in p for p in partitions):
        # fold|model -> fold=<fold>/model=<model> (files or checkpoint directories)
        for p in partitions:
            fold, model = p.split("|")
            assert (store.table_dir(table) / f"fold={fold}").exists(), (p, stored)
        return
    assert set(partitions) <= set(stored), (partitions, stored)
    rows = sum(len(store.read(table, [p])) for p in partitions)
    assert rows > 0
    n = Catalog(home).query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0]
    assert n == sum(len(store.read(table, [p])) for p in stored)
