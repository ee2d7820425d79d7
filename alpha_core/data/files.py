"""A :class:`~alpha_core.data.source.DataSource` over a directory of Parquet or CSV files.

This is the way to bring Tushare / AkShare / Wind / vendor exports: write one file per table
in the project's own schema (below) and point ``ALPHA_DATA`` at the directory.

Directory layout (each table either ``<name>.parquet`` or ``<name>.csv``; Parquet wins when both exist)::

    bars            REQUIRED  one row per trading day and listed stock (suspension days included)
    instruments     optional  derived from bars when absent (list_date = first bar, board from the code)
    industry_map    optional
    index_levels    optional
    index_weights   optional
    fundamentals    optional
    consensus       optional
    macro           optional  (``macro_raw`` is accepted as the file name too)
    calendar.csv    optional  one column ``date``; default: the distinct dates of bars

Columns (names and meaning exactly as :mod:`alpha_core.data.contract`; money in CNY, prices RAW):

* bars: date, code, open, high, low, close, volume (shares) are required. Optional, derived
  when absent: amount (NaN: never invented), vwap (amount / volume; NaN when suspended),
  adj_factor (1.0, i.e. the export is treated as unadjusted), turnover / float_mcap /
  total_mcap (NaN), tradable (volume > 0; a NaN close on a day with volume or marked tradable
  fails, or with ``RepairPolicy.REPAIR`` makes the row untradable), limit_up / limit_down (previous close of the stock x
  (1 +/- board limit), rounded half-up to the cent, as in :func:`alpha_core.data.limits.limit_prices`),
  is_st (False).
* instruments: code, name, board, list_date, delist_date.
* industry_map: code, start_date, end_date, industry, sector.
* index_levels: date, index_code, close.  index_weights: date, index_code, code, weight.
* fundamentals: code, report_period, announce_date, revenue, net_profit, ocf, gross_profit,
  dividends, book_value, total_assets, total_liabilities, current_liabilities, roe (missing
  value columns are added as NaN).
* consensus: date, code, con_eps_fy1, con_roe_fy1, con_np_fy1.
* macro: series (``m2`` / ``cgb10y``), period, value, release_date.

Normalisation on read: every ``code`` / ``index_code`` in any supported spelling (``SH600000``,
``sh.600000``, ``600000.SH``, ``600000.XSHG``) becomes canonical; date columns are parsed to
``datetime64[ns]`` at midnight; bool columns accept true/false/1/0. Then each table is validated
(:func:`alpha_core.data.contract.validate`): errors name the file, column, instrument and date.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from alpha_core.data import contract as C
from alpha_core.data.codes import boards_of, normalize_codes
from alpha_core.data.repairs import Repair, RepairConfig, RepairCounts, RepairPolicy
from alpha_core.errors import DataContractError, Location, MissingInputError

log = logging.getLogger(__name__)

TABLES: dict[str, tuple[list[str], object]] = {
    "bars": (C.BARS_COLUMNS, C.BARS_SCHEMA),
    "instruments": (C.INSTRUMENT_COLUMNS, C.INSTRUMENTS_SCHEMA),
    "industry_map": (C.INDUSTRY_COLUMNS, C.INDUSTRY_SCHEMA),
    "index_levels": (C.INDEX_LEVEL_COLUMNS, C.INDEX_LEVELS_SCHEMA),
    "index_weights": (C.INDEX_WEIGHT_COLUMNS, C.INDEX_WEIGHTS_SCHEMA),
    "fundamentals": (C.FUNDAMENTAL_COLUMNS, C.FUNDAMENTALS_SCHEMA),
    "consensus": (C.CONSENSUS_COLUMNS, C.CONSENSUS_SCHEMA),
    "macro": (C.MACRO_COLUMNS, C.MACRO_SCHEMA),
}
_DATE_COLS = {
    "date",
    "list_date",
    "delist_date",
    "start_date",
    "end_date",
    "report_period",
    "announce_date",
    "period",
    "release_date",
}
_CODE_COLS = {"code", "index_code"}
_BOOL_COLS = {"tradable", "is_st"}
_STR_COLS = {"name", "board", "industry", "sector", "series"}
_BARS_REQUIRED = ["date", "code", "open", "high", "low", "close", "volume"]
_SORT = {
    "bars": ["date", "code"],
    "instruments": ["code"],
    "industry_map": ["code", "start_date"],
    "index_levels": ["date", "index_code"],
    "index_weights": ["date", "index_code", "code"],
    "fundamentals": ["code", "report_period"],
    "consensus": ["date", "code"],
    "macro": ["series", "period"],
}


def _find(path: Path, table: str) -> Path | None:
    names = [table, "macro_raw"] if table == "macro" else [table]
    for name in names:
        for ext in ("parquet", "csv"):
            f = path / f"{name}.{ext}"
            if f.exists():
                return f
    return None


def _read(file: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The table in ``file`` (only ``columns`` when given); an unreadable or empty file raises naming it."""
    try:
        if file.suffix == ".parquet":
            return pd.read_parquet(file, columns=columns)
        return pd.read_csv(file, dtype={"code": str, "index_code": str}, usecols=columns)
    except pd.errors.EmptyDataError:
        raise DataContractError("empty file (not even a header line)", Location(file=str(file))) from None
    except Exception as exc:  # noqa: BLE001 - any reader failure is a contract failure of that file
        raise DataContractError(f"cannot read table: {exc}", Location(file=str(file))) from None


