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

from collections.abc import Callable
from enum import StrEnum

import numpy as np
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
    "date",
    "code",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "vwap",
    "adj_factor",
    "turnover",
    "float_mcap",
    "total_mcap",
    "tradable",
    "limit_up",
    "limit_down",
    "is_st",
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
    name="bars",
    columns={
        "date": _date,
        "code": pa.Column(str, nullable=False),
        "open": _price,
        "high": _price,
        "low": _price,
        "close": _price,
        "volume": pa.Column(float, pa.Check.ge(0), nullable=True),
        "amount": pa.Column(float, pa.Check.ge(0), nullable=True),
        "vwap": _price,
        "adj_factor": pa.Column(float, pa.Check.gt(0), nullable=False),
        "turnover": pa.Column(float, pa.Check.ge(0), nullable=True),
        "float_mcap": pa.Column(float, pa.Check.ge(0), nullable=True),
        "total_mcap": pa.Column(float, pa.Check.ge(0), nullable=True),
        "tradable": pa.Column(bool, nullable=False),
        "limit_up": _price,
        "limit_down": _price,
        "is_st": pa.Column(bool, nullable=False),
    },
    checks=[
        pa.Check(
            lambda d: (d["high"] >= d["low"]) | d["high"].isna() | d["low"].isna(), name="high>=low", element_wise=False
        ),
        pa.Check(
            lambda d: (
                (
                    (d["high"] >= d[["open", "close"]].max(axis=1) - 1e-6)
                    & (d["low"] <= d[["open", "close"]].min(axis=1) + 1e-6)
                )
                | d[["open", "high", "low", "close"]].isna().any(axis=1)
            ),
            name="low<=open,close<=high",
            element_wise=False,
        ),
    ],
    unique=["date", "code"],
    strict=True,
    ordered=False,
    coerce=False,
)

INSTRUMENTS_SCHEMA = pa.DataFrameSchema(
    name="instruments",
    columns={
        "code": pa.Column(str, unique=True),
        "name": pa.Column(str, nullable=True),
        "board": pa.Column(str, pa.Check.isin([b.value for b in Board])),
        "list_date": _date,
        "delist_date": pa.Column("datetime64[ns]", nullable=True),
    },
    strict=True,
)

INDUSTRY_SCHEMA = pa.DataFrameSchema(
    name="industry_map",
    columns={
        "code": pa.Column(str),
        "start_date": _date,
        "end_date": pa.Column("datetime64[ns]", nullable=True),
        "industry": pa.Column(str),
        "sector": pa.Column(str, pa.Check.isin([s.value for s in Sector])),
    },
    strict=True,
)

INDEX_WEIGHTS_SCHEMA = pa.DataFrameSchema(
    name="index_weights",
    columns={
        "date": _date,
        "index_code": pa.Column(str),
        "code": pa.Column(str),
        "weight": pa.Column(float, [pa.Check.ge(0), pa.Check.le(1)]),
    },
    unique=["date", "index_code", "code"],
    strict=True,
)

INDEX_LEVELS_SCHEMA = pa.DataFrameSchema(
    name="index_levels",
    columns={"date": _date, "index_code": pa.Column(str), "close": pa.Column(float, pa.Check.gt(0))},
    unique=["date", "index_code"],
    strict=True,
)

FUNDAMENTALS_SCHEMA = pa.DataFrameSchema(
    name="fundamentals",
    columns={
        "code": pa.Column(str),
        "report_period": _date,
        "announce_date": _date,
        **{c: _num for c in FUNDAMENTAL_FLOWS + FUNDAMENTAL_STOCKS + ["roe"]},
    },
    checks=[
        pa.Check(
            lambda d: d["announce_date"] > d["report_period"], name="announce_date>report_period", element_wise=False
        )
    ],
    unique=["code", "report_period"],
    strict=True,
)

CONSENSUS_SCHEMA = pa.DataFrameSchema(
    name="consensus",
    columns={"date": _date, "code": pa.Column(str), "con_eps_fy1": _num, "con_roe_fy1": _num, "con_np_fy1": _num},
    unique=["date", "code"],
    strict=True,
)

MACRO_SCHEMA = pa.DataFrameSchema(
    name="macro_raw",
    columns={
        "series": pa.Column(str, pa.Check.isin([m.value for m in MacroSeries])),
        "period": _date,
        "value": pa.Column(float, nullable=False),
        "release_date": _date,
    },
    checks=[pa.Check(lambda d: d["release_date"] >= d["period"], name="release_date>=period", element_wise=False)],
    unique=["series", "period"],
    strict=True,
)


