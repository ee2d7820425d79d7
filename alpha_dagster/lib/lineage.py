"""Partition-level lineage: what each materialisation read, and which partitions are stale.

Every asset of this project records, on each partition's materialisation, the content version of
every upstream partition it read (metadata :data:`READS`: ``{upstream asset: {partition: version}}``,
``"(unpartitioned)"`` for an unpartitioned upstream, ``null`` for a mapped partition that did not
exist yet). A partition's *version* is a function of its stored content only: the digest of its
rows (metadata ``partition_digests`` of time-partitioned assets, else the ``dagster/data_version``
tag, itself a content digest: ``alpha_dagster.defs.assets.data.versioned``), so a range run and a
one-partition run of the same rows give a partition the same version.

What a partition read is, by default, what its declared partition mappings map it to (month ->
the lookback months for ``factor_table``, ...); an asset that reads a precise subset itself names
it (``model_checkpoint``: the months of its fold's train, valid and test windows plus the
sequence history, :func:`alpha_core.training.run.read_window`; ``target_orders``: the one
checkpoint it scores with, its history window, its previous month, the graph / macro tables only
when its model reads them). Their declared mappings are at least as wide as what they read
(``model_checkpoint``: every month), which orders backfills; Dagster's built-in partition
mappings cannot map a trading-day fold to its months, and custom mappings are dropped from the
asset graph the webserver and daemon see.

A materialised partition is **stale** when (a) the code version of its asset differs from the one
it was computed with, or (b) a partition it read now has another version (a mapped partition
that was missing now exists), or (c) a partition it read is itself stale. Never-materialised
partitions are missing, not stale. Everything here goes through Dagster's public instance API
(``DagsterInstance.fetch_materializations``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

READS = "alpha/reads"  # metadata: {upstream asset: {partition key | "(unpartitioned)": version | None}}
DIGESTS = "partition_digests"  # metadata of time-partitioned assets: partition key -> digest of its rows
DATA_VERSION_TAG = "dagster/data_version"
CODE_VERSION_TAG = "dagster/code_version"
UNPARTITIONED = "(unpartitioned)"
_PAGE = 1000


@dataclass(frozen=True)
class Materialisation:
    """The latest materialisation of one partition: what the resolver needs of it."""

    storage_id: int
    version: str | None  # the content version downstream partitions compare
    dagster_version: str | None  # the run's ``dagster/data_version`` tag (one per range run)
    code_version: str | None
    reads: Mapping[str, Mapping[str, str | None]] | None  # None: recorded before reads were kept


def _json(metadata: Mapping[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return None if entry is None else getattr(entry, "value", entry)


class LatestMaterialisations:
    """Per asset, the latest materialisation of each partition (one paged query per asset, cached
    for the life of this object: build one per resolution)."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self._instance = instance
        self._by_asset: dict[dg.AssetKey, dict[str, Materialisation]] = {}

    def of(self, key: dg.AssetKey) -> dict[str, Materialisation]:
        if key not in self._by_asset:
            latest: dict[str, Materialisation] = {}
            cursor = None
            while True:  # newest first: the first record of a partition is its latest
                result = self._instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=key), limit=_PAGE, cursor=cursor
                )
                for record in result.records:
                    event = record.asset_materialization
                    if event is None:
                        continue
                    partition = event.partition or UNPARTITIONED
                    if partition in latest:
                        continue
                    digests = _json(event.metadata, DIGESTS)
                    version = dict(digests).get(partition) if digests else None
                    tags = event.tags or {}
                    latest[partition] = Materialisation(
                        storage_id=int(record.storage_id),
                        version=version or tags.get(DATA_VERSION_TAG),
                        dagster_version=tags.get(DATA_VERSION_TAG),
                        code_version=tags.get(CODE_VERSION_TAG),
                        reads=_json(event.metadata, READS),
                    )
                if not result.has_more:
                    break
                cursor = result.cursor
            self._by_asset[key] = latest
        return self._by_asset[key]

    def version(self, key: dg.AssetKey, partition: str) -> str | None:
        m = self.of(key).get(partition)
        return None if m is None else m.version


def mapped_partitions(
    assets_def: dg.AssetsDefinition,
    upstream: dg.AssetKey,
    upstream_def: dg.PartitionsDefinition | None,
    partition: str | None,
) -> list[str]:
    """The partitions of ``upstream`` that ``partition`` of ``assets_def`` reads under its declared
    mapping (``[UNPARTITIONED]`` for an unpartitioned upstream). Undeclared mappings follow
    Dagster's defaults for this project's shapes: identity for equal definitions, the dimension of a
    multi-partitioned downstream that equals the upstream, else every upstream partition."""
    if upstream_def is None:
        return [UNPARTITIONED]
    down_def = assets_def.partitions_def
    if down_def is None or partition is None:
        return list(upstream_def.get_partition_keys())
    mapping = assets_def.get_partition_mapping(upstream)
    if mapping is None:
        if down_def == upstream_def:
            return [partition]
        is_dimension = isinstance(down_def, dg.MultiPartitionsDefinition) and any(
            dim.partitions_def == upstream_def for dim in down_def.partitions_defs
        )
        mapping = dg.MultiToSingleDimensionPartitionMapping() if is_dimension else dg.AllPartitionMapping()
    result = mapping.get_upstream_mapped_partitions_result_for_partitions(
        down_def.subset_with_partition_keys([partition]), down_def, upstream_def
    )
    return sorted(result.partitions_subset.get_partition_keys())


