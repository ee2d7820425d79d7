"""Every input of the portfolio and rebalance assets is declared and recorded (issue 17).

On the small synthetic market: ``portfolio_weights`` records the ``factor_table`` months whose
``bp_lf`` it read (and fails naming the table and the column when a preset that bounds BP finds
neither); ``target_orders`` records the one ``model_checkpoint`` partition it scored with, the
``raw_bars`` / ``factor_table`` months of its history window and the previous month of its own
output (the holdings it started from), so rewriting that month stales the next one.
"""

import shutil

import dagster as dg
import numpy as np
import pytest

from alpha_core.settings import Settings
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.assets.rebalance import HISTORY_CALENDAR_DAYS, HISTORY_MONTHS
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG
from alpha_dagster.lib.lineage import LatestMaterialisations, LineageResolver, assets_of, reads_of

NOV, DEC = "2019-11-01", "2019-12-01"
STRATEGY = "nn_r1"
ORDERS = {"ops": {"target_orders": {"config": {"model": "nn"}}}}


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    """Data, one nn fold, its signals, portfolio_weights (R1) and target_orders for November then December."""
    home = tmp_path_factory.mktemp("home")
    defs = build_definitions(Settings(data="synthetic:small", home=home))
    instance = dg.DagsterInstance.ephemeral()
    assets = list(defs.assets)
    months = defs.resolve_assets_def("raw_bars").partitions_def.get_partition_keys()
    whole = {RANGE_START_TAG: months[0], RANGE_END_TAG: months[-1]}
    for selection, tags in (
        (["raw_bars", "index_weights", "consensus", "instruments", "industry_map", "fundamentals"], whole),
        (["universe", "factor_table", "labels"], whole),
        (["macro_raw", "adjacency", "macro_series"], {}),
    ):
        assert dg.materialize(
            assets, selection=selection, tags=tags, instance=instance, resources=defs.resources
        ).success
    fold = (
        defs.resolve_assets_def("model_checkpoint")
        .partitions_def.get_partitions_def_for_dimension("fold")
        .get_partition_keys()[-1]
    )
    ckpt = dg.MultiPartitionKey({"fold": fold, "model": "nn"})
    assert dg.materialize(
        assets,
        selection=["model_checkpoint"],
        instance=instance,
        resources=defs.resources,
        partition_key=ckpt,
        run_config={"ops": {"model_checkpoint": {"config": {"max_epochs": 3, "lr": 1e-3}}}},
    ).success
    assert dg.materialize(
        assets, selection=["signals"], partition_key="nn", instance=instance, resources=defs.resources
    ).success
    assert dg.materialize(
        assets, selection=["portfolio_weights"], partition_key=STRATEGY, instance=instance, resources=defs.resources
    ).success
    for month in (NOV, DEC):
        assert dg.materialize(
            assets,
            selection=["target_orders"],
            partition_key=month,
            instance=instance,
            resources=defs.resources,
            run_config=ORDERS,
        ).success
    return defs, ParquetStore(home), instance, str(ckpt), months


def _versions(instance, asset):
    return {p: m.version for p, m in LatestMaterialisations(instance).of(dg.AssetKey(asset)).items()}


def test_portfolio_weights_records_the_factor_table_months_of_its_decision_dates(market):
    defs, store, instance, _, _ = market
    sig_months = sorted(
        {d.to_period("M").to_timestamp().strftime("%Y-%m-%d") for d in store.read("signals", ["nn"])["date"]}
    )
    reads = reads_of(instance, "portfolio_weights", STRATEGY)
    factor_versions = _versions(instance, "factor_table")
    assert reads["factor_table"] == {m: factor_versions[m] for m in sig_months}
    assert all(v is not None for v in reads["factor_table"].values())
    assert {"signals", "raw_bars", "index_weights", "industry_map"} <= set(reads)
    pw = defs.resolve_assets_def("portfolio_weights")
    assert dg.AssetKey("factor_table") in pw.keys_by_input_name.values()  # declared, not read behind its back


def _run_portfolio(defs, instance, preset):
    return dg.materialize(
        list(defs.assets),
        selection=["portfolio_weights"],
        partition_key=STRATEGY,
        instance=instance,
        resources=defs.resources,
        raise_on_error=False,
        run_config={"ops": {"portfolio_weights": {"config": {"preset": preset}}}},
    )


def _failure(result) -> str:
    assert not result.success
    return str(next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error)


