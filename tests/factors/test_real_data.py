"""The R1 table, universe and labels on a slice of the real shared data (../shared/data)."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.qlib import QlibSource
from alpha_core.factors import R1_FACTORS, XGB_FACTORS, FactorInputs, compute_factors, factor_coverage
from alpha_core.labels import compute_labels
from alpha_core.universe import build_universe

pytestmark = pytest.mark.realdata
START, END = pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31")


@pytest.fixture(scope="module")
def real(shared_data):
    src = QlibSource(shared_data / "cn_qlib", shared_data / "cn_extra")
    bars = src.bars(pd.Timestamp("2018-01-01"), END)
    return src, bars, FactorInputs(bars, src.fundamentals(), None, src.industry_map(), src.instruments())


def test_r1_table_builds_with_coverage(real):
    src, bars, inputs = real
    df = compute_factors(inputs, R1_FACTORS + XGB_FACTORS, START, END)
    con = {"con_eps_g", "con_roe_g", "con_np_g"}
    assert set(df.attrs["absent"]) == con  # the real source has no consensus: absent, not filled
    assert set(R1_FACTORS) - con <= set(df.columns)
    assert df["date"].min() >= START and df["date"].max() <= END
    cov = factor_coverage(df)
    # price/volume factors are nearly complete; turnover needs the 2020+ daily detail (CSI 300 subset)
    for name in ("ret_5d", "ret_1m", "std_1m", "ivr_ff3factor_1m", "corr_vol_close", "kmid", "ksft2"):
        assert cov[name] > 0.95, (name, cov[name])
    for name in ("turn_1m", "bp_lf", "ep_ttm", "sales_g_q"):
        assert 0.2 < cov[name] < 1.0, (name, cov[name])
    # columns the real fundamentals never fill are reported empty, not invented
    assert "gp_ttm" in df.attrs["empty"] and "currentdebt2debt" in df.attrs["empty"]
    vals = df[list(set(R1_FACTORS) - con)].to_numpy(np.float64)
    assert np.isfinite(vals[~np.isnan(vals)]).all()


def test_universe_and_labels_on_real_data(real, shared_data):
    src, bars, _ = real
    u = build_universe(bars, src.instruments(), src.index_weights(START, END), START, END)
    daily = u.groupby("date")[["r1", "in_csi300"]].sum()
    assert daily["in_csi300"].between(250, 300).all()
    assert (daily["r1"] > 50).all()
    lab = compute_labels(bars, START, END)
    assert lab["y_vwap10"].notna().mean() > 0.9
    assert lab.groupby("date")["y_vwap10_rank"].mean().abs().max() < 1e-9
