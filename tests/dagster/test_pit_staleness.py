"""factor_table reports the age of each stock's newest report (metadata) and WARNs through the
non-blocking ``fundamentals_fresh`` check when reports are stale; the run still succeeds."""

import dagster as dg
import numpy as np
import pandas as pd

from alpha_core.data.contract import BARS_COLUMNS, CONSENSUS_COLUMNS, FUNDAMENTAL_COLUMNS
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.features import build_feature_assets
from alpha_dagster.defs.checks.staleness import STALE_REPORTS_CHECK
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager

N = 6
CODES = [f"SZ{i:06d}" for i in range(N)]
CAL = pd.bdate_range("2019-01-01", "2020-12-31")
SCHEME = build_scheme(CAL, fold_keys=[], model_keys=["none"], strategy_keys=["none"])
LAST = pd.Timestamp("2020-12-31")


def _bars() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    t = len(CAL)
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, N)), axis=0))
    vol = np.exp(rng.normal(14, 0.5, (t, N)))
    return pd.DataFrame(
        {
            "date": np.repeat(CAL.values, N),
            "code": np.tile(CODES, t),
            "open": close.ravel(),
            "high": close.ravel() * 1.01,
            "low": close.ravel() * 0.99,
            "close": close.ravel(),
            "volume": vol.ravel(),
            "amount": (vol * close).ravel(),
            "vwap": close.ravel(),
            "adj_factor": 1.0,
            "turnover": 0.01,
            "float_mcap": close.ravel() * 1e8,
            "total_mcap": close.ravel() * 1e8,
            "tradable": True,
            "limit_up": close.ravel() * 1.1,
            "limit_down": close.ravel() * 0.9,
            "is_st": False,
        }
    )[BARS_COLUMNS]


def _fund() -> pd.DataFrame:
    """Stocks 0-3 report each quarter 40 days after its end (last: Q3 2020, announced 2020-11-09);
    stock 4 stops after Q4 2019 (announced 2020-02-09); stock 5 never reports."""
    periods = pd.date_range("2017-03-31", "2020-09-30", freq="QE")
    rows = pd.DataFrame({"code": np.repeat(CODES[:5], len(periods)), "report_period": np.tile(periods.values, 5)})
    rows = rows[(rows["code"] != CODES[4]) | (rows["report_period"] <= pd.Timestamp("2019-12-31"))]
    rows["announce_date"] = rows["report_period"] + pd.Timedelta(days=40)
    for c in FUNDAMENTAL_COLUMNS[3:]:
        rows[c] = 1e8
    return rows.reset_index(drop=True)[FUNDAMENTAL_COLUMNS]


BARS, FUND = _bars(), _fund()


def _monthly(name, make):
    @dg.asset(name=name, partitions_def=SCHEME.monthly, backfill_policy=dg.BackfillPolicy.single_run())
    def _a(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_bounds(context)
        df = make()
        return df[(df["date"] >= start) & (df["date"] <= end)]

    return _a


raw_bars = _monthly("raw_bars", lambda: BARS)
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
            "industry": "ind",
            "sector": "growth",
        }
    )


@dg.asset
def instruments() -> pd.DataFrame:
    return pd.DataFrame(
        {"code": CODES, "name": None, "board": "main", "list_date": pd.Timestamp("2010-01-04"), "delist_date": pd.NaT}
    )


def _run(tmp_path, max_age: int):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path))}
    assert dg.materialize(
        [raw_bars, consensus], resources=resources, tags={RANGE_START_TAG: "2019-01-01", RANGE_END_TAG: "2020-12-01"}
    ).success
    assert dg.materialize([fundamentals, industry_map, instruments], resources=resources).success
    factor_table = build_feature_assets(SCHEME)[1]
    result = dg.materialize(
        [raw_bars, consensus, fundamentals, industry_map, instruments, factor_table],
        resources=resources,
        partition_key="2020-12-01",
        selection=[factor_table],
        run_config={
            "ops": {"factor_table": {"config": {"factor_sets": ["xgb"], "fundamentals_max_age_days": max_age}}}
        },
    )
    assert result.success  # a stale report warns; it never blocks
    meta = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
    (check,) = result.get_asset_check_evaluations()
    return meta, check, ParquetStore(tmp_path).read("factor_table", ["2020-12-01"])


def test_stale_report_is_shown_and_warned(tmp_path):
    meta, check, ft = _run(tmp_path, 212)
    age = meta["report_age"].value
    stale_age = (LAST - pd.Timestamp("2020-02-09")).days  # 326
    fresh_age = (LAST - pd.Timestamp("2020-11-09")).days  # 52
    assert age["date"] == "2020-12-31" and age["max_age_days"] == 212
    assert (age["n_stocks"], age["n_without_report"], age["n_stale"]) == (6, 1, 1)
    assert age["median_age_days"] == fresh_age and age["oldest_age_days"] == stale_age
    assert age["stalest"][CODES[4]] == stale_age
    assert meta["n_stale_reports"].value == 1 and meta["report_age_max_days"].value == stale_age
    assert meta["pit_expiry_days"].value == {"fundamentals": 212, "consensus": 212}
    assert check.check_name == STALE_REPORTS_CHECK and not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN and check.metadata["n_stale"].value == 1
    # the stale stock's fundamental factors expired; the fresh ones kept theirs
    dec = ft.set_index("code")
    assert dec.loc[CODES[4], "bp_lf"].isna().all() and dec.loc[CODES[0], "bp_lf"].notna().all()


def test_longer_expiry_passes_the_check(tmp_path):
    meta, check, ft = _run(tmp_path, 400)
    assert check.passed and meta["n_stale_reports"].value == 0
    assert ft.set_index("code").loc[CODES[4], "bp_lf"].notna().all()
