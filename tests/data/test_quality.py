"""Bar quality checks on a hand-built 3-stock, 2-day table."""

import pandas as pd
import pytest

from alpha_core.data.quality import BarCheck, check_bars, check_calendar, check_non_negative, check_ohlc, check_unique
from alpha_core.errors import DataContractError

CAL = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"])


def _bars() -> pd.DataFrame:
    rows = []
    for d in CAL[:2]:
        for c in ("SH600000", "SH600001", "SZ000001"):
            rows.append((d, c, 10.0, 10.5, 9.8, 10.2, 10.1, 100.0, 1010.0, 11.0, 9.0))
    return pd.DataFrame(
        rows,
        columns=["date", "code", "open", "high", "low", "close", "vwap", "volume", "amount", "limit_up", "limit_down"],
    )


def test_clean_bars_pass_every_check():
    assert all(o.passed for o in check_bars(_bars(), CAL[:2]))


def test_close_above_high_names_stock_and_day():
    df = _bars()
    df.loc[4, "close"] = 10.6  # SH600001 on 2024-01-03
    out = check_ohlc(df)
    assert (out.check, out.passed, out.failures) == (BarCheck.OHLC_CONSISTENT, False, 1)
    assert (out.first.column, out.first.instrument, out.first.date) == ("close", "SH600001", "2024-01-03")
    with pytest.raises(DataContractError, match="close"):
        out.raise_if_failed("vendor.csv")


def test_duplicates_negatives_and_calendar():
    df = pd.concat([_bars(), _bars().iloc[[0]]], ignore_index=True)
    assert check_unique(df).failures == 1
    neg = _bars()
    neg.loc[2, "volume"] = -1.0
    out = check_non_negative(neg)
    assert not out.passed and out.first.column == "volume" and out.first.instrument == "SZ000001"
    gap = check_calendar(_bars(), CAL.delete(1).append(pd.DatetimeIndex(["2024-01-05"])))
    assert not gap.passed and gap.first.date == "2024-01-03"  # a bar on a non-trading day
    missing = check_calendar(_bars()[_bars()["date"] == CAL[0]], CAL)
    assert missing.passed  # the bars' own span is one day: nothing missing inside it
