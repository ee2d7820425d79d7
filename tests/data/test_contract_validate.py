"""validate(): the first failure is reported with the right column, instrument and date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data import contract as C
from alpha_core.errors import DataContractError


def _bars(n_days: int = 3) -> pd.DataFrame:
    dates = pd.bdate_range("2021-03-01", periods=n_days)
    codes = ["SH600000", "SZ000001"]
    rows = len(dates) * len(codes)
    close = np.linspace(10, 11, rows)
    return pd.DataFrame(
        {
            "date": np.repeat(dates.values, len(codes)).astype("datetime64[ns]"),
            "code": pd.array(codes * len(dates), dtype="str"),
            "open": close,
            "high": close + 0.2,
            "low": close - 0.2,
            "close": close,
            "volume": np.full(rows, 1e6),
            "amount": close * 1e6,
            "vwap": close,
            "adj_factor": np.ones(rows),
            "turnover": np.full(rows, np.nan),
            "float_mcap": np.full(rows, np.nan),
            "total_mcap": np.full(rows, np.nan),
            "tradable": np.ones(rows, bool),
            "limit_up": close * 1.1,
            "limit_down": close * 0.9,
            "is_st": np.zeros(rows, bool),
        }
    )


def _loc(df: pd.DataFrame, schema=C.BARS_SCHEMA):
    with pytest.raises(DataContractError) as exc:
        C.validate(df, schema, source_file="x.parquet")
    loc = exc.value.location
    return loc.column, loc.instrument, loc.date


def test_valid_table_passes_unchanged():
    df = _bars()
    assert C.validate(df, C.BARS_SCHEMA) is df or C.validate(df, C.BARS_SCHEMA).equals(df)


def test_high_below_low_blames_high_low():
    df = _bars()
    df.loc[3, "high"] = df.loc[3, "low"] - 0.5
    assert _loc(df) == ("high/low", "SZ000001", "2021-03-02")


def test_close_above_high_blames_close():
    df = _bars()
    df.loc[4, "close"] = df.loc[4, "high"] + 1
    assert _loc(df) == ("close", "SH600000", "2021-03-03")


def test_open_outside_range_blames_open():
    df = _bars()
    df.loc[1, "open"] = df.loc[1, "low"] - 1
    assert _loc(df) == ("open", "SZ000001", "2021-03-01")


def test_negative_price_and_zero_factor():
    df = _bars()
    df.loc[2, ["open", "low", "close"]] = -1.0
    assert _loc(df) == ("open", "SH600000", "2021-03-02")
    df = _bars()
    df.loc[5, "adj_factor"] = 0.0
    assert _loc(df) == ("adj_factor", "SZ000001", "2021-03-03")


def test_null_in_non_nullable():
    df = _bars()
    df.loc[2, "adj_factor"] = np.nan
    col, inst, date = _loc(df)
    assert (col, inst, date) == ("adj_factor", "SH600000", "2021-03-02")


def test_duplicate_key():
    df = pd.concat([_bars(), _bars().iloc[[5]]], ignore_index=True)
    assert _loc(df) == ("date/code", "SZ000001", "2021-03-03")


def test_missing_and_extra_columns():
    assert _loc(_bars().drop(columns=["vwap"]))[0] == "vwap"
    assert _loc(_bars().assign(foo=1.0))[0] == "foo"


def test_wrong_dtype_reported():
    df = _bars()
    df["tradable"] = df["tradable"].astype(float)
    with pytest.raises(DataContractError) as exc:
        C.validate(df, C.BARS_SCHEMA)
    assert exc.value.location.column == "tradable"


def test_isin_and_row_rules_of_other_tables():
    inst = pd.DataFrame(
        {
            "code": pd.array(["SH600000", "SZ300001"], dtype="str"),
            "name": pd.array([None, None], dtype="str"),
            "board": pd.array(["main", "growth"], dtype="str"),
            "list_date": pd.to_datetime(["2000-01-01", "2010-01-01"]).as_unit("ns"),
            "delist_date": pd.to_datetime([None, None]).as_unit("ns"),
        }
    )
    assert _loc(inst, C.INSTRUMENTS_SCHEMA)[:2] == ("board", "SZ300001")
    fund = pd.DataFrame(
        {
            "code": pd.array(["SH600000"], dtype="str"),
            "report_period": pd.to_datetime(["2020-03-31"]).as_unit("ns"),
            "announce_date": pd.to_datetime(["2020-03-01"]).as_unit("ns"),
            **{c: [1.0] for c in C.FUNDAMENTAL_FLOWS + C.FUNDAMENTAL_STOCKS + ["roe"]},
        }
    )
    assert _loc(fund, C.FUNDAMENTALS_SCHEMA) == ("announce_date", "SH600000", "2020-03-31")