def _line(file: Path, pos: int) -> int:
    """Where row ``pos`` (0-based, file order) sits: its 1-based line in a CSV (the header is
    line 1), its 0-based row in a Parquet file."""
    return pos if file.suffix == ".parquet" else pos + 2


def _parse_dates(s: pd.Series, file: Path, col: str) -> pd.Series:
    """``s`` as datetime64[ns] at midnight; the first unparsable value raises with its value and line."""
    try:
        return pd.to_datetime(s).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        pass
    for pos, value in enumerate(s.to_numpy()):
        try:
            pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise DataContractError(
                f"unparsable date {value!r}",
                Location(file=str(file), column=col, value=repr(value), line=_line(file, pos)),
            ) from None
    # each value parses alone but not together (e.g. mixed formats): name the column
    raise DataContractError("dates in mixed formats (use YYYY-MM-DD)", Location(file=str(file), column=col))


def _to_bool(s: pd.Series, file: Path, col: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=bool)
    text = s.astype(str).str.strip().str.lower()
    mapping = {"true": True, "1": True, "1.0": True, "false": False, "0": False, "0.0": False}
    out = text.map(mapping)
    if out.isna().any():
        i = int(np.flatnonzero(out.isna().to_numpy())[0])
        raise DataContractError(f"not a boolean: {s.iloc[i]!r}", Location(file=str(file), column=col))
    return out.to_numpy(dtype=bool)


def _normalise(df: pd.DataFrame, file: Path) -> pd.DataFrame:
    """Canonical codes, datetime64[ns] dates, bool and float dtypes; errors name the file and column."""
    out = {}
    for col in df.columns:
        s = df[col]
        if col in _CODE_COLS:
            out[col] = pd.array(normalize_codes(s.astype(str), file=str(file)).to_numpy(), dtype="str")
        elif col in _DATE_COLS:
            out[col] = _parse_dates(s, file, col)
        elif col in _BOOL_COLS:
            out[col] = _to_bool(s, file, col)
        elif col in _STR_COLS:
            out[col] = pd.array(s.astype(object).where(s.notna(), None), dtype="str")
        else:
            try:
                out[col] = pd.to_numeric(s).astype("float64")
            except (ValueError, TypeError) as exc:
                raise DataContractError(f"not numeric: {exc}", Location(file=str(file), column=col)) from None
    return pd.DataFrame(out, index=df.index)