# --- precise validation ---------------------------------------------------------------------------
#
# pandera's wide (dataframe-level) checks report the failing *row* but blame whatever column
# pandera happens to pick (often ``date``), and its element checks are slow on millions of rows.
# ``validate`` therefore runs, in this order, fully vectorised checks that know which column to
# blame: (1) column set, (2) nulls and the per-column range checks declared in the schema,
# (3) uniqueness of the key, (4) the row-level consistency rules below; only then pandera itself
# (dtypes and anything the fast path does not understand).

RowRule = tuple[str, str, Callable[[pd.DataFrame], np.ndarray]]
"""(rule name, blamed column(s), function returning a bool mask of FAILING rows)."""


def _num_arr(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(dtype=np.float64, na_value=np.nan)


def _high_lt_low(df: pd.DataFrame) -> np.ndarray:
    return _num_arr(df, "high") < _num_arr(df, "low")  # NaN compares False: missing is not a violation


def _open_outside(df: pd.DataFrame) -> np.ndarray:
    o, h, lo = _num_arr(df, "open"), _num_arr(df, "high"), _num_arr(df, "low")
    return (o > h + 1e-6) | (o < lo - 1e-6)


def _close_outside(df: pd.DataFrame) -> np.ndarray:
    c, h, lo = _num_arr(df, "close"), _num_arr(df, "high"), _num_arr(df, "low")
    return (c > h + 1e-6) | (c < lo - 1e-6)


def _limit_order(df: pd.DataFrame) -> np.ndarray:
    return _num_arr(df, "limit_down") > _num_arr(df, "limit_up")


def _announce_after_period(df: pd.DataFrame) -> np.ndarray:
    return ~(df["announce_date"].to_numpy() > df["report_period"].to_numpy())


def _release_after_period(df: pd.DataFrame) -> np.ndarray:
    return ~(df["release_date"].to_numpy() >= df["period"].to_numpy())


ROW_RULES: dict[str, list[RowRule]] = {
    "bars": [
        ("high>=low", "high/low", _high_lt_low),
        ("low<=open<=high", "open", _open_outside),
        ("low<=close<=high", "close", _close_outside),
        ("limit_down<=limit_up", "limit_up/limit_down", _limit_order),
    ],
    "fundamentals": [("announce_date>report_period", "announce_date", _announce_after_period)],
    "macro_raw": [("release_date>=period", "release_date", _release_after_period)],
}
"""Row-level rules per schema name; each names the column(s) a failure is blamed on."""


def _where(df: pd.DataFrame, mask: np.ndarray) -> tuple[int, str | None, str | None]:
    """(failure count, instrument, date) of the first True row of ``mask``."""
    idx = np.flatnonzero(mask)
    pos = int(idx[0])
    instrument = None
    for key in ("code", "index_code", "series"):
        if key in df.columns:
            value = df[key].iloc[pos]
            instrument = None if pd.isna(value) else str(value)
            break
    date = None
    for key in ("date", "report_period", "period", "start_date"):
        if key in df.columns:
            value = df[key].iloc[pos]
            if not pd.isna(value):
                date = str(pd.Timestamp(value).date())
            break
    return len(idx), instrument, date


def _fail(
    schema: pa.DataFrameSchema,
    df: pd.DataFrame,
    mask: np.ndarray,
    what: str,
    column: str | None,
    source_file: str | None,
    value: object = None,
) -> None:
    n, instrument, date = _where(df, mask)
    raise DataContractError(
        f"{schema.name or 'table'}: {what} ({n} failing row(s))",
        Location(
            file=source_file,
            column=column,
            instrument=instrument,
            date=date,
            value=None if value is None else repr(value),
        ),
    )


def _infinite(values: pd.Series) -> np.ndarray | None:
    """Mask of +/-inf in a float column (None for other dtypes): no vendor value is infinite."""
    if not pd.api.types.is_float_dtype(values.dtype):
        return None
    return np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan))


