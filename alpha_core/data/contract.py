"""The data contract: the tables every data source must provide.

All tables are long pandas DataFrames. Conventions:
``date`` is ``datetime64[ns]`` at midnight (no tz); ``code`` is the canonical
code of :mod:`alpha_core.data.codes`; money in CNY; prices RAW (unadjusted).
The adjusted (total-return) price is ``close * adj_factor``.

Tables and columns (``BARS_COLUMNS`` etc. below are the source of truth):

bars (one row per trading day and listed instrument, suspension days included):
    date, code, open, high, low, close (raw CNY), volume (shares),
    amount (CNY), vwap (raw CNY, amount/volume; NaN when suspended),
    adj_factor (adjusted = raw * adj_factor), turnover (volume / float
    shares, a fraction; NaN when the source lacks shares), float_mcap,
    total_mcap (CNY; NaN when unknown), tradable (False on suspension),
    limit_up, limit_down (raw CNY price limits of the day), is_st (ST, *ST or
    delisting period).
instruments: code, name, board (:class:`Board`), list_date, delist_date (NaT while listed).
industry_map: code, start_date, end_date (NaT open-ended), industry (level-1 name,
    English snake_case), sector (:class:`Sector`).
index_levels: date, index_code, close.
index_weights: date, index_code, code, weight (weights of one index on one date sum to 1).
fundamentals (point-in-time): code, report_period (quarter end), announce_date,
    then SINGLE-QUARTER flows revenue, net_profit, ocf, gross_profit, dividends
    and period-end stocks book_value, total_assets, total_liabilities,
    current_liabilities; roe (single-quarter net_profit / book_value).
    A value may be used on dates strictly after announce_date's trading day
    (``announce_date < date``: announcements are often after the close).
consensus: date, code, con_eps_fy1, con_roe_fy1, con_np_fy1 (analyst FY1 consensus
    as known on that date; optional: absent for most real sources).
macro_raw: series (:class:`MacroSeries`), period (observation date: month start for
    monthly series, the day for daily), value, release_date (first date the value
    was public).
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import pandera.pandas as pa

from alpha_core.errors import DataContractError, Location


class Board(StrEnum):
    """Listing board; decides the daily price limit."""

    MAIN = "main"  # SH 60xxxx, SZ 00xxxx: 10%
    CHINEXT = "chinext"  # SZ 30xxxx: 20% since 2020-08-24, 10% before
    STAR = "star"  # SH 688xxx: 20%
    BSE = "bse"  # BJ: 30%
    INDEX = "index"


class Sector(StrEnum):
    """The five sectors of R1 (SPEC section 2)."""

    CYCLICAL = "cyclical"
    CONSUMER = "consumer"
    FINANCIAL = "financial"
    GROWTH = "growth"
    STABLE = "stable"


class MacroSeries(StrEnum):
    M2 = "m2"  # money supply level, 100M CNY, monthly
    CGB10Y = "cgb10y"  # 10-year government bond yield, percent


BARS_COLUMNS = [
    "date", "code", "open", "high", "low", "close", "volume", "amount", "vwap",
    "adj_factor", "turnover", "float_mcap", "total_mcap", "tradable",
    "limit_up", "limit_down", "is_st",
]
INSTRUMENT_COLUMNS = ["code", "name", "board", "list_date", "delist_date"]
INDUSTRY_COLUMNS = ["code", "start_date", "end_date", "industry", "sector"]
INDEX_LEVEL_COLUMNS = ["date", "index_code", "close"]
INDEX_WEIGHT_COLUMNS = ["date", "index_code", "code", "weight"]
FUNDAMENTAL_FLOWS = ["revenue", "net_profit", "ocf", "gross_profit", "dividends"]
FUNDAMENTAL_STOCKS = ["book_value", "total_assets", "total_liabilities", "current_liabilities"]
FUNDAMENTAL_COLUMNS = ["code", "report_period", "announce_date", *FUNDAMENTAL_FLOWS, *FUNDAMENTAL_STOCKS, "roe"]
CONSENSUS_COLUMNS = ["date", "code", "con_eps_fy1", "con_roe_fy1", "con_np_fy1"]
MACRO_COLUMNS = ["series", "period", "value", "release_date"]

_price = pa.Column(float, pa.Check.ge(0), nullable=True)
_num = pa.Column(float, nullable=True)
_date = pa.Column("datetime64[ns]", nullable=False)

BARS_SCHEMA = pa.DataFrameSchema(
    {
        "date": _date,
        "code": pa.Column(str, nullable=False),
        "open": _price, "high": _price, "low": _price, "close": _price,
        "volume": pa.Column(float, pa.Check.ge(0), nullable=True),
        "amount": pa.Column(float, pa.Check.ge(0), nullable=True),
        "vwap": _price,
        "adj_factor": pa.Column(float, pa.Check.gt(0), nullable=False),
        "turnover": pa.Column(float, pa.Check.ge(0), nullable=True),
        "float_mcap": pa.Column(float, pa.Check.ge(0), nullable=True),
        "total_mcap": pa.Column(float, pa.Check.ge(0), nullable=True),
        "tradable": pa.Column(bool, nullable=False),
        "limit_up": _price, "limit_down": _price,
        "is_st": pa.Column(bool, nullable=False),
    },
    checks=[
        pa.Check(lambda d: (d["high"] >= d["low"]) | d["high"].isna() | d["low"].isna(),
                 name="high>=low", element_wise=False),
        pa.Check(lambda d: ((d["high"] >= d[["open", "close"]].max(axis=1) - 1e-6)
                            & (d["low"] <= d[["open", "close"]].min(axis=1) + 1e-6))
                 | d[["open", "high", "low", "close"]].isna().any(axis=1),
                 name="low<=open,close<=high", element_wise=False),
    ],
    unique=["date", "code"],
    strict=True,
    ordered=False,
    coerce=False,
)

INSTRUMENTS_SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str, unique=True),
        "name": pa.Column(str, nullable=True),
        "board": pa.Column(str, pa.Check.isin([b.value for b in Board])),
        "list_date": _date,
        "delist_date": pa.Column("datetime64[ns]", nullable=True),
    },
    strict=True,
)

INDUSTRY_SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str),
        "start_date": _date,
        "end_date": pa.Column("datetime64[ns]", nullable=True),
        "industry": pa.Column(str),
        "sector": pa.Column(str, pa.Check.isin([s.value for s in Sector])),
    },
    strict=True,
)

INDEX_WEIGHTS_SCHEMA = pa.DataFrameSchema(
    {
        "date": _date,
        "index_code": pa.Column(str),
        "code": pa.Column(str),
        "weight": pa.Column(float, [pa.Check.ge(0), pa.Check.le(1)]),
    },
    unique=["date", "index_code", "code"],
    strict=True,
)

INDEX_LEVELS_SCHEMA = pa.DataFrameSchema(
    {"date": _date, "index_code": pa.Column(str), "close": pa.Column(float, pa.Check.gt(0))},
    unique=["date", "index_code"],
    strict=True,
)

FUNDAMENTALS_SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str),
        "report_period": _date,
        "announce_date": _date,
        **{c: _num for c in FUNDAMENTAL_FLOWS + FUNDAMENTAL_STOCKS + ["roe"]},
    },
    checks=[pa.Check(lambda d: d["announce_date"] > d["report_period"], name="announce_date>report_period",
                     element_wise=False)],
    unique=["code", "report_period"],
    strict=True,
)

CONSENSUS_SCHEMA = pa.DataFrameSchema(
    {"date": _date, "code": pa.Column(str), "con_eps_fy1": _num, "con_roe_fy1": _num, "con_np_fy1": _num},
    unique=["date", "code"],
    strict=True,
)

MACRO_SCHEMA = pa.DataFrameSchema(
    {
        "series": pa.Column(str, pa.Check.isin([m.value for m in MacroSeries])),
        "period": _date,
        "value": pa.Column(float, nullable=False),
        "release_date": _date,
    },
    checks=[pa.Check(lambda d: d["release_date"] >= d["period"], name="release_date>=period", element_wise=False)],
    unique=["series", "period"],
    strict=True,
)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, *, source_file: str | None = None) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise :class:`DataContractError` naming the first failure.

    The error names the source file, the column, the instrument (``code``) and
    the date of the first offending row, instead of a pandera/numpy traceback.
    """
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0]
        column = first.get("column")
        index = first.get("index")
        instrument = date = None
        if index is not None and not pd.isna(index) and index in df.index:
            row = df.loc[index]
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            instrument = str(row["code"]) if "code" in row else None
            for key in ("date", "report_period", "period"):
                if key in row and not pd.isna(row[key]):
                    date = str(pd.Timestamp(row[key]).date())
                    break
        elif column is None or pd.isna(column):
            column = None
        check = first.get("check")
        n = len(cases)
        raise DataContractError(
            f"{schema.name or 'table'} violates check {check!r} ({n} failing case(s); "
            f"first value {first.get('failure_case')!r})",
            Location(file=source_file, column=None if column is None or pd.isna(column) else str(column),
                     instrument=instrument, date=date),
        ) from None
