"""Staleness at a glance: per asset, how many partitions are unsynced.

After a data fix, the partition bars of the UI stay green while dozens of partitions are
Unsynced (visible only on one partition's page). This module puts the count where users look
first: a non-blocking WARN check ``partitions_in_sync`` on every partitioned asset, shown in the
Catalog's checks column and on the asset's page, with the count and the first stale keys in its
metadata and the command that rematerialises exactly those.

Two ways it is evaluated, one computation (:func:`alpha_dagster.lib.staleness.stale_by_asset`):

- the sensor ``unsynced_partitions_sensor`` (running by default, every 5 minutes): when any
  tracked asset has a new materialisation since its last evaluation, it reports the check's
  result for every tracked asset as a runless evaluation (no run in the history); otherwise it
  skips at the cost of one query per asset;
- on demand: the check is executable (asset page -> Checks -> Execute), as one multi-asset check.
"""


import json
from collections.abc import Sequence

import dagster as dg

from alpha_dagster.lib.staleness import stale_by_asset

UNSYNCED_CHECK = "partitions_in_sync"
SHOW_KEYS = 10
FIX_COMMAND = "python -m alpha_dagster.lib.staleness --backfill"


def _evaluation_metadata(asset: str, keys: list[str]) -> dict:
    return {
        "unsynced_partitions": len(keys),
        "first_unsynced": dg.MetadataValue.json(keys[:SHOW_KEYS]),
        "rematerialise": dg.MetadataValue.md(f"`{FIX_COMMAND}` (all assets) or `{FIX_COMMAND.replace('--backfill', asset)} "
                                             "--backfill`, run from the project root with the UI up"),
    }


def build_unsynced_checks(assets: Sequence[str]) -> dg.AssetChecksDefinition:
    """One executable multi-asset check: ``partitions_in_sync`` on each of ``assets``."""
    specs = [dg.AssetCheckSpec(UNSYNCED_CHECK, asset=a, blocking=False,
                               description="No partition is unsynced (an input it read has changed since); WARN only. "
                               "Evaluated by unsynced_partitions_sensor after new materialisations.")
             for a in assets]

    @dg.multi_asset_check(specs=specs, name="unsynced_partitions", can_subset=True)
    def unsynced_partitions(context: dg.AssetCheckExecutionContext):
        wanted = [k.asset_key.to_user_string() for k in context.selected_asset_check_keys]
        stale = stale_by_asset(context.instance, context.repository_def.asset_graph, wanted)
        for asset, keys in stale.items():
            yield dg.AssetCheckResult(asset_key=asset, check_name=UNSYNCED_CHECK, passed=not keys,
                                      severity=dg.AssetCheckSeverity.WARN, metadata=_evaluation_metadata(asset, keys))

    return unsynced_partitions


def _latest_materialization_ids(instance: dg.DagsterInstance, assets: Sequence[str]) -> dict[str, int]:
    """Asset -> storage id of its latest materialisation (0: never materialised)."""
    out = {}
    for a in assets:
        records = instance.fetch_materializations(dg.AssetKey.from_user_string(a), limit=1).records
        out[a] = int(records[0].storage_id) if records else 0
    return out


def build_unsynced_sensor(assets: Sequence[str], minimum_interval_seconds: int = 300) -> dg.SensorDefinition:
    """The sensor that keeps ``partitions_in_sync`` current (see the module docstring).

    Cursor: JSON ``{asset: storage id of its latest materialisation}`` at the last evaluation."""

    @dg.sensor(name="unsynced_partitions_sensor", minimum_interval_seconds=minimum_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="After new materialisations, counts each partitioned asset's unsynced partitions and "
               f"reports them as the {UNSYNCED_CHECK} check (runless; no run is launched).")
    def unsynced_partitions_sensor(context: dg.SensorEvaluationContext):
        seen = _latest_materialization_ids(context.instance, assets)
        if context.cursor and json.loads(context.cursor) == seen:
            return dg.SkipReason("no new materialisation since the last count")
        stale = stale_by_asset(context.instance, context.repository_def.asset_graph, assets)
        for asset, keys in stale.items():
            context.instance.report_runless_asset_event(dg.AssetCheckEvaluation(
                asset_key=dg.AssetKey.from_user_string(asset), check_name=UNSYNCED_CHECK, passed=not keys,
                severity=dg.AssetCheckSeverity.WARN, metadata=_evaluation_metadata(asset, keys)))
        context.update_cursor(json.dumps(seen, sort_keys=True))
        total = sum(len(k) for k in stale.values())
        return dg.SkipReason(f"{total} unsynced partitions in {sum(bool(k) for k in stale.values())} assets; "
                             "reported as check results")

    return unsynced_partitions_sensor