def _upstream_def(context: dg.AssetExecutionContext, input_name: str) -> dg.PartitionsDefinition | None:
    try:
        return context.asset_partitions_def_for_input(input_name)
    except dg.DagsterInvariantViolationError:  # unpartitioned upstream
        return None


def record_reads(context: dg.AssetExecutionContext, explicit: Mapping[str, Iterable[str]] | None = None) -> None:
    """Attach :data:`READS` to each partition's materialisation of the asset being computed.

    ``explicit``: upstream asset -> the partitions this run actually read (every partition of the
    run read them: one-partition assets such as ``model_checkpoint``); other upstream assets take
    their declared mapping, partition by partition."""
    explicit = {
        dg.AssetKey.from_user_string(k) if isinstance(k, str) else k: sorted(v) for k, v in (explicit or {}).items()
    }
    latest = LatestMaterialisations(context.instance)
    assets_def = context.assets_def
    partitions: list[str | None] = list(context.partition_keys) if assets_def.partitions_def is not None else [None]
    per_partition: dict[str | None, dict[str, dict[str, str | None]]] = {p: {} for p in partitions}
    for input_name, upstream in assets_def.keys_by_input_name.items():
        upstream_def = _upstream_def(context, input_name)
        for p in partitions:
            keys = (
                explicit[upstream] if upstream in explicit else mapped_partitions(assets_def, upstream, upstream_def, p)
            )
            per_partition[p][upstream.to_user_string()] = {q: latest.version(upstream, q) for q in keys}
    for p, reads in per_partition.items():
        value = dg.MetadataValue.json(reads)
        if p is None:
            context.add_output_metadata({READS: value})
        else:
            context.add_asset_metadata({READS: value}, partition_key=p)


class LineageResolver:
    """Stale status of materialised partitions (module docstring: rules (a)-(c)).

    ``assets``: the project's assets (the current code versions and partition keys come from
    them). One resolver per question: materialisations are read once and cached."""

    def __init__(self, instance: dg.DagsterInstance, assets: Sequence[dg.AssetsDefinition]) -> None:
        self._latest = LatestMaterialisations(instance)
        self._assets = {key: a for a in assets for key in a.keys}
        self._code_versions = {spec.key: spec.code_version for a in assets for spec in a.specs}
        self._memo: dict[tuple[dg.AssetKey, str], bool] = {}

    def code_version(self, key: dg.AssetKey) -> str | None:
        return self._code_versions.get(key)

    def partition_keys(self, key: dg.AssetKey) -> list[str]:
        pdef = self._assets[key].partitions_def
        return list(pdef.get_partition_keys()) if pdef is not None else [UNPARTITIONED]

    def is_stale(self, key: dg.AssetKey, partition: str) -> bool:
        """True for a materialised partition that must be recomputed; False when fresh or missing."""
        memo_key = (key, partition)
        if memo_key not in self._memo:
            self._memo[memo_key] = False  # a cycle (an asset reading its own past) cannot make itself stale
            self._memo[memo_key] = self._stale(key, partition)
        return self._memo[memo_key]

    def _stale(self, key: dg.AssetKey, partition: str) -> bool:
        m = self._latest.of(key).get(partition)
        if m is None:
            return False
        current = self.code_version(key)
        if current is not None and m.code_version != current:
            return True
        for upstream, versions in (m.reads or {}).items():
            up = dg.AssetKey.from_user_string(upstream)
            for q, version in versions.items():
                if self._latest.version(up, q) != version:
                    return True
                if version is not None and self.is_stale(up, q):
                    return True
        return False

    def stale(self, key: dg.AssetKey, partitions: Iterable[str] | None = None) -> list[str]:
        keys = self.partition_keys(key) if partitions is None else list(partitions)
        return [p for p in keys if self.is_stale(key, p)]


def assets_of(defs: dg.Definitions | Any) -> list[dg.AssetsDefinition]:
    """The AssetsDefinitions of ``defs``: a Definitions, or the lazy ``alpha_dagster.definitions.defs``."""
    if not isinstance(defs, dg.Definitions) and callable(defs):
        defs = defs()
    return [a for a in (defs.assets or []) if isinstance(a, dg.AssetsDefinition)]


def reads_of(instance: dg.DagsterInstance, asset: str, partition: str) -> dict[str, dict[str, str | None]]:
    """What the latest materialisation of ``asset`` / ``partition`` recorded as read ({} if none)."""
    m = LatestMaterialisations(instance).of(dg.AssetKey.from_user_string(asset)).get(partition)
    return {asset: dict(parts) for asset, parts in (m.reads or {}).items()} if m is not None else {}
