"""Staleness at a glance: per asset, how many partitions are unsynced.

After a data fix, the partition bars of the UI stay green while dozens of partitions are
Unsynced (visible only on one partition's page). This module puts the count where users look
first: a non-blocking WARN check ``partitions_in_sync`` on every partitioned asset, shown in the
Catalog's checks column and on the asset's page, with the count and the first stale keys in its
metadata and the command that rematerialises exactly those.

One computation (:func:`alpha_dagster.lib.staleness.stale_by_asset`, over the lineage each
materialisation records: :mod:`alpha_dagster.lib.lineage`), two ways it runs:

- the sensor ``unsynced_partitions_sensor`` (running by default, every 5 minutes): when any
  tracked asset has a new materialisation since its last evaluation, it recounts and reports the
  check's result for every tracked asset as a runless evaluation (no run in the history);
  otherwise it skips at the cost of one query per asset;
- inside a run that materialises an asset (Dagster runs an asset's checks with it: the UI's
  Materialize, backfills, jobs), or executed alone (asset page -> Checks -> Execute), it recounts
  the selected assets (one query per asset read, shared by all of them).
"""

import json
from collections.abc import Sequence

import dagster as dg

from alpha_dagster.lib.staleness import stale_by_asset

UNSYNCED_CHECK = "partitions_in_sync"
SHOW_KEYS = 10
STALENESS_CLI = "python -m alpha_dagster.lib.staleness"


def _evaluation_metadata(asset: str, keys: list[str]) -> dict:
    return {
        "unsynced_partitions": len(keys),
        "first_unsynced": dg.MetadataValue.json(keys[:SHOW_KEYS]),
        "unsynced_keys": dg.MetadataValue.json(keys),
        "rematerialise": dg.MetadataValue.md(
            f"`{STALENESS_CLI} {asset} --backfill` (or without `{asset}`: all "
            "assets), run from the project root with the UI up"
        ),
    }


def build_unsynced_checks(assets: Sequence[dg.AssetsDefinition]) -> dg.AssetChecksDefinition:
    """One multi-asset check: ``partitions_in_sync`` on each partitioned asset of ``assets``
    (the project's whole asset list: the recount needs the full graph)."""
    project = [a for a in assets if isinstance(a, dg.AssetsDefinition)]
    tracked = partitioned_keys(assets)
    specs = [
        dg.AssetCheckSpec(
            UNSYNCED_CHECK,
            asset=a,
            blocking=False,
            description="No partition is unsynced (an input it read has changed since); WARN only. "
            "Recounted by unsynced_partitions_sensor after new materialisations.",
        )
        for a in tracked
    ]

    @dg.multi_asset_check(specs=specs, name="unsynced_partitions", can_subset=True)
    def unsynced_partitions(context: dg.AssetCheckExecutionContext):
        keys = list(context.selected_asset_check_keys)
        stale = stale_by_asset(context.instance, project, [k.asset_key for k in keys])
        for asset, unsynced in stale.items():
            yield dg.AssetCheckResult(
                asset_key=asset,
                check_name=UNSYNCED_CHECK,
                passed=not unsynced,
                severity=dg.AssetCheckSeverity.WARN,
                metadata=_evaluation_metadata(asset, unsynced),
            )

    return unsynced_partitions


def partitioned_keys(assets: Sequence[dg.AssetsDefinition]) -> list[str]:
    """User strings of the partitioned assets' keys (the ones the check tracks)."""
    return [k.to_user_string() for a in assets if a.partitions_def is not None for k in a.keys]


def _latest_materialization_ids(instance: dg.DagsterInstance, assets: Sequence[str]) -> dict[str, int]:
    """Asset -> storage id of its latest materialisation (0: never materialised)."""
    out = {}
    for a in assets:
        records = instance.fetch_materializations(dg.AssetKey.from_user_string(a), limit=1).records
        out[a] = int(records[0].storage_id) if records else 0
    return out


def build_unsynced_sensor(
    assets: Sequence[dg.AssetsDefinition], minimum_interval_seconds: int = 300
) -> dg.SensorDefinition:
    """The sensor that keeps ``partitions_in_sync`` current (see the module docstring); ``assets``:
    the project's assets (it tracks the partitioned ones).

    Cursor: JSON ``{asset: storage id of its latest materialisation}`` at the last evaluation."""
    project = [a for a in assets if isinstance(a, dg.AssetsDefinition)]
    tracked = partitioned_keys(project)

    @dg.sensor(
        name="unsynced_partitions_sensor",
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After new materialisations, counts each partitioned asset's unsynced partitions and "
        f"reports them as the {UNSYNCED_CHECK} check (runless; no run is launched).",
    )
    def unsynced_partitions_sensor(context: dg.SensorEvaluationContext):
        seen = _latest_materialization_ids(context.instance, tracked)
        if context.cursor and json.loads(context.cursor) == seen:
            return dg.SkipReason("no new materialisation since the last count")
        stale = stale_by_asset(context.instance, project, tracked)
        for asset, keys in stale.items():
            context.instance.report_runless_asset_event(
                dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey.from_user_string(asset),
                    check_name=UNSYNCED_CHECK,
                    passed=not keys,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata=_evaluation_metadata(asset, keys),
                )
            )
        context.update_cursor(json.dumps(seen, sort_keys=True))
        total = sum(len(k) for k in stale.values())
        return dg.SkipReason(
            f"{total} unsynced partitions in {sum(bool(k) for k in stale.values())} assets; reported as check results"
        )

    return unsynced_partitions_sensor
