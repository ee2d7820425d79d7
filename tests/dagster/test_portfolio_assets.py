"""portfolio_weights -> backtest -> backtest_report (+ blend) materialised on a tiny market
(R1 bounds the BP style: its factor_table holds bp_lf)."""

import base64
import re
import struct

import dagster as dg
import numpy as np
import pandas as pd

from alpha_core.metrics.performance import HEADLINE
from alpha_core.portfolio.presets import PresetName
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.portfolio import StrategySpec, build_portfolio_assets
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import AlphaStore

N = 40
CODES = [f"SH6{i:05d}" for i in range(N)]
CAL = pd.bdate_range("2020-01-01", "2020-03-31")
SCHEME = build_scheme(CAL, fold_keys=[], model_keys=["m1"], strategy_keys=["m1_r1", "m1_r3"])


def _market() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    t = len(CAL)
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, N)), axis=0))
    prev = np.vstack([close[:1], close[:-1]])
    vwap = (prev + close) / 2
    bars = pd.DataFrame(
        {
            "date": np.repeat(CAL.values, N),
            "code": np.tile(CODES, t),
            "open": prev.ravel(),
            "high": np.maximum(prev, close).ravel(),
            "low": np.minimum(prev, close).ravel(),
            "close": close.ravel(),
            "volume": 1e6,
            "amount": (vwap * 1e6).ravel(),
            "vwap": vwap.ravel(),
            "adj_factor": 1.0,
            "turnover": 0.01,
            "float_mcap": np.tile(rng.uniform(1e9, 1e10, N), t),
            "total_mcap": 2e10,
            "tradable": True,
            "limit_up": (prev * 1.1).ravel(),
            "limit_down": (prev * 0.9).ravel(),
            "is_st": False,
        }
    )
    fwd = np.vstack([close[1:] / close[:-1] - 1, np.zeros((1, N))])
    signals = pd.DataFrame(
        {
            "date": np.repeat(CAL.values, N),
            "code": np.tile(CODES, t),
            "model": "m1",
            "fold": "f",
            "score": (fwd + rng.normal(0, 0.02, (t, N))).ravel(),
        }
    )
    return bars, signals


BARS, SIGNALS = _market()


def _monthly(name: str, make):
    @dg.asset(name=name, partitions_def=SCHEME.monthly, backfill_policy=dg.BackfillPolicy.single_run())
    def _a(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_bounds(context)
        df = make()
        return df[(df["date"] >= start) & (df["date"] <= end)]

    return _a


raw_bars = _monthly("raw_bars", lambda: BARS)
index_weights = _monthly(
    "index_weights",
    lambda: pd.DataFrame({"date": CAL[0], "index_code": "SH000905", "code": CODES[:25], "weight": 1 / 25}),
)
index_levels = _monthly(
    "index_levels",
    lambda: pd.DataFrame(
        {"date": CAL, "index_code": "SH000905", "close": 1000 * np.exp(np.linspace(0, 0.05, len(CAL)))}
    ),
)
factor_table = _monthly(
    "factor_table", lambda: BARS[["date", "code"]].assign(bp_lf=np.tile(np.linspace(0.2, 1.2, N), len(CAL)))
)


@dg.asset
def industry_map() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": CODES,
            "start_date": pd.Timestamp("2000-01-01"),
            "end_date": pd.NaT,
            "industry": [f"ind{i % 4}" for i in range(N)],
            "sector": "growth",
        }
    )


@dg.asset(partitions_def=SCHEME.models)
def signals() -> pd.DataFrame:
    return SIGNALS


def test_portfolio_assets_materialise(tmp_path):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    strategies = {"m1_r1": StrategySpec("m1", PresetName.R1, "SH000905"), "m1_r3": StrategySpec("m1", "r3", "SH000905")}
    assert strategies["m1_r3"].preset is PresetName.R3  # a value is taken as the enum
    pw, bt, rep, blend = build_portfolio_assets(SCHEME, strategies, blends={"gat_xgb_blend": ("m1_r1", "m1_r3")})
    upstream = [raw_bars, index_weights, index_levels, factor_table, industry_map, signals]
    assert dg.materialize(
        upstream[:4], resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-03-01"}
    ).success
    assert dg.materialize([industry_map], resources=resources).success
    assert dg.materialize([signals], resources=resources, partition_key="m1").success
    everything = [*upstream, pw, bt, rep, blend]
    for key in strategies:
        result = dg.materialize(
            everything,
            resources=resources,
            partition_key=key,
            selection=[pw, bt, rep],
            run_config={"ops": {"backtest": {"config": {"fill": "VWAP"}}}},
        )  # enum by name
        assert result.success
        mats = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
        styles = {m.asset_key.path[-1]: m.metadata for m in mats}["portfolio_weights"]["styles"].value
        assert styles == (["log_float_mcap", "bp_lf"] if key == "m1_r1" else ["log_float_mcap"])
    meta = {m.asset_key.path[-1]: m.metadata for m in mats}
    assert meta["portfolio_weights"]["preset"].value == "r3"
    assert "annual_excess_return" in meta["backtest_report"]["summary"].value
    store = ParquetStore(tmp_path)
    # the UI metadata: the chart as an inline PNG, the headline figures as plottable floats
    report_meta = meta["backtest_report"]
    png = _png_of(report_meta["cumulative_excess_chart"].value)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (700, 400) and len(png) < 60_000
    report = store.read("backtest_report", ["m1_r3"]).set_index("period")
    floats = {k: v.value for k, v in report_meta.items() if isinstance(v, dg.FloatMetadataValue)}
    assert {
        "annual_excess_return",
        "information_ratio",
        "tracking_error",
        "excess_max_drawdown",
        "annual_turnover",
    } <= set(floats) and all(np.isfinite(v) for v in floats.values())
    assert floats == {k: report.loc["all", k] for k in HEADLINE if np.isfinite(report.loc["all", k])}
    weights = store.read("portfolio_weights", ["m1_r1"])
    assert weights.groupby("date")["weight"].sum().sub(1).abs().max() < 1e-9
    daily = store.read("backtest", ["m1_r1"])
    assert daily["date"].min() > weights["date"].min()  # traded the day after the first decision
    for name in ("index.html", "cumulative_excess.png", "ic.png", "deciles.png", "summary.md"):
        assert (tmp_path / "backtest_report" / "m1_r1" / name).stat().st_size > 0
    result = dg.materialize(everything, resources=resources, partition_key="gat_xgb_blend", selection=[blend])
    assert result.success
    blended = store.read("strategy_blend", ["gat_xgb_blend"])
    r3 = store.read("backtest", ["m1_r3"])  # monthly: starts after January's last day
    assert (
        len(blended) == len(r3) < len(daily) and (tmp_path / "strategy_blend" / "gat_xgb_blend" / "index.html").exists()
    )
    mats = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    assert -1 <= mats[0].metadata["excess_correlation"].value <= 1
    assert _png_of(mats[0].metadata["cumulative_excess_chart"].value)[:8] == b"\x89PNG\r\n\x1a\n"


def _png_of(md: str) -> bytes:
    m = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", md)
    assert m, md[:80]
    return base64.b64decode(m.group(1), validate=True)
