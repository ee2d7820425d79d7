"""Point-in-time expiry on the shared real data: its fundamentals end with the 2020 annual report
(announced on the 2021-04-30 deadline), so growth / profitability factors must die out ~7 months later."""

import pandas as pd
import pytest

from alpha_core.data.registry import open_source
from alpha_core.factors import FactorInputs, compute_factors
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.pit import DEFAULT_MAX_AGE_DAYS, PitConfig
from alpha_core.factors.staleness import report_staleness

pytestmark = pytest.mark.realdata
NAMES = [
    "sales_g_q",
    "profit_g_q",
    "ocf_g_q",
    "roe_g_q",
    "roe_ttm",
    "roa_ttm",
    "np_ttm",
    "sales_var",
    "profit_var",
    "roe_var",
]


@pytest.fixture(scope="module")
def real(shared_data):
    src = open_source(str(shared_data / "cn_qlib"))
    bars = src.bars(pd.Timestamp("2021-01-01"), pd.Timestamp("2022-12-30"))
    return bars, src.fundamentals()


def _coverage(df: pd.DataFrame, lo: str, hi: str) -> pd.Series:
    part = df[(df["date"] >= lo) & (df["date"] <= hi)]
    return part[NAMES].notna().mean()


def test_growth_and_profitability_expire_after_the_last_report(real):
    bars, fund = real
    last_announced = fund["announce_date"].max()
    assert last_announced == pd.Timestamp("2021-04-30")  # the data's premise; the rest follows from it
    expiry_day = last_announced + pd.Timedelta(days=DEFAULT_MAX_AGE_DAYS)
    inputs = FactorInputs(bars, fund)
    df = compute_factors(inputs, NAMES, "2021-06-01")
    alive = _coverage(df, "2021-06-01", str(expiry_day.date()))
    assert (alive > 0.3).all(), alive  # populated while the last report is fresh
    dead = _coverage(df, "2021-12-01", "2022-12-30")
    assert (dead == 0.0).all(), dead
    # the old carry-forward kept them ~40% populated for years
    forever = compute_factors(inputs, NAMES, "2021-12-01", context=FactorContext(inputs, PitConfig(None, None)))
    assert (_coverage(forever, "2021-12-01", "2022-12-30") > 0.3).all()


def test_staleness_at_the_end_of_the_data(real):
    bars, fund = real
    last = bars["date"].max()
    codes = bars.loc[bars["date"] == last, "code"].unique()
    s = report_staleness(fund, codes, last, DEFAULT_MAX_AGE_DAYS)
    with_report = len(set(codes) & set(fund["code"]))
    assert s.n_stale == with_report > 250 and s.n_without_report == len(codes) - with_report
    assert s.oldest_age_days == s.median_age_days == (last - fund["announce_date"].max()).days
