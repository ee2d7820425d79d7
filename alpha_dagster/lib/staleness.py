"""Which partitions are stale after an upstream correction or a code change.

The rules are :mod:`alpha_dagster.lib.lineage`'s: a materialised partition is stale when its
asset's code version changed, when a partition it read (recorded at materialisation) now has
other content, or when a partition it read is itself stale. For month -> month dependencies
this is what the UI's "Unsynced" shows; for ``model_checkpoint`` it is exact where the UI cannot
be (a fold reads the months of its windows, which no built-in partition mapping expresses), and
the ``partitions_in_sync`` check carries it to the UI.

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
from typing import Any

import dagster as dg

from alpha_dagster.lib.lineage import UNPARTITIONED, LineageResolver, assets_of

log = logging.getLogger(__name__)


def stale_by_asset(
    instance: dg.DagsterInstance, assets: Sequence[dg.AssetsDefinition], names: Sequence[str | dg.AssetKey]
) -> dict[str, list[str]]:
    """Asset (user string) -> its STALE partition keys (``[]`` for none; an unpartitioned asset
    lists ``"(unpartitioned)"`` when stale). ``assets``: the project's assets. One resolver for
    all: shared upstream lookups are read once (:class:`~alpha_dagster.lib.lineage.LineageResolver`)."""
    resolver = LineageResolver(instance, assets)
    out: dict[str, list[str]] = {}
    for name in names:
        key = dg.AssetKey.from_coercible(name) if not isinstance(name, str) else dg.AssetKey.from_user_string(name)
        out[key.to_user_string()] = resolver.stale(key)
    return out


def stale_partitions(
    instance: dg.DagsterInstance, defs: dg.Definitions | Any, asset: str, partition_keys: Sequence[str] | None = None
) -> list[str]:
    """Partition keys of ``asset`` that are stale (all its partitions when none are given).
    ``defs``: a Definitions, or ``alpha_dagster.definitions.defs`` itself."""
    resolver = LineageResolver(instance, assets_of(defs))
    return resolver.stale(dg.AssetKey.from_user_string(asset), partition_keys)


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
    project = assets_of(build_definitions(Settings.from_env()))
    assets = args.assets or sorted(k.to_user_string() for a in project for k in a.keys)
    with dg.DagsterInstance.get() as instance:
        stale = stale_by_asset(instance, project, assets)
    sys.stdout.write("\n".join(summary_lines(stale)) + "\n")
    if args.backfill:
        client = DagsterGraphQLClient(args.url)
        for asset, keys in stale.items():
            if keys and keys != [UNPARTITIONED]:
                backfill = client.launch_partition_backfill([asset], keys)
                sys.stdout.write(
                    f"{asset}: backfill {backfill} of {len(keys)} partitions: {args.url}/runs/b/{backfill}\n"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