def _column_check_mask(values: pd.Series, check: pa.Check) -> np.ndarray | None:
    """Failing-row mask of one declared pandera check, or None when the fast path does not know it."""
    stats = check.statistics or {}
    if check.name == "isin":
        return (~values.isin(stats["allowed_values"]) & values.notna()).to_numpy()
    if check.name not in ("greater_than_or_equal_to", "greater_than", "less_than_or_equal_to", "less_than"):
        return None
    if not (pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)):
        return None
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    bound = stats.get("min_value", stats.get("max_value"))
    with np.errstate(invalid="ignore"):
        ok = {
            "greater_than_or_equal_to": arr >= bound,
            "greater_than": arr > bound,
            "less_than_or_equal_to": arr <= bound,
            "less_than": arr < bound,
        }[check.name]
    return ~ok & ~np.isnan(arr)


def _describe_check(check: pa.Check) -> str:
    stats = check.statistics or {}
    ops = {"greater_than_or_equal_to": ">=", "greater_than": ">", "less_than_or_equal_to": "<=", "less_than": "<"}
    if check.name in ops:
        return f"value must be {ops[check.name]} {stats.get('min_value', stats.get('max_value'))}"
    if check.name == "isin":
        return f"value must be one of {sorted(map(str, stats['allowed_values']))}"
    return str(check.name)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, *, source_file: str | None = None) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise :class:`DataContractError` naming the first failure.

    Checks, each vectorised over the whole table: the exact column set (missing or unexpected
    columns are named), nulls in non-nullable columns, +/-inf in any float column, the range / membership checks declared on
    each column (e.g. ``volume >= 0``), uniqueness of the schema's key (``unique=[date, code]``),
    the row rules of :data:`ROW_RULES` (e.g. ``high >= low``, blamed on ``high/low``), then the
    pandera schema itself (dtypes). The error's :class:`Location` names ``source_file``, the
    column, the instrument (``code``) and date of the first offending row, and its value.

    Returns:
        ``df`` unchanged (same object) when it is valid.
    """
    name = schema.name or "table"
    expected = list(schema.columns)
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise DataContractError(f"{name}: missing column(s) {missing}", Location(file=source_file, column=missing[0]))
    if schema.strict:
        extra = [c for c in df.columns if c not in schema.columns]
        if extra:
            raise DataContractError(
                f"{name}: unexpected column(s) {extra}", Location(file=source_file, column=str(extra[0]))
            )
    if len(df) == 0:
        return schema.validate(df)
    for col, spec in schema.columns.items():
        values = df[col]
        if not spec.nullable:
            nulls = values.isna().to_numpy()
            if nulls.any():
                _fail(schema, df, nulls, "missing value in a non-nullable column", col, source_file)
        if spec.unique:
            dup = values.duplicated(keep="first").to_numpy() & values.notna().to_numpy()
            if dup.any():
                _fail(schema, df, dup, f"duplicate value in unique column {col!r}", col, source_file)
        inf = _infinite(values)
        if inf is not None and inf.any():
            first = float(values.to_numpy()[np.flatnonzero(inf)[0]])
            _fail(schema, df, inf, f"non-finite value {first!r}", col, source_file, first)
        for check in spec.checks:
            bad = _column_check_mask(values, check)
            if bad is not None and bad.any():
                first = values.to_numpy()[np.flatnonzero(bad)[0]]
                _fail(schema, df, bad, f"{_describe_check(check)}, got {first!r}", col, source_file, first)
    if schema.unique:
        keys = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique)
        dup = df.duplicated(subset=keys, keep="first").to_numpy()
        if dup.any():
            _fail(schema, df, dup, f"duplicate rows for key ({', '.join(keys)})", "/".join(keys), source_file)
    for rule, column, fn in ROW_RULES.get(name, []):
        bad = fn(df)
        if bad.any():
            _fail(schema, df, bad, f"violates {rule}", column, source_file)
    # dtypes and anything the fast path does not cover; the wide checks were done above
    try:
        return _dtype_schema(schema).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        column = first.get("column")
        column = None if column is None or pd.isna(column) else str(column)
        raise DataContractError(
            f"{name}: {first.get('check')!r} failed (first value {first.get('failure_case')!r})",
            Location(file=source_file, column=column),
        ) from None


_DTYPE_SCHEMAS: dict[int, pa.DataFrameSchema] = {}


def _dtype_schema(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """``schema`` without the checks the fast path already ran (cached): dtypes, columns only."""
    key = id(schema)
    if key not in _DTYPE_SCHEMAS:
        columns = {c: pa.Column(s.dtype, nullable=True, required=s.required) for c, s in schema.columns.items()}
        _DTYPE_SCHEMAS[key] = pa.DataFrameSchema(name=schema.name, columns=columns, strict=schema.strict)
    return _DTYPE_SCHEMAS[key]