class FileSource:
    """Tables from a directory of Parquet/CSV files in the project's schema (see the module docstring).

    Args:
        path: the directory. Files are read lazily, once, and kept; a table is validated when it is
            first read (so a bad bars row fails the read of bars, not the opening of the source).
        repairs: what to do with a NaN close on a day with volume or marked tradable; default
            :attr:`RepairPolicy.FAIL`, REPAIR makes the row untradable (see :mod:`alpha_core.data.repairs`).
    """

    name = "files"

    def __init__(self, path: str | Path, *, repairs: RepairConfig = RepairConfig()):
        self.path = Path(path)
        self.repair_config = repairs
        self._repair_rows: dict[Repair, np.ndarray] = {}
        if not self.path.is_dir():
            raise MissingInputError(f"data directory not found: {self.path}")
        if _find(self.path, "bars") is None:
            raise DataContractError(
                "a file source needs bars.parquet or bars.csv", Location(file=str(self.path / "bars.parquet"))
            )
        self._cache: dict[str, pd.DataFrame] = {}
        self._calendar: pd.DatetimeIndex | None = None

    def available_tables(self) -> frozenset[str]:
        have = {t for t in TABLES if _find(self.path, t) is not None}
        return frozenset(have | {"bars", "instruments"})

    def calendar(self) -> pd.DatetimeIndex:
        """``calendar.csv`` when present, else the distinct dates of bars. Either way only the
        ``date`` column is read: a bad bars row fails :meth:`bars`, not the calendar (which the
        Dagster definitions need to load)."""
        if self._calendar is None:
            file = self.path / "calendar.csv"
            if file.exists():
                raw = _read(file)
                if "date" not in raw.columns:
                    raise DataContractError(
                        "calendar.csv needs a 'date' column", Location(file=str(file), column="date")
                    )
                cal = pd.DatetimeIndex(_parse_dates(raw["date"], file, "date")).as_unit("ns")
                if not cal.is_monotonic_increasing or cal.has_duplicates:
                    raise DataContractError(
                        "calendar unsorted or with duplicates", Location(file=str(file), column="date")
                    )
            else:
                file = _find(self.path, "bars")
                raw = _read(file)
                if "date" not in raw.columns:
                    raise DataContractError(
                        "bars: missing required column(s) ['date']", Location(file=str(file), column="date")
                    )
                cal = pd.DatetimeIndex(np.unique(_parse_dates(raw["date"], file, "date").to_numpy())).as_unit("ns")
            if len(cal) == 0:
                raise DataContractError(
                    "no trading day: the calendar has no dates", Location(file=str(file), column="date")
                )
            self._calendar = cal
        return self._calendar

    def _check_on_calendar(self, bars: pd.DataFrame) -> None:
        off = ~bars["date"].isin(self.calendar()).to_numpy()
        if off.any():
            row = bars.iloc[int(np.flatnonzero(off)[0])]
            raise DataContractError(
                "bar on a day missing from the calendar",
                Location(
                    file=str(self.path / "calendar.csv"),
                    column="date",
                    instrument=str(row["code"]),
                    date=str(row["date"].date()),
                ),
            )

    def instruments(self) -> pd.DataFrame:
        if _find(self.path, "instruments") is not None:
            return self._table("instruments")
        bars = self._table("bars")
        g = bars.groupby("code", sort=True)["date"]
        first, last = g.min(), g.max()
        cal = self.calendar()
        nxt = cal.searchsorted(last.to_numpy(), "right")
        delist = np.where(nxt < len(cal), cal.values[np.minimum(nxt, len(cal) - 1)], np.datetime64("NaT"))
        df = pd.DataFrame(
            {
                "code": pd.array(first.index.to_numpy(), dtype="str"),
                "name": pd.array([None] * len(first), dtype="str"),
                "board": pd.array(boards_of(first.index.to_numpy()), dtype="str"),
                "list_date": first.to_numpy().astype("datetime64[ns]"),
                "delist_date": delist.astype("datetime64[ns]"),
            }
        )
        return C.validate(df, C.INSTRUMENTS_SCHEMA, source_file=str(_find(self.path, "bars")))

    def bars(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        df = self._table("bars")
        self._check_on_calendar(df)
        lo, hi = self._bars_window(df, start, end)
        return df.iloc[lo:hi].reset_index(drop=True)

    def repairs(self, start: pd.Timestamp, end: pd.Timestamp) -> RepairCounts:
        """Bars rows of trading days in [start, end] that a declared repair changed."""
        df = self._table("bars")
        lo, hi = self._bars_window(df, start, end)
        return RepairCounts.from_rows({r: m[lo:hi] for r, m in self._repair_rows.items()}, df["code"].iloc[lo:hi])

    @staticmethod
    def _bars_window(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, int]:
        d = df["date"].to_numpy()
        return (
            int(np.searchsorted(d, np.datetime64(pd.Timestamp(start)), "left")),
            int(np.searchsorted(d, np.datetime64(pd.Timestamp(end)), "right")),
        )

    def industry_map(self) -> pd.DataFrame:
        return self._table("industry_map")

    def index_levels(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._between(self._table("index_levels"), start, end)

    def index_weights(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._between(self._table("index_weights"), start, end)

    def fundamentals(self) -> pd.DataFrame:
        return self._table("fundamentals")

    def consensus(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._between(self._table("consensus"), start, end)

    def macro(self) -> pd.DataFrame:
        return self._table("macro")

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _between(df: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        m = (df["date"] >= pd.Timestamp(start)) & (df["date"] <= pd.Timestamp(end))
        return df[m.to_numpy()].reset_index(drop=True)

    def _table(self, table: str) -> pd.DataFrame:
        if table in self._cache:
            return self._cache[table]
        columns, schema = TABLES[table]
        file = _find(self.path, table)
        if file is None:
            out = pd.DataFrame(
                {
                    c: pd.Series(dtype="str" if "str" in str(s.dtype) else str(s.dtype))
                    for c, s in schema.columns.items()
                }
            )[columns]
            self._cache[table] = out
            return out
        df = _normalise(_read(file), file)
        if table == "bars":
            if df.empty:
                raise DataContractError("bars: the file has a header but no rows", Location(file=str(file)))
            df, untradable = _complete_bars(df, file, self.repair_config.invalid_values)
        elif table == "fundamentals":
            for c in C.FUNDAMENTAL_FLOWS + C.FUNDAMENTAL_STOCKS + ["roe"]:
                if c not in df.columns:
                    df[c] = np.nan
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise DataContractError(
                f"{table}: missing column(s) {missing}", Location(file=str(file), column=missing[0])
            )
        extra = [c for c in df.columns if c not in columns]
        if extra:
            log.info("%s: ignoring extra column(s) %s", file, extra)
        df = df[columns]
        df = C.validate(df, schema, source_file=str(file))  # before sorting: duplicates found in file order
        order = df.reset_index(drop=True).sort_values(_SORT[table], kind="stable").index.to_numpy()
        df = df.iloc[order].reset_index(drop=True)
        if table == "bars":
            self._repair_rows = {Repair.INVALID_BAR_AS_SUSPENSION: untradable[order]}
            RepairCounts.from_rows(self._repair_rows, df["code"]).log(log, str(file))
        self._cache[table] = df
        return df


def _complete_bars(df: pd.DataFrame, file: Path, policy: RepairPolicy) -> tuple[pd.DataFrame, np.ndarray]:
    """Add the optional bars columns that an export may lack (rules in the module docstring).

    A NaN close on a row with volume > 0 or ``tradable`` True is a vendor error: under
    :attr:`RepairPolicy.FAIL` it raises naming file, instrument, date and line; under REPAIR the
    row becomes untradable. Returns the completed table and the (R,) mask of repaired rows.
    """
    missing = [c for c in _BARS_REQUIRED if c not in df.columns]
    if missing:
        raise DataContractError(
            f"bars: missing required column(s) {missing}", Location(file=str(file), column=missing[0])
        )
    from alpha_core.data.limits import limit_prices

    n = len(df)
    if "amount" not in df.columns:
        df["amount"] = np.nan
    volume = df["volume"].to_numpy(dtype=np.float64, na_value=np.nan)
    tradable = df["tradable"].to_numpy(dtype=bool) if "tradable" in df.columns else volume > 0
    bad = np.isnan(df["close"].to_numpy(dtype=np.float64, na_value=np.nan)) & (tradable | (volume > 0))
    if bad.any() and policy is RepairPolicy.FAIL:
        pos = int(np.flatnonzero(bad)[0])
        raise DataContractError(
            f"bars: NaN close on a traded day (volume {volume[pos]:g}, tradable {bool(tradable[pos])}; "
            f"{int(bad.sum())} row(s)); RepairPolicy.REPAIR would make such rows untradable",
            Location(
                file=str(file),
                column="close",
                instrument=str(df["code"].iloc[pos]),
                date=str(pd.Timestamp(df["date"].iloc[pos]).date()),
                value="nan",
                line=_line(file, pos),
            ),
        )
    df["tradable"] = tradable & ~bad
    if "vwap" not in df.columns:
        with np.errstate(invalid="ignore", divide="ignore"):
            df["vwap"] = np.where(
                df["tradable"].to_numpy() & (df["volume"].to_numpy() > 0),
                df["amount"].to_numpy() / df["volume"].to_numpy(),
                np.nan,
            )
    if "adj_factor" not in df.columns:
        df["adj_factor"] = 1.0
    for c in ("turnover", "float_mcap", "total_mcap"):
        if c not in df.columns:
            df[c] = np.full(n, np.nan)
    if "is_st" not in df.columns:
        df["is_st"] = np.zeros(n, bool)
    if "limit_up" not in df.columns or "limit_down" not in df.columns:
        order = np.lexsort((df["date"].to_numpy(), df["code"].to_numpy()))  # by code, then date
        s = df.iloc[order]
        same = s["code"].to_numpy()[1:] == s["code"].to_numpy()[:-1]
        prev = np.concatenate([[np.nan], np.where(same, s["close"].to_numpy()[:-1], np.nan)])
        up, down = limit_prices(prev, boards_of(s["code"]), pd.DatetimeIndex(s["date"]), s["is_st"].to_numpy())
        lu, ld = np.empty(n), np.empty(n)
        lu[order], ld[order] = up, down
        df["limit_up"], df["limit_down"] = lu, ld
    return df, bad
