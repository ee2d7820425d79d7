"""A small client for the Dagster webserver's GraphQL API: what the UI calls to backfill.

Used by the end-to-end tests (tests/e2e/) and as a command line for scripted backfills::

    python -m alpha_dagster.lib.graphql_client --url http://127.0.0.1:3000 \\
        backfill model_checkpoint "2018-01-02|gat_residual" "2018-07-02|gat_residual" --wait 3600

The mutations and queries are the ones the Dagster UI sends (``launchPartitionBackfill`` with
``partitionNames`` + ``assetSelection``, ``partitionBackfillOrError``, ``assetOrError``), so a
backfill launched here is indistinguishable from one launched by clicking "Materialize selected"
on the asset's partitions page. Needs only the standard library (no dagster import): it runs
anywhere that can reach the webserver.

Asset keys are given as ``"raw_bars"`` or ``"prefix/name"`` (slash-separated path) or a
sequence of path parts. Multi-partition keys use Dagster's string form ``"fold|model"``
(dimension values joined by ``|`` in the alphabetical order of the dimension names).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

AssetKeyLike = str | Sequence[str]

TERMINAL_BACKFILL_STATUSES = frozenset({"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"})
SUCCESS_BACKFILL_STATUSES = frozenset({"COMPLETED", "COMPLETED_SUCCESS"})


class DagsterGraphQLError(RuntimeError):
    """The webserver answered with GraphQL errors or an error member of a result union."""


class DagsterGraphQLTimeout(TimeoutError):
    """A bounded wait (server readiness, backfill completion) ran out."""


def asset_path(key: AssetKeyLike) -> list[str]:
    """``"a/b"`` or ``["a", "b"]`` -> ``["a", "b"]`` (the GraphQL ``AssetKeyInput.path``)."""
    if isinstance(key, str):
        return [p for p in key.split("/") if p]
    return [str(p) for p in key]


@dataclass(frozen=True)
class AssetBackfillCounts:
    """Per-asset partition counts of an asset backfill (``AssetPartitionsStatusCounts``)."""

    asset: str
    targeted: int
    in_progress: int
    materialized: int
    failed: int


@dataclass(frozen=True)
class BackfillStatus:
    """Snapshot of a backfill: its ``BulkActionStatus`` and per-asset counts."""

    backfill_id: str
    status: str
    num_partitions: int | None
    assets: tuple[AssetBackfillCounts, ...] = field(default_factory=tuple)
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_BACKFILL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS_BACKFILL_STATUSES and all(a.failed == 0 for a in self.assets)


_WORKSPACE = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

_PARTITION_KEYS = """
query PartitionKeys($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode { isPartitioned partitionKeys }
    ... on AssetNotFoundError { message }
  }
}
"""

_LAUNCH_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId launchedRunIds }
    ... on PartitionKeysNotFoundError { message partitionKeys }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

_BACKFILL_STATUS = """
query BackfillStatus($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill {
      id
      status
      numPartitions
      error { message stack }
      assetBackfillData {
        assetBackfillStatuses {
          __typename
          ... on AssetPartitionsStatusCounts {
            assetKey { path }
            numPartitionsTargeted
            numPartitionsInProgress
            numPartitionsMaterialized
            numPartitionsFailed
          }
          ... on UnpartitionedAssetStatus {
            assetKey { path }
            inProgress
            materialized
            failed
          }
        }
      }
    }
    ... on BackfillNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

_MATERIALIZATIONS = """
query Materializations($assetKey: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $assetKey) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: $partitions) { partition runId timestamp }
    }
    ... on AssetNotFoundError { message }
  }
}
"""

_RUNS = """
query Runs($filter: RunsFilter, $limit: Int) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs { results { runId jobName status tags { key value } } }
    ... on PythonError { message }
  }
}
"""

_DEPENDENCIES = """
query Dependencies($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode { dependencyKeys { path } }
    ... on AssetNotFoundError { message }
  }
}
"""

_DAEMON_HEALTH = """
query DaemonHealth {
  instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } }
}
"""


class DagsterGraphQLClient:
    """Talks to ``<url>/graphql`` of a running ``dagster-webserver`` (or ``dagster dev``)."""

    def __init__(self, url: str, *, request_timeout_s: float = 60.0):
        self.url = url.rstrip("/")
        self.request_timeout_s = request_timeout_s

    # ------------------------------------------------------------------ transport
    def execute(self, query: str, variables: Mapping[str, object] | None = None) -> dict:
        """POST one GraphQL document; returns ``data``. Raises DagsterGraphQLError on ``errors``."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        req = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.request_timeout_s) as resp:
                payload = json.loads(resp.read())
        except urllib.error.HTTPError as exc:  # the webserver answers 400 with a JSON error body
            detail = exc.read().decode(errors="replace")[:2000]
            raise DagsterGraphQLError(f"HTTP {exc.code} from {self.url}/graphql: {detail}") from exc
        if payload.get("errors"):
            raise DagsterGraphQLError(json.dumps(payload["errors"])[:4000])
        return payload["data"]

    # ------------------------------------------------------------------ readiness
    def code_locations(self) -> dict[str, tuple[str, str | None]]:
        """Code location name -> (loadStatus, load error message or None)."""
        ws = self.execute(_WORKSPACE)["workspaceOrError"]
        if ws["__typename"] != "Workspace":
            raise DagsterGraphQLError(f"workspace: {ws.get('message')}")
        out = {}
        for entry in ws["locationEntries"]:
            loc = entry.get("locationOrLoadError") or {}
            err = loc.get("message") if loc.get("__typename") == "PythonError" else None
            out[entry["name"]] = (entry["loadStatus"], err)
        return out

    def wait_until_ready(self, timeout_s: float, *, poll_s: float = 1.0, alive=None) -> dict[str, str]:
        """Block until the webserver answers and every code location has finished loading.

        ``alive`` (optional callable) is polled too, so a server process that died fails fast.
        Returns the code locations that failed to load (name -> error); empty when all loaded.
        Raises DagsterGraphQLTimeout after ``timeout_s`` seconds.
        """
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            if alive is not None:
                alive()
            try:
                locs = self.code_locations()
                if locs and all(status == "LOADED" for status, _ in locs.values()):
                    return {name: err for name, (_, err) in locs.items() if err}
                last = locs
            except (OSError, DagsterGraphQLError) as exc:  # not listening yet / still starting
                last = exc
            time.sleep(poll_s)
        raise DagsterGraphQLTimeout(f"{self.url} not ready after {timeout_s:.0f}s (last: {last!r})")

    def daemon_health(self) -> dict[str, bool]:
        """Daemon type -> healthy, for the daemons the instance requires."""
        statuses = self.execute(_DAEMON_HEALTH)["instance"]["daemonHealth"]["allDaemonStatuses"]
        return {s["daemonType"]: bool(s["healthy"]) for s in statuses if s["required"]}

    # ------------------------------------------------------------------ assets
    def partition_keys(self, asset_key: AssetKeyLike) -> list[str]:
        """All partition keys of a partitioned asset (multi-partition keys as ``"a|b"``)."""
        node = self.execute(_PARTITION_KEYS, {"assetKey": {"path": asset_path(asset_key)}})["assetNodeOrError"]
        if node["__typename"] != "AssetNode":
            raise DagsterGraphQLError(f"asset {asset_key!r}: {node.get('message')}")
        if not node["isPartitioned"]:
            raise DagsterGraphQLError(f"asset {asset_key!r} is not partitioned")
        return list(node["partitionKeys"])

    def dependencies(self, asset_key: AssetKeyLike) -> list[str]:
        """Direct upstream asset keys of an asset (``"a/b"`` spelling)."""
        node = self.execute(_DEPENDENCIES, {"assetKey": {"path": asset_path(asset_key)}})["assetNodeOrError"]
        if node["__typename"] != "AssetNode":
            raise DagsterGraphQLError(f"asset {asset_key!r}: {node.get('message')}")
        return ["/".join(d["path"]) for d in node["dependencyKeys"]]

    def ancestors(self, asset_key: AssetKeyLike) -> list[str]:
        """Every asset upstream of ``asset_key`` (transitively), sorted; not the asset itself."""
        seen: set[str] = set()
        frontier = [asset_key]
        while frontier:
            for dep in self.dependencies(frontier.pop()):
                if dep not in seen:
                    seen.add(dep)
                    frontier.append(dep)
        return sorted(seen)

    def materializations(self, asset_key: AssetKeyLike, partitions: Sequence[str] | None = None) -> list[dict]:
        """Materialization events of an asset (newest first): dicts with ``partition``, ``runId``, ``timestamp``."""
        variables = {
            "assetKey": {"path": asset_path(asset_key)},
            "partitions": list(partitions) if partitions else None,
        }
        node = self.execute(_MATERIALIZATIONS, variables)["assetOrError"]
        if node["__typename"] != "Asset":
            return []  # never materialised: the asset has no event history yet
        return list(node["assetMaterializations"])

    def materialized_partitions(self, asset_key: AssetKeyLike, partitions: Sequence[str]) -> dict[str, str]:
        """Partition -> run id of its latest materialization, for those of ``partitions`` that have one."""
        out: dict[str, str] = {}
        for event in self.materializations(asset_key, partitions):
            out.setdefault(event["partition"], event["runId"])
        return out

    # ------------------------------------------------------------------ runs
    def runs(self, job_name: str | None = None, tags: Mapping[str, str] | None = None, limit: int = 100) -> list[dict]:
        """Runs of the instance, newest first (at most ``limit``), optionally of one job and with
        these tags: dicts with ``runId``, ``jobName``, ``status`` and ``tags`` (a key -> value dict)."""
        filt: dict[str, object] = {}
        if job_name:
            filt["pipelineName"] = job_name
        if tags:
            filt["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        out = self.execute(_RUNS, {"filter": filt, "limit": limit})["runsOrError"]
        if out["__typename"] != "Runs":
            raise DagsterGraphQLError(f"runs: {out.get('message')}")
        return [{**r, "tags": {t["key"]: t["value"] for t in r["tags"]}} for r in out["results"]]

    # ------------------------------------------------------------------ backfills
    def launch_partition_backfill(
        self,
        asset_keys: Sequence[AssetKeyLike],
        partition_names: Sequence[str] | None,
        *,
        tags: Mapping[str, str] | None = None,
        title: str | None = None,
    ) -> str:
        """Launch an asset backfill of ``partition_names`` for ``asset_keys``; returns the backfill id.

        Exactly the UI's call: ``launchPartitionBackfill(backfillParams: {partitionNames,
        assetSelection, fromFailure: false, tags})``. The daemon then plans and launches the runs
        (one run per partition, or one per range for single-run backfill policies), upstream
        assets of the selection before their dependents. ``partition_names=None`` backfills
        every partition of every selected asset (``allPartitions: true``; the assets may have
        different partitions definitions, e.g. monthly factors and fold x model checkpoints).
        """
        params: dict[str, object] = {
            "assetSelection": [{"path": asset_path(k)} for k in asset_keys],
            "fromFailure": False,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        if partition_names is None:
            params["allPartitions"] = True
        else:
            params["partitionNames"] = list(partition_names)
        if title:
            params["title"] = title
        result = self.execute(_LAUNCH_BACKFILL, {"backfillParams": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise DagsterGraphQLError(f"launchPartitionBackfill -> {result['__typename']}: {result.get('message')}")
        log.info(
            "launched backfill %s: %s x %s partitions",
            result["backfillId"],
            params["assetSelection"],
            "all" if partition_names is None else len(partition_names),
        )
        return result["backfillId"]

    def backfill_status(self, backfill_id: str) -> BackfillStatus:
        node = self.execute(_BACKFILL_STATUS, {"backfillId": backfill_id})["partitionBackfillOrError"]
        if node["__typename"] != "PartitionBackfill":
            raise DagsterGraphQLError(f"backfill {backfill_id}: {node.get('message')}")
        counts = []
        for s in (node.get("assetBackfillData") or {}).get("assetBackfillStatuses", []):
            name = "/".join(s["assetKey"]["path"])
            if s["__typename"] == "AssetPartitionsStatusCounts":
                counts.append(
                    AssetBackfillCounts(
                        name,
                        s["numPartitionsTargeted"],
                        s["numPartitionsInProgress"],
                        s["numPartitionsMaterialized"],
                        s["numPartitionsFailed"],
                    )
                )
            else:
                counts.append(
                    AssetBackfillCounts(name, 1, int(s["inProgress"]), int(s["materialized"]), int(s["failed"]))
                )
        error = node.get("error")
        return BackfillStatus(
            backfill_id=node["id"],
            status=node["status"],
            num_partitions=node.get("numPartitions"),
            assets=tuple(counts),
            error=(error["message"] + "\n" + "".join(error.get("stack") or [])) if error else None,
        )

    def wait_for_backfill(
        self,
        backfill_id: str,
        timeout_s: float,
        *,
        poll_s: float = 2.0,
        alive=None,
        stall_s: float | None = None,
        progress: Callable[[], object] | None = None,
    ) -> BackfillStatus:
        """Poll until the backfill reaches a terminal status; returns the final snapshot.

        Two budgets: ``timeout_s`` caps the whole wait; ``stall_s`` (optional) caps the time
        without progress, where progress is a change of the backfill's snapshot (status, counts)
        or of ``progress()`` (e.g. the instance's newest event id). A loaded machine is slow but
        keeps making progress, so it is not mistaken for a stuck backfill.

        Raises DagsterGraphQLTimeout (with the last snapshot) when either budget is spent.
        """
        start = last_change = time.monotonic()
        status = self.backfill_status(backfill_id)
        seen = (status, progress() if progress is not None else None)
        while not status.done:
            now = time.monotonic()
            if now - start > timeout_s:
                raise DagsterGraphQLTimeout(f"backfill {backfill_id} not done after {timeout_s:.0f}s: {status}")
            if stall_s is not None and now - last_change > stall_s:
                raise DagsterGraphQLTimeout(
                    f"backfill {backfill_id}: no progress for {stall_s:.0f}s (after {now - start:.0f}s): {status}"
                )
            if alive is not None:
                alive()
            time.sleep(poll_s)
            status = self.backfill_status(backfill_id)
            now_seen = (status, progress() if progress is not None else None)
            if now_seen != seen:
                seen, last_change = now_seen, time.monotonic()
            log.debug("backfill %s: %s", backfill_id, status)
        return status


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``backfill ASSET (PARTITION... | --all) [--with-ancestors] [--wait SECONDS]``
    and ``partitions ASSET``; exit status 1 when an awaited backfill did not succeed."""
    parser = argparse.ArgumentParser(
        prog="python -m alpha_dagster.lib.graphql_client", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="webserver base URL")
    sub = parser.add_subparsers(dest="cmd", required=True)
    bf = sub.add_parser("backfill", help="launch a partition backfill of one asset")
    bf.add_argument("asset", help="asset key, e.g. model_checkpoint")
    bf.add_argument("partitions", nargs="*", help="partition keys (multi-partitions as 'fold|model')")
    bf.add_argument("--all", action="store_true", help="every partition (instead of listing them)")
    bf.add_argument(
        "--with-ancestors",
        action="store_true",
        help="also every upstream asset (all their partitions) in a first backfill, awaited",
    )
    bf.add_argument("--wait", type=float, default=0.0, help="poll until done, at most this many seconds")
    pk = sub.add_parser("partitions", help="list an asset's partition keys")
    pk.add_argument("asset")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    client = DagsterGraphQLClient(args.url)
    if args.cmd == "partitions":
        sys.stdout.write("\n".join(client.partition_keys(args.asset)) + "\n")
        return 0
    if bool(args.partitions) == args.all:
        parser.error("give partition keys or --all (not both)")
    if args.with_ancestors:
        upstream = client.ancestors(args.asset)
        if upstream:
            first = client.launch_partition_backfill(upstream, None)
            sys.stdout.write(f"upstream backfill {first} ({len(upstream)} assets): {args.url}/runs/b/{first}\n")
            status = client.wait_for_backfill(first, args.wait or 86400.0)
            if not status.succeeded:
                sys.stdout.write(f"upstream backfill {status.status}: {list(status.assets)}\n")
                return 1
    backfill_id = client.launch_partition_backfill([args.asset], None if args.all else args.partitions)
    sys.stdout.write(f"backfill {backfill_id}: {args.url}/runs/b/{backfill_id}\n")
    if args.wait > 0:
        status = client.wait_for_backfill(backfill_id, args.wait)
        sys.stdout.write(f"{status.status}: {list(status.assets)}\n")
        return 0 if status.succeeded else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
