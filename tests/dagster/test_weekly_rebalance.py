"""The weekly rebalance job on a small synthetic market: target_orders respects the R1
optimiser constraints, blocked trades are explained, and the schedule targets the right month."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from alpha_core.portfolio.presets import R1
from alpha_core.settings import Settings
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG

MONTH = "2019-12-01"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
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
    assert dg.materialize(
        assets,
        selection=["model_checkpoint"],
        instance=instance,
        resources=defs.resources,
        partition_key=dg.MultiPartitionKey({"fold": fold, "model": "nn"}),
        run_config={"ops": {"model_checkpoint": {"config": {"max_epochs": 3, "lr": 1e-3}}}},
    ).success
    result = defs.resolve_job_def("weekly_rebalance").execute_in_process(
        partition_key=MONTH, instance=instance, run_config={"ops": {"target_orders": {"config": {"model": "nn"}}}}
    )
    assert result.success
    return defs, home, instance, result


def test_target_orders_satisfy_the_r1_constraints(live):
    defs, home, _, result = live
    store = ParquetStore(home)
    orders = store.read("target_orders", [MONTH])
    day = orders["date"].max()
    assert day == store.read("raw_bars", [MONTH])["date"].max()
    o = orders[orders["date"] == day].set_index("code")
    assert o["target_weight"].sum() == pytest.approx(1.0, abs=1e-6)
    assert o["executable_weight"].sum() == pytest.approx(1.0, abs=1e-6)
    assert (o["target_weight"] >= -1e-9).all()
    iw = store.read("index_weights", [MONTH])
    bench = iw[(iw["index_code"] == "SH000905") & (iw["date"] == day)].set_index("code")["weight"]
    active = o["target_weight"].sub(bench, fill_value=0.0)
    relaxed = result.asset_materializations_for_node("target_orders")[0].metadata["relaxed"].value
    if "stock" not in relaxed:
        assert active.abs().max() <= R1.stock_dev + 1e-6
    industry = store.read("industry_map").drop_duplicates("code").set_index("code")["industry"]
    by_ind = active.groupby(industry.reindex(active.index)).sum()
    if "industry" not in relaxed:
        assert by_ind.abs().max() <= R1.industry_dev + 1e-6
    # A first rebalance starts from cash: the trade is the target.
    np.testing.assert_allclose(o["trade"], o["target_weight"] - o["current_weight"])


def test_order_ticket_in_board_lots_and_a_csv_beside_the_parquet(live):
    _, home, _, result = live
    store = ParquetStore(home)
    orders = store.read("target_orders", [MONTH])
    day = orders["date"].max()
    o = orders[orders["date"] == day].set_index("code")
    bars = store.read("raw_bars", [MONTH])
    close = bars[bars["date"] == day].set_index("code")["close"].reindex(o.index)
    np.testing.assert_allclose(o["ref_close"], close)
    main = ~o.index.str.startswith("SH688")
    assert (o.loc[main, "trade_shares"] % 100 == 0).all()  # board lots from cash
    assert (o["current_shares"] == 0).all() and (o["target_shares"] == o["trade_shares"]).all()
    np.testing.assert_allclose(o["notional"], o["trade_shares"] * o["ref_close"])
    capital = result.asset_materializations_for_node("target_orders")[0].metadata["capital"].value
    cash = capital - (o["target_shares"] * o["ref_close"]).sum()
    assert o["cash_residual"].iloc[0] == pytest.approx(cash) and 0 <= cash < 0.05 * capital
    # each traded name is within one lot of its executable weight's value
    gap = o["executable_weight"] * capital - o["target_shares"] * o["ref_close"]
    assert (gap[o["blocked_reason"].isna()] < 200 * o["ref_close"]).all()
    csv = pd.read_csv(store.path("target_orders", MONTH).with_suffix(".csv"), dtype={"code": str})
    assert list(csv["code"]) == list(o.index) and list(csv["trade_shares"]) == list(o["trade_shares"])


def test_blocked_trades_stay_at_current_weight(live):
    _, home, _, _ = live
    orders = ParquetStore(home).read("target_orders", [MONTH])
    blocked = orders[orders["blocked_reason"].notna()]
    np.testing.assert_allclose(blocked["executable_weight"], blocked["current_weight"])
    assert set(blocked["blocked_reason"]) <= {"suspended", "limit_up_no_buy", "limit_down_no_sell"}


def test_rerun_is_idempotent_and_metadata_summarises(live):
    defs, home, instance, result = live
    path = ParquetStore(home).path("target_orders", MONTH)
    first = path.read_bytes()
    again = defs.resolve_job_def("weekly_rebalance").execute_in_process(
        partition_key=MONTH, instance=instance, run_config={"ops": {"target_orders": {"config": {"model": "nn"}}}}
    )
    assert again.success
    assert path.read_bytes() == first
    meta = result.asset_materializations_for_node("target_orders")[0].metadata
    assert {"summary", "turnover", "blocked", "relaxed", "largest_trades", "decision_day"} <= set(meta)


def test_schedule_requests_the_month_of_the_friday(live):
    defs, *_ = live
    schedule = defs.resolve_schedule_def("weekly_rebalance_schedule")
    assert schedule.execution_timezone == "Asia/Shanghai" and schedule.cron_schedule == "0 17 * * 5"
    friday = dt.datetime(2019, 12, 27, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    req = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=friday, repository_def=defs.get_repository_def())
    ).run_requests[0]
    assert req.partition_key == MONTH
    later = dt.datetime(2031, 1, 3, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    data = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=later, repository_def=defs.get_repository_def())
    )
    assert not data.run_requests and "no monthly partition" in data.skip_message


def test_no_orders_when_a_trained_feature_vanished_on_the_decision_day(live):
    """Issue 16 case 9 for target_orders: the vendor stops delivering ret_5d on the decision day.

    The checkpoint learnt ret_5d at full coverage; with it NaN for every stock on the day the run
    fails naming the feature and its two coverages, and the published orders stay byte-identical.
    """
    defs, home, instance, _ = live
    store = ParquetStore(home)
    orders_path, factors_path = store.path("target_orders", MONTH), store.path("factor_table", MONTH)
    orders_before, factors_before = orders_path.read_bytes(), factors_path.read_bytes()
    factors = store.read("factor_table", [MONTH])
    day = store.read("target_orders", [MONTH])["date"].max()
    factors.loc[factors["date"] == day, "ret_5d"] = np.nan
    store.write("factor_table", factors, MONTH)
    try:
        res = dg.materialize(
            list(defs.assets),
            selection=["target_orders"],
            partition_key=MONTH,
            instance=instance,
            resources=defs.resources,
            raise_on_error=False,
            run_config={"ops": {"target_orders": {"config": {"model": "nn"}}}},
        )
        assert not res.success
        failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
        message = str(failure.event_specific_data.error)
        assert "ret_5d (train 100%, now 0%)" in message and str(day.date()) in message, message
        assert orders_path.read_bytes() == orders_before  # nothing published
    finally:
        factors_path.write_bytes(factors_before)
