"""The GraphQL client against a scripted fake endpoint (fast; no Dagster server).

Checks what is sent (the UI's mutation and variables) and how answers are read (status
snapshots, error unions, HTTP errors, bounded waits). The real server is exercised by
test_backfill_graphql.py.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alpha_dagster.lib.graphql_client import (
    DagsterGraphQLClient,
    DagsterGraphQLError,
    DagsterGraphQLTimeout,
    asset_path,
)


class FakeGraphQL:
    """Answers POST /graphql from a list of canned responses (the last one repeats) or from a
    function of the request body; records the requests."""

    def __init__(self, answers):
        self.answer_fn = answers if callable(answers) else None
        self.answers = [] if callable(answers) else list(answers)
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if fake.answer_fn is not None:
                    status, payload = fake.answer_fn(body)
                else:
                    status, payload = fake.answers.pop(0) if len(fake.answers) > 1 else fake.answers[0]
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return DagsterGraphQLClient(f"http://127.0.0.1:{self.server.server_address[1]}/", request_timeout_s=5)

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _backfill(status, materialized, failed=0, in_progress=0):
    return (
        200,
        {
            "data": {
                "partitionBackfillOrError": {
                    "__typename": "PartitionBackfill",
                    "id": "bf1",
                    "status": status,
                    "numPartitions": 2,
                    "error": None,
                    "assetBackfillData": {
                        "assetBackfillStatuses": [
                            {
                                "__typename": "AssetPartitionsStatusCounts",
                                "assetKey": {"path": ["model_checkpoint"]},
                                "numPartitionsTargeted": 2,
                                "numPartitionsInProgress": in_progress,
                                "numPartitionsMaterialized": materialized,
                                "numPartitionsFailed": failed,
                            }
                        ]
                    },
                }
            }
        },
    )


def test_asset_path_spellings():
    assert asset_path("raw_bars") == ["raw_bars"]
    assert asset_path("a/b") == ["a", "b"]
    assert asset_path(("a", "b")) == ["a", "b"]


def test_launch_variables_partition_names_vs_all_partitions():
    ok = (
        200,
        {
            "data": {
                "launchPartitionBackfill": {
                    "__typename": "LaunchBackfillSuccess",
                    "backfillId": "x",
                    "launchedRunIds": [],
                }
            }
        },
    )
    fake = FakeGraphQL([ok])
    with fake as client:
        client.launch_partition_backfill(["model_checkpoint"], ["f1|m", "f2|m"], tags={"team": "alpha"})
        client.launch_partition_backfill(["raw_bars", "factor_table"], None)
    first, second = (r["variables"]["backfillParams"] for r in fake.requests)
    assert "launchPartitionBackfill(backfillParams: $backfillParams)" in fake.requests[0]["query"]
    assert first == {
        "assetSelection": [{"path": ["model_checkpoint"]}],
        "fromFailure": False,
        "tags": [{"key": "team", "value": "alpha"}],
        "partitionNames": ["f1|m", "f2|m"],
    }
    assert second["allPartitions"] is True and "partitionNames" not in second
    assert second["assetSelection"] == [{"path": ["raw_bars"]}, {"path": ["factor_table"]}]


def test_launch_error_union_and_graphql_errors_raise():
    missing = (
        200,
        {
            "data": {
                "launchPartitionBackfill": {
                    "__typename": "PartitionKeysNotFoundError",
                    "message": "Partition keys ['x'] not found",
                    "partitionKeys": ["x"],
                }
            }
        },
    )
    with FakeGraphQL([missing]) as client, pytest.raises(DagsterGraphQLError, match="PartitionKeysNotFoundError"):
        client.launch_partition_backfill(["raw_bars"], ["x"])
    errors = (200, {"errors": [{"message": "Unknown argument"}], "data": None})
    with FakeGraphQL([errors]) as client, pytest.raises(DagsterGraphQLError, match="Unknown argument"):
        client.backfill_status("bf1")
    http400 = (400, {"errors": [{"message": "Syntax Error"}]})
    with FakeGraphQL([http400]) as client, pytest.raises(DagsterGraphQLError, match="HTTP 400.*Syntax Error"):
        client.execute("{")


def test_wait_for_backfill_polls_until_terminal_and_reports_counts():
    answers = [
        _backfill("REQUESTED", 0, in_progress=2),
        _backfill("REQUESTED", 1, in_progress=1),
        _backfill("COMPLETED_SUCCESS", 2),
    ]
    fake = FakeGraphQL(answers)
    with fake as client:
        status = client.wait_for_backfill("bf1", timeout_s=30, poll_s=0.01)
    assert len(fake.requests) == 3
    assert status.done and status.succeeded
    assert status.assets[0].asset == "model_checkpoint" and status.assets[0].materialized == 2


def test_failed_partition_is_not_success_and_timeout_is_bounded():
    with FakeGraphQL([_backfill("COMPLETED_FAILED", 1, failed=1)]) as client:
        status = client.wait_for_backfill("bf1", timeout_s=30, poll_s=0.01)
    assert status.done and not status.succeeded
    with FakeGraphQL([_backfill("REQUESTED", 0, in_progress=2)]) as client, pytest.raises(DagsterGraphQLTimeout):
        client.wait_for_backfill("bf1", timeout_s=0.2, poll_s=0.05)


def test_materialized_partitions_keeps_latest_run_per_partition():
    events = (
        200,
        {
            "data": {
                "assetOrError": {
                    "__typename": "Asset",
                    "assetMaterializations": [
                        {"partition": "2020-02-01", "runId": "new", "timestamp": "3"},
                        {"partition": "2020-01-01", "runId": "r1", "timestamp": "2"},
                        {"partition": "2020-02-01", "runId": "old", "timestamp": "1"},
                    ],
                }
            }
        },
    )
    fake = FakeGraphQL([events])
    with fake as client:
        got = client.materialized_partitions("raw_bars", ["2020-01-01", "2020-02-01"])
    assert got == {"2020-02-01": "new", "2020-01-01": "r1"}
    assert fake.requests[0]["variables"]["partitions"] == ["2020-01-01", "2020-02-01"]


def test_ancestors_walks_dependency_keys_transitively():
    graph = {
        "model_checkpoint": ["factor_table", "labels"],
        "factor_table": ["raw_bars"],
        "labels": ["raw_bars"],
        "raw_bars": [],
    }

    def answer(body):
        name = body["variables"]["assetKey"]["path"][0]
        return (
            200,
            {
                "data": {
                    "assetNodeOrError": {
                        "__typename": "AssetNode",
                        "dependencyKeys": [{"path": [d]} for d in graph[name]],
                    }
                }
            },
        )

    fake = FakeGraphQL(answer)
    with fake as client:
        assert client.ancestors("model_checkpoint") == ["factor_table", "labels", "raw_bars"]
    asked = sorted(r["variables"]["assetKey"]["path"][0] for r in fake.requests)
    assert asked == ["factor_table", "labels", "model_checkpoint", "raw_bars"]  # each node asked once


def test_command_line_backfill_waits_and_sets_exit_status(capsys):
    from alpha_dagster.lib.graphql_client import main

    launched = (
        200,
        {
            "data": {
                "launchPartitionBackfill": {
                    "__typename": "LaunchBackfillSuccess",
                    "backfillId": "bf1",
                    "launchedRunIds": [],
                }
            }
        },
    )
    for final, code in [(_backfill("COMPLETED_SUCCESS", 2), 0), (_backfill("COMPLETED_FAILED", 1, failed=1), 1)]:
        fake = FakeGraphQL([launched, final])
        with fake as client:
            rc = main(["--url", client.url, "backfill", "model_checkpoint", "f1|m", "f2|m", "--wait", "10"])
        assert rc == code
        assert fake.requests[0]["variables"]["backfillParams"]["partitionNames"] == ["f1|m", "f2|m"]
    assert "/runs/b/bf1" in capsys.readouterr().out


def test_wait_budget_counts_time_without_progress_not_wall_time():
    """Issue 16 case 10: on a loaded machine a backfill is slow but makes progress; the stall
    budget restarts on every change (snapshot or progress()), the overall cap still holds."""
    events = iter(range(10_000))  # a new Dagster event per poll: always progressing
    with FakeGraphQL([_backfill("REQUESTED", 0, in_progress=2)] * 12 + [_backfill("COMPLETED_SUCCESS", 2)]) as client:
        status = client.wait_for_backfill(
            "bf1", timeout_s=30, poll_s=0.02, stall_s=0.1, progress=lambda: next(events)
        )  # 12 polls x 0.02 s > stall_s
    assert status.succeeded
    with (
        FakeGraphQL([_backfill("REQUESTED", 0, in_progress=2)]) as client,
        pytest.raises(DagsterGraphQLTimeout, match="no progress"),
    ):
        client.wait_for_backfill("bf1", timeout_s=30, poll_s=0.02, stall_s=0.2, progress=lambda: 7)  # stuck
    with (
        FakeGraphQL([_backfill("REQUESTED", 0, in_progress=2)]) as client,
        pytest.raises(DagsterGraphQLTimeout, match="not done after"),
    ):
        client.wait_for_backfill("bf1", timeout_s=0.3, poll_s=0.02, stall_s=30, progress=lambda: next(events))
