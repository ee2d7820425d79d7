"""Factor names match the SPEC lists exactly; coverage; sequences; the lookback in months."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from factor_synth import make_bars

from alpha_core.errors import DataContractError
from alpha_core.factors import (
    FACTOR_SETS,
    FACTORS,
    R1_FACTORS,
    R3_EDGE_FEATURES,
    R3_FLOW_FEATURES,
    R3_NODE_FEATURES,
    R3_TS_FEATURES,
    XGB_FACTORS,
    FactorInputs,
    FactorSet,
    compute_factor_sets,
    compute_factors,
    factor_coverage,
)
from alpha_core.factors.sequences import SEQUENCE_FIELDS, SequenceBuilder, daily_sequences

# SPEC section 2, R1 table 15, in the SPEC's order (typed from the SPEC, not imported)
SPEC_R1 = """bp_lf ep_ttm ocfp_ttm dyr12 con_eps_g con_roe_g con_np_g ret_5d ret_1m exp_wgt_return_3m
std_1m vstd_1m ivr_ff3factor_1m turn_1m std_turn_1m bias_turn_1m std_ret_10d std_vol_10d std_turn_10d
corr_ret_close corr_ret_open corr_ret_high corr_ret_low corr_ret_vwap corr_ret_vol corr_ret_turn
corr_vol_close corr_vol_open corr_vol_high corr_vol_low corr_vol_vwap low2high vwap2close kmid klen kmid2
kup kup2 klow klow2 ksft ksft2""".split()
# R1 table 32: drops the 10-day technicals (and low2high, vwap2close) and adds these
SPEC_XGB_EXTRA = """sales_g_q profit_g_q ocf_g_q roe_g_q roe_ttm roa_ttm roic_ttm gp_ttm np_ttm sales_var
profit_var ocf_var roe_var assetturnover_ttm ocfr_ttm currentdebt2debt ret_12m""".split()
SPEC_R3_TS = "pvo sse liq skew gap vts vcll rvr csl rev vclb kurtosis lip breadth".split()


def test_r1_names_are_the_spec_list():
    assert list(R1_FACTORS) == SPEC_R1
    assert len(R1_FACTORS) == 42


def test_xgb_names():
    dropped = {n for n in SPEC_R1 if n.startswith(("std_ret_", "std_vol_", "std_turn_10d", "corr_"))}
    dropped |= {"low2high", "vwap2close"}
    assert set(XGB_FACTORS) == (set(SPEC_R1) - dropped) | set(SPEC_XGB_EXTRA)
    assert len(XGB_FACTORS) == len(set(XGB_FACTORS)) == 42


def test_r3_lists():
    assert list(R3_TS_FEATURES) == SPEC_R3_TS
    assert {"pe_ind", "qroe", "deltapb", "illiq", "aavg", "stda"} <= set(R3_NODE_FEATURES)
    assert set(R3_EDGE_FEATURES) == {"cor_ret", "dlev", "z_rev", "cfr"}
    assert set(R3_FLOW_FEATURES) == {"flow_f", "deltatr", "corpv"}
    for s in FactorSet:
        assert set(FACTOR_SETS[s]) <= set(FACTORS)


def test_unknown_name_and_empty_range():
    bars = make_bars(2, 30)
    with pytest.raises(KeyError):
        compute_factors(FactorInputs(bars), ["nope"])
    with pytest.raises(DataContractError):
        compute_factors(FactorInputs(bars), ["kmid"], start="2030-01-01")
    with pytest.raises(DataContractError):
        compute_factors(FactorInputs(pd.concat([bars, bars.iloc[:1]])), ["kmid"])


def test_coverage():
    df = pd.DataFrame({"date": [1, 1, 2, 2], "code": list("abab"), "x": [1.0, np.nan, 2.0, 3.0], "y": [np.nan] * 4})
    df.attrs["absent"] = {"z": "missing"}
    assert factor_coverage(df) == {"x": 0.75, "y": 0.0, "z": 0.0}


def test_sequences_shape_and_values():
    bars = make_bars(n_stocks=3, n_days=60, seed=4, suspend={1: [55]})
    date = pd.Timestamp(np.sort(bars["date"].unique())[-1])
    codes, seq = daily_sequences(FactorInputs(bars), date, length=20)
    assert seq.shape == (3, 20, len(SEQUENCE_FIELDS)) and seq.dtype == np.float32
    b = bars[bars["code"] == codes[0]].sort_values("date").tail(20)
    adj = b["adj_factor"].to_numpy()
    c = b["close"].to_numpy() * adj
    np.testing.assert_allclose(seq[0, :, 3], c / c[-1], rtol=1e-6)
    np.testing.assert_allclose(seq[0, :, 1], b["high"].to_numpy() * adj / c[-1], rtol=1e-6)
    v = b["volume"].to_numpy()
    np.testing.assert_allclose(seq[0, :, 5], v / v.mean(), rtol=1e-6)
    # suspended day: price repeats the previous close, volume 0
    s1 = seq[1]
    assert s1[15, 5] == 0 and s1[15, 3] == pytest.approx(s1[14, 3])
    with pytest.raises(DataContractError):
        SequenceBuilder(FactorInputs(bars), 80)(date)


def test_compute_factor_sets_shares_one_context():
    bars = make_bars(n_stocks=3, n_days=90, seed=6)
    out = compute_factor_sets(FactorInputs(bars), [FactorSet.R3_FLOW, "r3_ts"], start=bars["date"].iloc[-1])
    assert set(out) == {FactorSet.R3_FLOW, FactorSet.R3_TS}
    assert list(out[FactorSet.R3_FLOW].columns) == ["date", "code", *R3_FLOW_FEATURES]
    single = compute_factors(FactorInputs(bars), R3_TS_FEATURES, start=bars["date"].iloc[-1])
    pd.testing.assert_frame_equal(out[FactorSet.R3_TS], single)


def _fewest_days_before_a_month(calendar: pd.DatetimeIndex, months: int) -> int:
    """Min over months m of the trading days in the ``months`` whole months before m, plus m's first day."""
    per_month = pd.Series(1, index=calendar.to_period("M")).groupby(level=0).sum().iloc[1:-1]  # whole months
    return int(per_month.rolling(months).sum().min()) + 1


def test_lookback_months_cover_the_lookback_days(request):
    from alpha_core.data.synthetic.calendar import trading_calendar
    from alpha_core.factors.registry import MAX_LOOKBACK_DAYS, MAX_LOOKBACK_MONTHS, months_covering

    assert (months_covering(504), months_covering(252), months_covering(237), months_covering(238)) == (26, 13, 12, 13)
    assert MAX_LOOKBACK_MONTHS == months_covering(MAX_LOOKBACK_DAYS) == 26
    calendars = [trading_calendar("2008-01-01", "2024-12-31")]
    shared = Path(os.environ.get("ALPHA_SHARED_DATA", Path(request.config.rootpath).parent / "shared" / "data"))
    real = shared / "cn_qlib" / "calendars" / "day.txt"
    if real.exists():
        calendars.append(pd.DatetimeIndex(pd.to_datetime(real.read_text().split())))
    for cal in calendars:
        assert _fewest_days_before_a_month(cal, MAX_LOOKBACK_MONTHS) >= MAX_LOOKBACK_DAYS
        assert _fewest_days_before_a_month(cal, MAX_LOOKBACK_MONTHS - 2) < MAX_LOOKBACK_DAYS  # 24 did not
