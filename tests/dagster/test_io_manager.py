"""The Parquet IO manager: range runs split into monthly files, multi-partitions, lookback inputs."""

import dagster as dg
import pandas as pd

from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, lookback, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager

MONTHLY = dg.MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2020-05-01")


@dg.asset(partitions_def=MONTHLY, backfill_policy=dg.BackfillPolicy.single_run())
def bars(context: dg.AssetExecutionContext) -> pd.DataFrame:
    start, end = window_bounds(context)
    days = pd.bdate_range(start, end)
    return pd.DataFrame({"date": days, "code": "SH600000", "close": range(len(days))}).astype({"close": float})


@dg.asset(partitions_def=MONTHLY, ins={"bars": dg.AssetIn(partition_mapping=lookback(1))})
def rolling(context: dg.AssetExecutionContext, bars: pd.DataFrame) -> pd.DataFrame:
    start, _ = window_bounds(context)
    out = bars.assign(n_history=len(bars))
    return out[out["date"] >= start]


def test_range_run_writes_one_file_per_month_and_lookback_reads_previous(tmp_path):
    io = ParquetIOManager(home=str(tmp_path))
    result = dg.materialize(
        [bars],
        resources={"io_manager": io},
        tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-04-01"},
    )
    assert result.success
    store = ParquetStore(tmp_path)
    assert store.partitions("bars") == ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]
    feb = store.read("bars", ["2020-02-01"])
    assert feb["date"].dt.month.unique().tolist() == [2]

    result = dg.materialize(
        [bars, rolling], resources={"io_manager": io}, partition_key="2020-03-01", selection=[rolling]
    )
    assert result.success
    out = store.read("rolling", ["2020-03-01"])
    n_feb_mar = len(pd.bdate_range("2020-02-01", "2020-03-31"))
    assert out["n_history"].iloc[0] == n_feb_mar
    assert out["date"].dt.month.unique().tolist() == [3]
    assert Catalog(tmp_path).query("SELECT count(*) AS n FROM bars")["n"].iloc[0] == len(
        pd.bdate_range("2020-01-01", "2020-04-30")
    )


FOLD_MODEL = dg.MultiPartitionsDefinition(
    {
        "fold": dg.StaticPartitionsDefinition(["2018-01-02", "2018-07-02"]),
        "model": dg.StaticPartitionsDefinition(["gat_residual", "nn"]),
    }
)


@dg.asset(partitions_def=FOLD_MODEL)
def scores(context: dg.AssetExecutionContext) -> pd.DataFrame:
    key = context.partition_key.keys_by_dimension
    return pd.DataFrame({"fold": [key["fold"]], "model": [key["model"]], "score": [1.0]})


def test_multi_partition_layout(tmp_path):
    io = ParquetIOManager(home=str(tmp_path))
    key = dg.MultiPartitionKey({"fold": "2018-07-02", "model": "nn"})
    assert dg.materialize([scores], resources={"io_manager": io}, partition_key=key).success
    assert (tmp_path / "scores" / "fold=2018-07-02" / "model=nn.parquet").exists()
    df = Catalog(tmp_path).query("SELECT * FROM scores")
    assert df[["fold", "model"]].values.tolist() == [["2018-07-02", "nn"]]


@dg.asset
def graph_table() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0]})


@dg.asset(ins={"graph_table": dg.AssetIn(metadata={"alpha/optional": True})})
def reads_optional(graph_table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"rows_seen": [len(graph_table)]})


@dg.asset(ins={"graph_table": dg.AssetIn()})
def reads_required(graph_table: pd.DataFrame) -> pd.DataFrame:
    return graph_table


def test_optional_input_loads_empty_and_required_fails(tmp_path):
    from alpha_dagster.lib.io_manager import OPTIONAL_INPUT

    assert OPTIONAL_INPUT == "alpha/optional"
    io = ParquetIOManager(home=str(tmp_path))
    assets = [graph_table, reads_optional, reads_required]
    assert dg.materialize(assets, selection=["reads_optional"], resources={"io_manager": io}).success
    assert ParquetStore(tmp_path).read("reads_optional")["rows_seen"].tolist() == [0]
    failed = dg.materialize(assets, selection=["reads_required"], resources={"io_manager": io}, raise_on_error=False)
    assert not failed.success
