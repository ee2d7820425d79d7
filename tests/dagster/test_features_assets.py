"""universe, factor_table and labels materialise on a tiny market into a temporary ALPHA_HOME."""

import dagster as dg
import numpy as np
import pandas as pd

from alpha_core.data.contract import BARS_COLUMNS, CONSENSUS_COLUMNS, FUNDAMENTAL_COLUMNS
from alpha_core.factors import R1_FACTORS, R3_TS_FEATURES, XGB_FACTORS, FactorInputs, compute_factors
from alpha_core.labels import compute_labels
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.features import build_feature_assets
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager

N = 24
CODES = [f"SZ{i:06d}" for i in range(N)]
CAL = pd.bdate_range("2019-01-01", "2020-04-30")
SCHEME = build_scheme(CAL, fold_keys=[], model_keys=["none"], strategy_keys=["none"])


def _market():
    rng = np.random.default_rng(0)
    t = len(CAL)
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, N)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, (t, N)))
    high, low = np.maximum(open_, close) * 1.01, np.minimum(open_, close) * 0.99
    vol = np.exp(rng.normal(14, 0.5, (t, N)))
    shares = np.exp(rng.normal(19, 1, N))
    bars = pd.DataFrame(
        {
            "date": np.repeat(CAL.values, N),
            "code": np.tile(CODES, t),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "volume": vol.ravel(),
            "amount": (vol * close).ravel(),
            "vwap": close.ravel(),
            "adj_factor": 1.0,
            "turnover": (vol / shares).ravel(),
            "float_mcap": (close * shares).ravel(),
            "total_mcap": (close * shares).ravel(),
            "tradable": True,
            "limit_up": (close * 1.1).ravel(),
            "limit_down": (close * 0.9).ravel(),
            "is_st": False,
        }
    )[BARS_COLUMNS]
    periods = pd.date_range("2017-03-31", "2019-12-31", freq="QE")
    q = len(periods)
    fund = pd.DataFrame(
        {
            "code": np.tile(CODES, q),
            "report_period": np.repeat(periods.values, N),
            "announce_date": np.repeat((periods + pd.Timedelta(days=40)).values, N),
            **{c: rng.uniform(1e7, 1e8, q * N) for c in FUNDAMENTAL_COLUMNS[3:]},
        }
    )[FUNDAMENTAL_COLUMNS]
    return bars, fund


BARS, FUND = _market()


def _monthly(name, make):
    @dg.asset(name=name, partitions_def=SCHEME.monthly, backfill_policy=dg.BackfillPolicy.single_run())
    def _a(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_bounds(context)
        df = make()
        return df[(df["date"] >= start) & (df["date"] <= end)]

    return _a


raw_bars = _monthly("raw_bars", lambda: BARS)
index_weights = _monthly(
    "index_weights",
    lambda: pd.DataFrame({"date": CAL[:1].repeat(10), "index_code": "SH000905", "code": CODES[:10], "weight": 0.1}),
)
consensus = _monthly(
    "consensus",
    lambda: pd.DataFrame({c: pd.Series(dtype="float64") for c in CONSENSUS_COLUMNS}).astype(
        {"date": "datetime64[ns]", "code": "object"}
    ),
)


@dg.asset
def fundamentals() -> pd.DataFrame:
    return FUND


@dg.asset
def industry_map() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": CODES,
            "start_date": pd.Timestamp("2000-01-01"),
            "end_date": pd.NaT,
            "industry": [f"ind{i % 3}" for i in range(N)],
            "sector": "growth",
        }
    )


@dg.asset
def instruments() -> pd.DataFrame:
    return pd.DataFrame(
        {"code": CODES, "name": None, "board": "main", "list_date": pd.Timestamp("2010-01-04"), "delist_date": pd.NaT}
    )


def test_feature_assets_materialise(tmp_path):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path))}
    assert dg.materialize(
        [raw_bars, index_weights, consensus],
        resources=resources,
        tags={RANGE_START_TAG: "2019-01-01", RANGE_END_TAG: "2020-04-01"},
    ).success
    assert dg.materialize([fundamentals, industry_map, instruments], resources=resources).success
    universe, factor_table, labels = build_feature_assets(SCHEME)
    everything = [
        raw_bars,
        index_weights,
        consensus,
        fundamentals,
        industry_map,
        instruments,
        universe,
        factor_table,
        labels,
    ]
    result = dg.materialize(
        everything, resources=resources, partition_key="2020-02-01", selection=[universe, factor_table, labels]
    )
    assert result.success
    mats = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    meta = {m.asset_key.path[-1]: m.metadata for m in mats}

    store = ParquetStore(tmp_path)
    ft = store.read("factor_table", ["2020-02-01"])
    feb = (BARS["date"] >= "2020-02-01") & (BARS["date"] <= "2020-02-29")
    assert len(ft) == feb.sum() and ft["date"].min() >= pd.Timestamp("2020-02-01")
    # every listed factor is a column, except the consensus ones (empty table), which are reported absent
    names = set(R1_FACTORS) | set(XGB_FACTORS) | set(R3_TS_FEATURES)
    con = {"con_eps_g", "con_roe_g", "con_np_g"}
    assert names - con <= set(ft.columns) and not con & set(ft.columns)
    assert set(meta["factor_table"]["absent_factors"].value) == con
    assert meta["factor_table"]["coverage"].value["ret_5d"] == 1.0
    assert "| bias_turn_1m |" in meta["factor_table"]["coverage_table"].value
    # the 24-month lookback reached the asset: values equal a direct computation on the full history
    direct = compute_factors(
        FactorInputs(BARS, FUND, None, industry_map(), instruments()),
        ["bias_turn_1m", "ep_ttm", "std_1m"],
        "2020-02-01",
        "2020-02-29",
    )
    for col in ("bias_turn_1m", "ep_ttm", "std_1m"):
        np.testing.assert_allclose(ft[col].to_numpy(), direct[col].to_numpy(), rtol=1e-6)
    assert ft["bias_turn_1m"].notna().all()

    lab = store.read("labels", ["2020-02-01"])
    full = compute_labels(BARS)
    full = full[(full["date"] >= "2020-02-01") & (full["date"] <= "2020-02-29")].reset_index(drop=True)
    np.testing.assert_allclose(lab["y_month"].to_numpy(), full["y_month"].to_numpy())
    assert lab["y_month"].notna().all()  # the 2-month lead delivered March and April prices

    uni = store.read("universe", ["2020-02-01"])
    assert uni["r1"].any() and uni["listed_63d"].all()
    assert meta["universe"]["r1_mean_size"].value > 0
    assert Catalog(tmp_path).query("SELECT count(*) AS n FROM factor_table")["n"].iloc[0] == len(ft)
