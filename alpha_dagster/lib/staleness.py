"""Which partitions are stale after an upstream correction (what the UI shows as "Unsynced").

Data versions: every table asset returns a content-hash data version (see
``alpha_dagster.defs.assets.data.versioned``), and Dagster records the data versions of the
inputs each materialisation read. A partition is stale when an input it read now has a
different data version, i.e. exactly the partitions whose partition mappings reach a
corrected partition.

Command line (from the project root; ``.env`` gives the instance)::

    python -m alpha_dagster.lib.staleness                       # count and list per asset
    python -m alpha_dagster.lib.staleness factor_table labels   # those assets only
    python -m alpha_dagster.lib.staleness --backfill [--url http://127.0.0.1:3000]
        # one backfill per asset of exactly its stale partitions, through the webserver
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

log = logging.getLogger(__name__)


def asset_graph_of(defs: dg.Definitions) -> AssetGraph:
    return AssetGraph.from_assets(list(defs.assets or []))


def _partition_keys(graph: AssetGraph, key: dg.AssetKey) -> list[str | None]:
    pdef = graph.get(key).partitions_def
    return list(pdef.get_partition_keys()) if pdef is not None else [None]


def stale_by_asset(instance: dg.DagsterInstance, graph: AssetGraph,
                   assets: Sequence[str | dg.AssetKey]) -> dict[str, list[str]]:
    """Asset (user string) -> its STALE partition keys (``[]`` for none; an unpartitioned asset
    lists ``"(unpartitioned)"`` when stale). One resolver for all: shared upstream lookups are cached."""
    resolver = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    out: dict[str, list[str]] = {}
    for asset in assets:
        key = dg.AssetKey.from_coercible(asset)
        out[key.to_user_string()] = [
            str(pk) if pk is not None else "(unpartitioned)"
            for pk in _partition_keys(graph, key) if resolver.get_status(key, pk) == StaleStatus.STALE
        ]
    return out


def stale_partitions(
    instance: dg.DagsterInstance, defs: dg.Definitions, asset: str, partition_keys: Sequence[str] | None = None
) -> list[str]:
    """Partition keys of ``asset`` whose status is STALE (all its partitions when none are given)."""
    graph = asset_graph_of(defs)
    if partition_keys is None:
        return stale_by_asset(instance, graph, [asset])[dg.AssetKey(asset).to_user_string()]
    resolver = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    key = dg.AssetKey(asset)
    return [pk for pk in partition_keys if resolver.get_status(key, pk) == StaleStatus.STALE]


def summary_lines(stale: Mapping[str, list[str]], show: int = 5) -> list[str]:
    """One line per asset: ``factor_table: 20 unsynced (2019-03-01, 2019-04-01, ... +15)``."""
    lines = []
    for asset, keys in stale.items():
        more = f", ... +{len(keys) - show}" if len(keys) > show else ""
        lines.append(f"{asset}: {len(keys)} unsynced" + (f" ({', '.join(keys[:show])}{more})" if keys else ""))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    from alpha_core.settings import Settings
    from alpha_dagster.definitions import build_definitions
    from alpha_dagster.lib.graphql_client import DagsterGraphQLClient
    from alpha_dagster.lib.project_env import load_project_env

    parser = argparse.ArgumentParser(prog="python -m alpha_dagster.lib.staleness", description=__doc__.split("\n")[0])
    parser.add_argument("assets", nargs="*", help="asset keys (default: every asset)")
    parser.add_argument("--backfill", action="store_true", help="backfill exactly the stale partitions, per asset")
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="webserver base URL (for --backfill)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # not the storage layer's INFO chatter
    load_project_env()
    defs = build_definitions(Settings.from_env())
    graph = asset_graph_of(defs)
    assets = args.assets or [k.to_user_string() for k in sorted(graph.materializable_asset_keys)]
    with dg.DagsterInstance.get() as instance:
        stale = stale_by_asset(instance, graph, assets)
    sys.stdout.write("\n".join(summary_lines(stale)) + "\n")
    if args.backfill:
        client = DagsterGraphQLClient(args.url)
        for asset, keys in stale.items():
            if keys and keys != ["(unpartitioned)"]:
                backfill = client.launch_partition_backfill([asset], keys)
                sys.stdout.write(f"{asset}: backfill {backfill} of {len(keys)} partitions: {args.url}/runs/b/{backfill}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
