"""clean_quarterly(): units, year-to-date -> single quarter, announcement lag (hand-made fixture)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import FUNDAMENTAL_COLUMNS
from alpha_core.data.qlib import announce_deadline, clean_quarterly


def _raw() -> pd.DataFrame:
    rows = []
    # YTD code: cumulative revenue 10, 25, 45, 70 (single quarters 10, 15, 20, 25), two years
    for fy in (2017, 2018):
        for q, (rev, npf, ocf) in enumerate([(10, 1, 2), (25, 3, 3), (45, 6, 5), (70, 10, 9)], start=1):
            rows.append(("600001.SH", f"Q{q} FY{fy}", rev, ocf, 5.0, npf, 300.0, 100.0))
    # single-quarter code with a bank-like balance sheet written in trillions (2.5 = 25,000 x 100M)
    for fy in (2017, 2018):
        for q, rev in enumerate([40, 42, 41, 45], start=1):
            rows.append(("000001.SZ", f"Q{q} FY{fy}", rev, 30.0, 3.0, 12.0, 2.5, 2.3))
    return pd.DataFrame(
        rows,
        columns=["code", "report_date", "revenue", "ocf", "roe", "net_profit", "total_assets", "total_liabilities"],
    )


def test_ytd_code_converted_to_single_quarters():
    f = clean_quarterly(_raw())
    assert list(f.columns) == FUNDAMENTAL_COLUMNS
    a = f[f["code"] == "SH600001"].set_index("report_period")
    np.testing.assert_allclose(a["revenue"].to_numpy() / 1e8, [10, 15, 20, 25] * 2)
    np.testing.assert_allclose(a["net_profit"].to_numpy() / 1e8, [1, 2, 3, 4] * 2)
    np.testing.assert_allclose(a["ocf"].to_numpy() / 1e8, [2, 1, 2, 4] * 2)
    np.testing.assert_allclose(a["book_value"].to_numpy(), 200e8)
    np.testing.assert_allclose(a["roe"].to_numpy(), np.array([1, 2, 3, 4] * 2) / 200)


def test_single_quarter_code_kept_and_trillions_repaired():
    b = clean_quarterly(_raw()).query("code == 'SZ000001'")
    np.testing.assert_allclose(b["revenue"].to_numpy() / 1e8, [40, 42, 41, 45] * 2)
    np.testing.assert_allclose(b["total_assets"].to_numpy(), 2.5e12)
    np.testing.assert_allclose(b["total_liabilities"].to_numpy(), 2.3e12)
    assert b["gross_profit"].isna().all() and b["dividends"].isna().all()


def test_missing_previous_quarter_gives_nan():
    raw = _raw()
    raw = raw[~((raw["code"] == "600001.SH") & (raw["report_date"] == "Q2 FY2018"))]
    a = clean_quarterly(raw).query("code == 'SH600001'").set_index("report_period")
    assert np.isnan(a.loc[pd.Timestamp("2018-09-30"), "revenue"])
    assert a.loc[pd.Timestamp("2018-12-31"), "revenue"] == pytest.approx(25e8)


def test_announce_deadlines():
    periods = pd.Series(pd.to_datetime(["2016-03-31", "2016-06-30", "2016-09-30", "2016-12-31"]))
    assert announce_deadline(periods).tolist() == list(
        pd.to_datetime(["2016-04-30", "2016-08-31", "2016-10-31", "2017-04-30"])
    )
    f = clean_quarterly(_raw())
    assert (f["announce_date"] > f["report_period"]).all()


def test_bad_quarter_label():
    raw = _raw()
    raw.loc[3, "report_date"] = "2017Q4"
    from alpha_core.errors import DataContractError

    with pytest.raises(DataContractError) as exc:
        clean_quarterly(raw, file="f.csv")
    assert exc.value.location.column == "report_date" and exc.value.location.instrument == "SH600001"
