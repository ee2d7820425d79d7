"""Rerun after a data fix: a vendor corrects one month of bars. Rerunning that raw_bars
partition marks exactly the downstream partitions that read it as stale (through the
lookback and label-lead partition mappings); after rerunning everything, the partitions
that did not read the corrected month are byte-identical."""

import dagster as dg
import pandas as pd

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.settings import Settings
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.checks.unsynced import UNSYNCED_CHECK
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
from alpha_dagster.lib.staleness import stale_partitions

MONTHS = [f"2018-{m:02d}-01" for m in range(1, 13)]
FIXED = "2018-06-01"


def _vendor_dir(path, bars: pd.DataFrame, market: SyntheticSource) -> None:
    bars.to_parquet(path / "bars.parquet", index=False)
    market.instruments().to_parquet(path / "instruments.parquet", index=False)
    market.industry_map().to_parquet(path / "industry_map.parquet", index=False)
    pd.DataFrame({"date": bars["date"].drop_duplicates()}).to_csv(path / "calendar.csv", index=False)


def _run(defs, instance, selection, *, key=None, whole=False):
    tags = {RANGE_START_TAG: MONTHS[0], RANGE_END_TAG: MONTHS[-1]} if whole else {}
    result = dg.materialize(
        list(defs.assets),
        selection=selection,
        partition_key=key,
        tags=tags,
        instance=instance,
        resources=defs.resources,
    )
    assert result.success


def _sensor_counts(defs, instance) -> dict[str, tuple[int, bool]]:
    """Evaluate unsynced_partitions_sensor once; asset -> (unsynced count, passed) of its check."""
    repo = defs.get_repository_def()
    sensor = repo.get_sensor_def("unsynced_partitions_sensor")
    ctx = dg.build_sensor_context(instance=instance, repository_def=repo)
    sensor.evaluate_tick(ctx)
    out = {}
    for asset in ("raw_bars", "factor_table", "labels"):
        record = instance.get_latest_asset_check_evaluation_record(dg.AssetCheckKey(dg.AssetKey(asset), UNSYNCED_CHECK))
        evaluation = record.event.dagster_event.event_specific_data
        out[asset] = (evaluation.metadata["unsynced_partitions"].value, evaluation.passed)
    return out


def _vendor_year(tmp_path):
    """2018 of the small synthetic market as a vendor's file export: (market, bars, vendor dir)."""
    market = SyntheticSource.from_profile("small")
    bars = market.bars(pd.Timestamp("2018-01-01"), pd.Timestamp("2018-12-31"))
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    _vendor_dir(vendor, bars, market)
    return market, bars, vendor


def test_correcting_one_month_stales_exactly_its_readers(tmp_path):
    market, bars, vendor = _vendor_year(tmp_path)
    home = tmp_path / "home"
    defs = build_definitions(Settings(data=str(vendor), home=home))
    instance = dg.DagsterInstance.ephemeral()
    _run(
        defs,
        instance,
        ["instruments", "industry_map", "fundamentals", "consensus", "index_weights", "raw_bars"],
        whole=True,
    )
    # One run per partition, as a UI backfill does: each records the input versions it read.
    for month in MONTHS:
        _run(defs, instance, ["factor_table", "labels"], key=month)
    store = ParquetStore(home)
    before = {(t, m): store.path(t, m).read_bytes() for t in ("factor_table", "labels") for m in MONTHS}
    assert stale_partitions(instance, defs, "factor_table") == []

    # The vendor corrects the volume of three stocks on 2018-06-12.
    fixed = bars.copy()
    day = (fixed["date"] == pd.Timestamp("2018-06-12")) & fixed["tradable"]
    rows = fixed.index[day][:3]
    fixed.loc[rows, ["volume", "amount"]] *= 1.5
    _vendor_dir(vendor, fixed, market)
    defs = build_definitions(Settings(data=str(vendor), home=home))
    _run(defs, instance, ["raw_bars"], key=FIXED)

    # factor_table month m reads raw_bars months m-26..m; labels month m reads m..m+2.
    assert stale_partitions(instance, defs, "factor_table") == MONTHS[5:]
    assert stale_partitions(instance, defs, "labels") == MONTHS[3:6]
    # At a glance: the sensor reports the counts as the partitions_in_sync check of each asset.
    counts = _sensor_counts(defs, instance)
    assert counts["factor_table"] == (7, False) and counts["labels"] == (3, False)
    assert counts["raw_bars"] == (0, True)
    # Beside a materialisation (the check runs with its asset): the last count minus what the run rewrote.
    res = dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=dg.AssetSelection.assets("factor_table"),
        partition_key=FIXED,
        instance=instance,
        resources=defs.resources,
    )
    in_run = [e for e in res.get_asset_check_evaluations() if e.check_name == UNSYNCED_CHECK]
    assert len(in_run) == 1 and not in_run[0].passed
    assert in_run[0].metadata["unsynced_keys"].value == MONTHS[6:]

    for month in MONTHS:
        _run(defs, instance, ["factor_table", "labels"], key=month)
    assert stale_partitions(instance, defs, "factor_table") == []
    assert _sensor_counts(defs, instance)["factor_table"] == (0, True)
    changed = {k for k in before if store.path(*k).read_bytes() != before[k]}
    # Only partitions that read June can change; the months before June's factors are identical.
    assert {("factor_table", m) for m in MONTHS[:5]}.isdisjoint(changed)
    assert {("labels", m) for m in MONTHS[:3] + MONTHS[6:]}.isdisjoint(changed)
    assert ("factor_table", FIXED) in changed


def test_staleness_summary_lines_count_and_show_the_first_keys():
    from alpha_dagster.lib.staleness import summary_lines

    stale = {"factor_table": [f"2019-{m:02d}-01" for m in range(1, 8)], "raw_bars": []}
    assert summary_lines(stale, show=2) == [
        "factor_table: 7 unsynced (2019-01-01, 2019-02-01, ... +5)",
        "raw_bars: 0 unsynced",
    ]


def test_rerunning_an_unchanged_month_after_a_range_run_stales_nothing(tmp_path):
    """A range run and a one-month run give a month the same data version (issue 17's no-op rerun)."""
    _, _, vendor = _vendor_year(tmp_path)
    defs = build_definitions(Settings(data=str(vendor), home=tmp_path / "home"))
    instance = dg.DagsterInstance.ephemeral()
    _run(
        defs,
        instance,
        ["instruments", "industry_map", "fundamentals", "consensus", "index_weights", "raw_bars"],
        whole=True,
    )
    _run(defs, instance, ["factor_table", "labels"], whole=True)
    assert stale_partitions(instance, defs, "factor_table") == []

    def version(month: str) -> str:
        event = instance.get_latest_materialization_event(dg.AssetKey("raw_bars"))
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_bars"), asset_partitions=[month]), limit=1
        ).records
        assert event is not None and records
        return records[0].asset_materialization.tags["dagster/data_version"]

    before = version(FIXED)  # the range run's one version, shared by all its months
    _run(defs, instance, ["raw_bars"], key=FIXED)  # the vendor resends June unchanged
    assert version(FIXED) == before
    assert stale_partitions(instance, defs, "factor_table") == []
    assert stale_partitions(instance, defs, "labels") == []
