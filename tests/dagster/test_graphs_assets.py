"""adjacency and macro_series materialise on the synthetic market into a temporary ALPHA_HOME."""

from __future__ import annotations

import functools

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from alpha_core.data.registry import open_source
from alpha_core.graph.edges import EDGE_COLUMNS, GraphKind, check_edges
from alpha_core.graph.r3_graphs import R3_EDGE_FEATURES, R3_FLOW_FEATURES
from alpha_core.macro.state import MACRO_STATE_COLUMNS
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.data import build_data_assets
from alpha_dagster.defs.assets.graphs import build_graph_assets
from alpha_dagster.defs.partitions import build_scheme
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import MarketData


@functools.lru_cache(maxsize=2)
def open_cached_source(spec: str):
    """One source per spec for this module (the synthetic market is generated once)."""
    return open_source(spec)


@dg.asset(name="factor_table")
def stub_factor_table() -> pd.DataFrame:
    """Stand-in for the factor engine's table: R3 edge/flow columns on the last 120 days, 40 stocks."""
    source = open_cached_source("synthetic")
    days = source.calendar()[-120:]
    codes = sorted(source.industry_map()["code"].unique())[:40]
    rng = np.random.default_rng(0)
    cols = {}
    for name in (*R3_EDGE_FEATURES, *R3_FLOW_FEATURES):
        x = rng.standard_normal((len(days), len(codes)))
        x[:, 1] = x[:, 0] + 0.1 * rng.standard_normal(len(days))  # one planted pair
        cols[name] = x.reshape(-1)
    return pd.DataFrame({"date": np.repeat(days.values, len(codes)), "code": np.tile(codes, len(days)), **cols})


def test_adjacency_and_macro_series_materialize(tmp_path) -> None:
    source = open_cached_source("synthetic")
    calendar = source.calendar()
    scheme = build_scheme(calendar, fold_keys=[], model_keys=["none"], strategy_keys=["none"])
    data = {a.key.path[-1]: a for a in build_data_assets(scheme, with_ground_truth=False)}
    adjacency, macro_series = build_graph_assets()
    result = dg.materialize(
        [data["industry_map"], data["fundamentals"], data["macro_raw"], stub_factor_table, adjacency, macro_series],
        resources={"io_manager": ParquetIOManager(home=str(tmp_path)), "market": MarketData(spec="synthetic")},
    )
    assert result.success
    store = ParquetStore(tmp_path)
    edges = store.read("adjacency")
    assert list(edges.columns) == EDGE_COLUMNS
    check_edges(edges)
    assert set(edges["graph"]) == {str(g) for g in GraphKind}
    # R1 graphs change only on year ends (plus the first day)
    r1_dates = pd.DatetimeIndex(edges.loc[edges["graph"] == "sector", "date"].unique())
    assert ((r1_dates.month == 12) | (r1_dates == calendar[0])).all()
    # the planted pair of the stub features is in the flow graph
    codes = sorted(source.industry_map()["code"].unique())[:2]
    flow = edges[edges["graph"] == "r3_flow"]
    assert ((flow["src"] == codes[0]) & (flow["dst"] == codes[1])).any()

    meta = result.asset_materializations_for_node("adjacency")[0].metadata
    assert meta["skipped_graphs"].value == {}
    assert "| sector |" in meta["graph_stats"].value
    macro = store.read("macro_series")
    assert list(macro.columns) == MACRO_STATE_COLUMNS and len(macro) == len(calendar)
    mmeta = result.asset_materializations_for_node("macro_series")[0].metadata
    assert mmeta["summary"].value["gap_policy"] == "forward_fill_with_flag"
    assert Catalog(tmp_path).query("SELECT count(*) AS n FROM adjacency")["n"].iloc[0] == len(edges)


def test_adjacency_without_r3_input_skips_r3_graphs_and_says_so(tmp_path) -> None:
    source = open_cached_source("synthetic")
    scheme = build_scheme(source.calendar(), fold_keys=[], model_keys=["none"], strategy_keys=["none"])
    data = {a.key.path[-1]: a for a in build_data_assets(scheme, with_ground_truth=False)}
    adjacency, _ = build_graph_assets(r3_features_asset=None)
    result = dg.materialize(
        [data["industry_map"], data["fundamentals"], adjacency],
        resources={"io_manager": ParquetIOManager(home=str(tmp_path)), "market": MarketData(spec="synthetic")},
        # enum fields by member name; frequencies by graph kind (value) -> RebuildFrequency name
        run_config={
            "ops": {
                "adjacency": {"config": {"graphs": ["INDUSTRY", "R3_FLOW"], "frequencies": {"industry": "QUARTERLY"}}}
            }
        },
    )
    assert result.success
    meta = result.asset_materializations_for_node("adjacency")[0].metadata
    assert meta["skipped_graphs"].value == {"r3_flow": "no R3 feature table"}
    edges = ParquetStore(tmp_path).read("adjacency")
    assert set(edges["graph"]) == {"industry"}
    assert (pd.DatetimeIndex(edges["date"].unique()).month.isin([1, 3, 6, 9, 12])).all()


@pytest.mark.slow
@pytest.mark.realdata
def test_adjacency_and_macro_series_materialize_on_real_data(tmp_path, qlib_dir) -> None:
    """CSI 300 Shenwan graphs, real fundamentals and the cn_macro yield gap (R3 features from the
    factor engine on 2020 bars stand in for the factor_table asset)."""
    from alpha_core.factors.inputs import FactorInputs
    from alpha_core.factors.registry import compute_factors

    spec = str(qlib_dir)
    source = open_cached_source(spec)

    @dg.asset(name="factor_table")
    def real_r3_features() -> pd.DataFrame:
        bars = source.bars(pd.Timestamp("2020-03-01"), pd.Timestamp("2020-12-31"))
        inputs = FactorInputs(bars=bars, fundamentals=source.fundamentals(), industry_map=source.industry_map())
        return compute_factors(inputs, [*R3_EDGE_FEATURES, *R3_FLOW_FEATURES])

    scheme = build_scheme(source.calendar(), fold_keys=[], model_keys=["none"], strategy_keys=["none"])
    data = {a.key.path[-1]: a for a in build_data_assets(scheme, with_ground_truth=False)}
    adjacency, macro_series = build_graph_assets()
    result = dg.materialize(
        [data["industry_map"], data["fundamentals"], data["macro_raw"], real_r3_features, adjacency, macro_series],
        resources={"io_manager": ParquetIOManager(home=str(tmp_path)), "market": MarketData(spec=spec)},
        run_config={"ops": {"adjacency": {"config": {"r3_min_features": 2}}}},
    )
    assert result.success
    edges = ParquetStore(tmp_path).read("adjacency")
    assert set(edges["graph"]) == {str(g) for g in GraphKind}
    meta = result.asset_materializations_for_node("adjacency")[0].metadata
    sector_2020 = [r for r in meta["stats_by_date"].value if r["graph"] == "sector" and r["date"] == "2020-12-31"]
    # 706 listed stocks in the dump, 300 with a Shenwan industry: the rest are isolated, and flagged
    assert sector_2020[0]["isolated"] > 0 and sector_2020[0]["nodes"] - sector_2020[0]["isolated"] <= 300
    summary = result.asset_materializations_for_node("macro_series")[0].metadata["summary"].value
    gap = summary["series"]["cgb10y"]["gaps"][0]
    assert (gap["first_missing_month"], gap["last_missing_month"]) == ("2017-01", "2019-05")
    assert "2017-01..2019-05" in result.asset_materializations_for_node("macro_series")[0].metadata["gaps"].value
