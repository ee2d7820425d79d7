"""Which partitions are stale after an upstream correction (what the UI shows as "Stale").

Data versions: every table asset returns a content-hash data version (see
``alpha_dagster.defs.assets.data.versioned``), and Dagster records the data versions of the
inputs each materialisation read. A partition is stale when an input it read now has a
different data version, i.e. exactly the partitions whose partition mappings reach a
corrected partition.
"""

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest


def stale_partitions(
    instance: dg.DagsterInstance, defs: dg.Definitions, asset: str, partition_keys: Sequence[str] | None = None
) -> list[str]:
    """Partition keys of ``asset`` whose status is STALE (all its partitions when none are given)."""
    assets = list(defs.assets or [])
    graph = AssetGraph.from_assets(assets)
    resolver = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
    key = dg.AssetKey(asset)
    if partition_keys is None:
        pdef = defs.resolve_assets_def(asset).partitions_def
        partition_keys = pdef.get_partition_keys() if pdef is not None else [None]
    return [
        pk for pk in partition_keys
        if resolver.get_status(key, pk) == StaleStatus.STALE
    ]
