"""Issue 17's acceptance: exactly what changed goes stale, folds included, read through public APIs.

2018 of the small synthetic market as a vendor's file export, the QUICK fold plan (train 126,
valid 42, test 42, step 42, purge 10): two folds on that calendar,

=============  ==============================  =====================  ==============================
fold (key)     features (train start .. test    labels (train start    months read
               end)                             .. valid end)
=============  ==============================  =====================  ==============================
2018-09-07     2018-01-02 .. 2018-11-12         .. 2018-08-23          features Jan-Nov, labels Jan-Aug
2018-11-13     2018-03-08 .. 2018-12-31         .. 2018-10-29          features Mar-Dec, labels Mar-Oct
=============  ==============================  =====================  ==============================

A close corrected on 2018-12-10 changes raw_bars December, hence factor_table and universe
December (month m reads raw_bars m-26..m) and labels October-December (month m reads m..m+2).
Fold 2018-11-13 reads factor_table / universe / raw_bars December and labels October: stale. Fold
2018-09-07 reads none of those months: fresh. A December resent unchanged stales nothing.
"""

import dagster as dg
import pandas as pd

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.folds import QUICK, plan_folds
from alpha_core.settings import Settings
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
from alpha_dagster.lib.lineage import reads_of
from alpha_dagster.lib.staleness import stale_by_asset

MONTHS = [f"2018-{m:02d}-01" for m in range(1, 13)]
DATA = ["raw_bars", "factor_table", "universe", "labels"]
STATIC = ["instruments", "industry_map", "fundamentals", "consensus", "index_weights"]
FOLD_A, FOLD_B = "2018-09-07", "2018-11-13"
TRAIN = {"ops": {"model_checkpoint": {"config": {"preset": "QUICK", "max_epochs": 1, "patience": 1, "hidden": 8}}}}


def _vendor_dir(path, bars: pd.DataFrame, market: SyntheticSource) -> None:
    bars.to_parquet(path / "bars.parquet", index=False)
    market.instruments().to_parquet(path / "instruments.parquet", index=False)
    market.industry_map().to_parquet(path / "industry_map.parquet", index=False)
    pd.DataFrame({"date": bars["date"].drop_duplicates()}).to_csv(path / "calendar.csv", index=False)


def _run(defs, instance, selection, *, key=None, whole=False, run_config=None):
    tags = {RANGE_START_TAG: MONTHS[0], RANGE_END_TAG: MONTHS[-1]} if whole else {}
    result = dg.materialize(
        list(defs.assets),
        selection=selection,
        partition_key=key,
        tags=tags,
        instance=instance,
        resources=defs.resources,
        run_config=run_config,
    )
    assert result.success


def _fold(fold: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"fold": fold, "model": "nn"})


def _stale(defs, instance) -> dict[str, list[str]]:
    names = [*DATA, "model_checkpoint"]
    out = stale_by_asset(instance, list(defs.assets), names)
    return {k: sorted(v) for k, v in out.items()}


def test_a_corrected_bar_stales_exactly_the_months_and_folds_that_read_it(tmp_path):
    market = SyntheticSource.from_profile("small")
    bars = market.bars(pd.Timestamp("2018-01-01"), pd.Timestamp("2018-12-31"))
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    _vendor_dir(vendor, bars, market)
    home = tmp_path / "home"
    settings = Settings(data=str(vendor), home=home, folds="quick")
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()

    # the windows of the module docstring, from the plan itself
    calendar = pd.DatetimeIndex(sorted(bars["date"].unique()))
    folds = {f.fold_id: f for f in plan_folds(calendar, QUICK)}
    assert sorted(folds) == [FOLD_A, FOLD_B]
    assert (folds[FOLD_B].train[0], folds[FOLD_B].valid[-1], folds[FOLD_B].test[-1]) == (
        pd.Timestamp("2018-03-08"),
        pd.Timestamp("2018-10-29"),
        pd.Timestamp("2018-12-31"),
    )

    _run(defs, instance, [*STATIC, "raw_bars"], whole=True)
    _run(defs, instance, ["factor_table", "universe", "labels"], whole=True)
    for fold in (FOLD_A, FOLD_B):
        _run(defs, instance, ["model_checkpoint"], key=_fold(fold), run_config=TRAIN)

    # each fold recorded the months of its windows, and no graph / macro table (nn reads none)
    reads_a = reads_of(instance, "model_checkpoint", str(_fold(FOLD_A)))
    reads_b = reads_of(instance, "model_checkpoint", str(_fold(FOLD_B)))
    for table in ("factor_table", "universe", "raw_bars"):
        assert sorted(reads_a[table]) == MONTHS[0:11]
        assert sorted(reads_b[table]) == MONTHS[2:12]
    assert sorted(reads_a["labels"]) == MONTHS[0:8] and sorted(reads_b["labels"]) == MONTHS[2:10]
    assert reads_a["adjacency"] == {} and reads_a["macro_series"] == {}
    assert all(v is not None for v in reads_b["factor_table"].values())  # the versions read are recorded
    assert _stale(defs, instance) == {name: [] for name in [*DATA, "model_checkpoint"]}

    # the vendor resends December unchanged: nothing goes stale
    _run(defs, instance, ["raw_bars"], key=MONTHS[11])
    assert _stale(defs, instance) == {name: [] for name in [*DATA, "model_checkpoint"]}

    # the vendor corrects one close on 2018-12-10
    fixed = bars.copy()
    row = fixed.index[(fixed["date"] == pd.Timestamp("2018-12-10")) & fixed["tradable"]][0]
    fixed.loc[row, "close"] = (fixed.loc[row, "low"] + fixed.loc[row, "close"]) / 2  # inside [low, high]
    assert fixed.loc[row, "close"] != bars.loc[row, "close"]
    _vendor_dir(vendor, fixed, market)
    defs = build_definitions(settings)
    _run(defs, instance, ["raw_bars"], key=MONTHS[11])
    assert _stale(defs, instance) == {
        "raw_bars": [],
        "factor_table": [MONTHS[11]],
        "universe": [MONTHS[11]],
        "labels": MONTHS[9:12],
        "model_checkpoint": [str(_fold(FOLD_B))],
    }