def test_a_bp_preset_fails_naming_table_and_column_and_r3_reads_no_factor(market):
    defs, store, instance, _, _ = market
    table = store.table_dir("factor_table")
    aside = table.with_name("factor_table.aside")
    weights = store.path("portfolio_weights", STRATEGY)
    published = weights.read_bytes()
    shutil.move(table, aside)
    try:
        message = _failure(_run_portfolio(defs, instance, "R1"))  # the table is not there
        assert "factor_table is not stored" in message and "bp_lf" in message and "2019-12-01" in message, message
        assert weights.read_bytes() == published  # nothing published
        r3 = _run_portfolio(defs, instance, "R3")  # R3 bounds no style: it never looks at factor_table
        assert r3.success
        assert reads_of(instance, "portfolio_weights", STRATEGY)["factor_table"] == {}
    finally:
        shutil.move(aside, table)
    month = store.path("factor_table", DEC)
    before = month.read_bytes()
    try:  # a December file without the column
        store.write("factor_table", store.read("factor_table", [DEC]).drop(columns="bp_lf"), DEC)
        message = _failure(_run_portfolio(defs, instance, "R1"))
        assert "factor_table has no column 'bp_lf'" in message and DEC in message, message
    finally:
        month.write_bytes(before)
    assert _run_portfolio(defs, instance, "R1").success  # restored: back to the fixture's state


def test_target_orders_declares_its_history_window_and_its_own_previous_month(market):
    defs, _, _, _, _ = market
    target = defs.resolve_assets_def("target_orders")
    declared = set(target.keys_by_input_name.values())
    assert {
        "raw_bars",
        "factor_table",
        "model_checkpoint",
        "adjacency",
        "macro_series",
        "target_orders",
        "universe",
        "index_weights",
        "industry_map",
    } == {k.to_user_string() for k in declared}
    assert HISTORY_MONTHS == 7 and HISTORY_CALENDAR_DAYS == 200
    for up in ("raw_bars", "factor_table"):
        mapping = target.get_partition_mapping(dg.AssetKey(up))
        assert (mapping.start_offset, mapping.end_offset) == (-HISTORY_MONTHS, 0)
    own = target.get_partition_mapping(dg.AssetKey("target_orders"))
    assert (own.start_offset, own.end_offset) == (-1, -1)


def test_target_orders_records_what_it_read(market):
    _, store, instance, ckpt, months = market
    reads = reads_of(instance, "target_orders", DEC)
    window = [m for m in months if "2019-05-01" <= m <= DEC]  # Dec 1 - 200 days = May 15
    assert len(window) == HISTORY_MONTHS + 1
    for up in ("raw_bars", "factor_table"):
        versions = _versions(instance, up)
        assert reads[up] == {m: versions[m] for m in window} and None not in reads[up].values()
    assert reads["model_checkpoint"] == {ckpt: _versions(instance, "model_checkpoint")[ckpt]}
    assert reads["model_checkpoint"][ckpt] is not None
    assert reads["adjacency"] == {} and reads["macro_series"] == {}  # nn needs neither
    assert reads["target_orders"] == {NOV: _versions(instance, "target_orders")[NOV]}
    assert reads["target_orders"][NOV] is not None
    # December's first rebalance starts from November's last one: the read that was recorded
    nov, dec = store.read("target_orders", [NOV]), store.read("target_orders", [DEC])
    held = nov[nov["date"] == nov["date"].max()].set_index("code")["executable_weight"]
    start = dec[dec["date"] == dec["date"].max()].set_index("code")["current_weight"]
    np.testing.assert_allclose(start.reindex(held.index).fillna(0.0), held)
    # November found no earlier rebalance: it looked at every month before it (none stored)
    first = reads_of(instance, "target_orders", NOV)["target_orders"]
    assert sorted(first) == [m for m in months if m < NOV] and set(first.values()) == {None}


def test_rewriting_the_previous_month_stales_the_next(market):
    defs, store, instance, _, _ = market
    key = dg.AssetKey("target_orders")
    assert not LineageResolver(instance, assets_of(defs)).is_stale(key, DEC)
    nov = store.read("target_orders", [NOV])
    earlier = str(sorted(store.read("raw_bars", [NOV])["date"].unique())[-3].date())  # another decision day
    assert earlier not in set(nov["date"].dt.strftime("%Y-%m-%d"))
    assert dg.materialize(
        list(defs.assets),
        selection=["target_orders"],
        partition_key=NOV,
        instance=instance,
        resources=defs.resources,
        run_config={"ops": {"target_orders": {"config": {"model": "nn", "as_of": earlier}}}},
    ).success
    assert LineageResolver(instance, assets_of(defs)).is_stale(key, DEC)
