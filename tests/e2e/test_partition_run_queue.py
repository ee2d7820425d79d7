"""Issue 16 case 7, live: two runs of one partition launched at once run one after the other.

A real webserver + daemon under the repo's dagster.yaml (fixture ``dagster_stack``). Two
backfills of the same partition of a slow toy asset (4 s per run) are launched through GraphQL
within a second of each other, plus one of another partition. The run queue
(``tag_concurrency_limits`` on ``dagster/partition``, ``applyLimitPerUniqueValue``) must hold the
second run of the partition until the first has ended: their [start, end] intervals, read from
the instance's run records, do not overlap. Without the limit both runs start on the same
daemon tick and overlap by the whole sleep. The unit-level check of every instance profile is
tests/dagster/test_run_serialisation.py.
"""

from __future__ import annotations

import dagster as dg
import pytest
from e2e_stack import TOY_LOCATION

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

STALL_S = 420.0  # no run event and no status change for this long: stuck
CAP_S = 1800.0


def _run_records(instance: dg.DagsterInstance, backfill_id: str) -> list:
    return list(instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id})))


def test_two_runs_of_one_partition_do_not_overlap(dagster_stack):
    client = dagster_stack.client
    _, load_error = client.code_locations().get(TOY_LOCATION, ("MISSING", f"no code location {TOY_LOCATION!r}"))
    assert load_error is None, load_error
    instance = dg.DagsterInstance.from_config(str(dagster_stack.dagster_home))
    try:
        same = [
            client.launch_partition_backfill(["e2e_toy_slow"], ["p2"], tags={"alpha/e2e": f"queue-{i}"})
            for i in range(2)
        ]
        other = client.launch_partition_backfill(["e2e_toy_slow"], ["p3"], tags={"alpha/e2e": "queue-other"})
        for backfill_id in [*same, other]:

            def progress(bid=backfill_id) -> tuple:
                return tuple(
                    sorted((r.dagster_run.run_id, r.dagster_run.status.value) for r in _run_records(instance, bid))
                )

            status = client.wait_for_backfill(
                backfill_id, CAP_S, poll_s=2.0, alive=dagster_stack.check_alive, stall_s=STALL_S, progress=progress
            )
            assert status.succeeded, f"{status}\n{dagster_stack.logs()}"

        first, second = (_run_records(instance, bid) for bid in same)
        assert len(first) == 1 and len(second) == 1, (first, second)
        runs = sorted([first[0], second[0]], key=lambda r: r.start_time)
        for r in runs:
            assert r.dagster_run.tags.get("dagster/partition") == "p2"
            assert r.dagster_run.status == dg.DagsterRunStatus.SUCCESS
            assert r.start_time is not None and r.end_time is not None
            assert r.end_time - r.start_time >= 4.0  # the run really held the partition
        # the second run of p2 started only after the first had ended
        assert runs[1].start_time >= runs[0].end_time, (
            f"runs of partition p2 overlapped: {runs[0].start_time:.2f}-{runs[0].end_time:.2f} and "
            f"{runs[1].start_time:.2f}-{runs[1].end_time:.2f}"
        )
    finally:
        instance.dispose()
