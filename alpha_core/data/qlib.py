"""A :class:`~alpha_core.data.source.DataSource` over a Qlib binary ``cn_data`` directory.

Layout read (standard Qlib)::

    <path>/calendars/day.txt                  one trading day per line
    <path>/instruments/all.txt                CODE<TAB>start<TAB>end
    <path>/instruments/csi300.txt             CSI 300 membership spans (optional)
    <path>/features/<code lower>/<field>.day.bin

A ``.day.bin`` file is little-endian float32: value 0 is the index of its first day in the
calendar, the rest are consecutive daily values. Fields read: open, high, low, close,
volume, factor. Optional supplements (``extra_dir``, ``macro_dir``) are the ``cn_extra`` /
``cn_macro`` folders of ``../shared/data`` (see its README).

Cleaning rules (each fixes a defect of real Qlib dumps):

* Prices in the .bin are ADJUSTED: raw = adj / factor, then rounded to the 0.01 CNY tick
  (float32 storage leaves ~1e-6 relative noise; the tick makes limit-hit tests exact).
  ``adj_factor`` = factor, so adjusted = raw * adj_factor.
* Volume: raw shares by default (this dump); standard Qlib stores volume / factor, so with
  ``volume_is_adjusted=True`` raw volume = volume * factor.
* Every repair below is a declared :class:`~alpha_core.data.repairs.Repair`, counted per
  instrument (:meth:`QlibSource.repairs`) and logged at WARNING.
* Values no vendor should send (+/-inf in any field, factor <= 0, a NaN close or factor in a row
  that is not all NaN, e.g. a NaN close with volume > 0) raise a DataContractError naming the
  .bin file, field, instrument, date and value; with ``RepairPolicy.REPAIR`` they become
  suspension rows like NaN rows (``invalid_bar_as_suspension``).
* Suspension: volume 0 or NaN (or ``tradestatus == 0`` in the daily detail) -> ``tradable``
  False, ``vwap`` NaN, ``amount`` 0 (NaN volume: ``nan_volume_as_suspension``). All-NaN rows (how
  standard Qlib dumps store suspension) between an instrument's first valid row and its end date
  in ``all.txt`` become suspension rows flat at the last close (``nan_row_as_suspension``), so
  bars keep one row per listed day.
* Rows before the first trade: for a .bin that starts on the first calendar day they are kept
  as suspended rows (the stock was listed before the data begin). For one that starts later, the
  leading run of rows with no volume AND open == high == low == close == the first row's close is
  dropped (Qlib dumps back-fill the listing price before the listing day;
  ``prelisting_backfill_dropped``). ``list_date`` = the later of the ``all.txt`` start and the
  first remaining row (never the first trade).
* Indices (:data:`INDEX_CODES`) go to :meth:`QlibSource.index_levels`, never to bars.
* amount: the daily detail's raw ``amount`` where present (2020-2022, CSI 300 stocks), else the
  PROXY typical price (high + low + close) / 3 (raw) x volume; vwap = amount / volume.
  :meth:`QlibSource.derived_fields` lists such column-level notes.
* turnover: detail ``turn`` / 100 where present; else volume / float shares where float shares
  are known from the monthly market-cap file; else NaN.
* float_mcap / total_mcap: the month-end file (100M CNY; values < 5 are in trillions, a unit
  defect of the file for the largest caps, and are scaled x 1e4) gives shares = mcap / raw close on
  the last trading day <= the month-end date; those shares are carried forward (causal) until
  the end of the FOLLOWING month and mcap = shares x raw close of the day; else NaN.
* limit_up / limit_down: reference = previous day's adjusted close / today's factor (the
  ex-rights reference price; the previous raw close when the factor FELL, which no corporate
  action does), rounded to the cent, x (1 +/- pct), rounded half-up to the cent. pct = 10% main board,
  ChiNext 10% before 2020-08-24 and 20% from it, STAR 20%, BSE 30%; 5% for ST stocks on a 10%
  board (:mod:`alpha_core.data.limits`). NaN on an instrument's first row (IPO-day rules are not
  modelled).
* is_st: detail ``isST`` where present, else False.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from alpha_core.data import contract as C
from alpha_core.data.codes import boards_of, normalize_codes
from alpha_core.data.limits import limit_prices, round_cent
from alpha_core.data.repairs import Repair, RepairConfig, RepairCounts, RepairPolicy
from alpha_core.errors import DataContractError, Location

log = logging.getLogger(__name__)

INDEX_CODES = frozenset({"SH000300", "SH000905", "SH000852", "SH000906", "SH000001", "SZ399001", "SZ399006"})
"""Index codes of the shared dump. They, and any other SH000xxx / SZ399xxx code, feed
``index_levels``, not ``bars``."""

CSI300 = "SH000300"
_FIELDS = ("open", "high", "low", "close", "volume", "factor")
_YI = 1e8  # 100M CNY (yi), the unit of the cn_extra money columns
_TRILLION_BELOW = 5.0  # a market cap below 5 (x 100M CNY) in cn_extra is in trillions (see _shares_grid)

# Shenwan level-1 (2021 revision, plus the 2014 names it replaced) -> (english snake_case, sector).
# Sectors follow SPEC section 2, which is written with CITIC industries; comments mark the
# Shenwan names that have no single CITIC twin.
SW_L1: dict[str, tuple[str, C.Sector]] = {
    "煤炭": ("coal", C.Sector.CYCLICAL),
    "机械设备": ("machinery", C.Sector.CYCLICAL),
    "电力设备": ("power_equipment", C.Sector.CYCLICAL),
    "电气设备": ("power_equipment", C.Sector.CYCLICAL),  # SW2014 name of 电力设备
    "有色金属": ("non_ferrous_metals", C.Sector.CYCLICAL),
    "基础化工": ("basic_chemicals", C.Sector.CYCLICAL),
    "化工": ("basic_chemicals", C.Sector.CYCLICAL),  # SW2014 name
    "建筑材料": ("building_materials", C.Sector.CYCLICAL),
    "石油石化": ("petroleum_petrochemicals", C.Sector.CYCLICAL),
    "采掘": ("mining", C.Sector.CYCLICAL),  # SW2014; split into coal / petroleum later: cyclical either way
    "国防军工": ("defence", C.Sector.CYCLICAL),
    "钢铁": ("steel", C.Sector.CYCLICAL),
    "环保": ("environmental_protection", C.Sector.STABLE),  # no CITIC twin; CITIC files these firms
    # under utilities (water, waste) -> stable
    "商贸零售": ("retail", C.Sector.CONSUMER),
    "商业贸易": ("retail", C.Sector.CONSUMER),  # SW2014 name
    "轻工制造": ("light_manufacturing", C.Sector.CONSUMER),
    "综合": ("conglomerates", C.Sector.CONSUMER),
    "医药生物": ("pharma", C.Sector.CONSUMER),
    "纺织服饰": ("textiles_apparel", C.Sector.CONSUMER),
    "纺织服装": ("textiles_apparel", C.Sector.CONSUMER),  # SW2014 name
    "食品饮料": ("food_beverage", C.Sector.CONSUMER),
    "家用电器": ("household_appliances", C.Sector.CONSUMER),
    "汽车": ("autos", C.Sector.CONSUMER),
    "社会服务": ("consumer_services", C.Sector.CONSUMER),
    "休闲服务": ("consumer_services", C.Sector.CONSUMER),  # SW2014 name
    "农林牧渔": ("agriculture", C.Sector.CONSUMER),
    "美容护理": ("beauty_care", C.Sector.CONSUMER),  # split from chemicals / retail in SW2021; CITIC
    # keeps cosmetics in consumer industries -> consumer
    "房地产": ("real_estate", C.Sector.FINANCIAL),
    "非银金融": ("non_bank_finance", C.Sector.FINANCIAL),
    "银行": ("banks", C.Sector.FINANCIAL),
    "电子": ("electronics", C.Sector.GROWTH),
    "通信": ("telecom", C.Sector.GROWTH),
    "计算机": ("computers", C.Sector.GROWTH),
    "传媒": ("media", C.Sector.GROWTH),
    "交通运输": ("transportation", C.Sector.STABLE),
    "公用事业": ("utilities", C.Sector.STABLE),
    "建筑装饰": ("construction", C.Sector.STABLE),
}

# Regulatory deadlines of Chinese periodic reports: (month, day, years after the period's year).
REPORT_DEADLINES: dict[int, tuple[int, int, int]] = {
    3: (4, 30, 0),  # Q1 report by Apr 30
    6: (8, 31, 0),  # half-year report by Aug 31
    9: (10, 31, 0),  # Q3 report by Oct 31
    12: (4, 30, 1),  # annual report by Apr 30 of the next year
}


@dataclass(frozen=True)
class _Cube:
    """Everything read from the .bin files, aligned on (T days, N instruments), float64."""

    dates: pd.DatetimeIndex
    codes: np.ndarray  # (N,) canonical, sorted
    fields: dict[str, np.ndarray]  # open..factor adjusted as stored, (T, N), NaN outside rows
    ends: np.ndarray  # (N,) calendar index of each instrument's last day in instruments/all.txt
    starts: np.ndarray  # (N,) calendar index of each instrument's first day in instruments/all.txt


def _read_calendar(path: Path) -> pd.DatetimeIndex:
    file = path / "calendars" / "day.txt"
    if not file.exists():
        raise DataContractError("Qlib calendar missing (expected calendars/day.txt)", Location(file=str(file)))
    lines = file.read_text().splitlines()
    text = [line.strip() for line in lines if line.strip()]
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        line = next(k + 1 for k, raw in enumerate(lines) if raw.strip() == text[i])
        raise DataContractError(
            f"unparsable date {text[i]!r} in calendar (expected YYYY-MM-DD)",
            Location(file=str(file), column="date", value=repr(text[i]), line=line),
        )
    dates = pd.DatetimeIndex(parsed)
    if len(dates) == 0 or not dates.is_monotonic_increasing or dates.has_duplicates:
        raise DataContractError("calendar empty, unsorted or with duplicate days", Location(file=str(file)))
    return dates.as_unit("ns")


def _read_spans(file: Path) -> pd.DataFrame:
    """An instruments/*.txt file -> code, start, end (codes normalised).

    A bad line (too few fields, an unparsable date) raises naming the file, column, instrument,
    value and line.
    """
    try:
        df = pd.read_csv(file, sep="\t", header=None, names=["code", "start", "end"], dtype=str, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataContractError("instrument list is empty", Location(file=str(file))) from None
    blank = df["code"].isna().to_numpy() & df["start"].isna().to_numpy() & df["end"].isna().to_numpy()
    df["line"] = np.arange(1, len(df) + 1)
    df = df[~blank].reset_index(drop=True)
    if df.empty:
        raise DataContractError("instrument list is empty", Location(file=str(file)))
    df["code"] = normalize_codes(df["code"], file=str(file)).to_numpy()
    for col in ("start", "end"):
        parsed = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = df[col].iloc[i]
            raise DataContractError(
                f"unparsable {col} date {value!r} (expected CODE<TAB>YYYY-MM-DD<TAB>YYYY-MM-DD)",
                Location(
                    file=str(file),
                    column=col,
                    instrument=str(df["code"].iloc[i]),
                    value=repr(value),
                    line=int(df["line"].iloc[i]),
                ),
            )
        df[col] = parsed.astype("datetime64[ns]")
    return df.drop(columns="line")


def _read_bin(file: Path, code: str, dates: pd.DatetimeIndex) -> tuple[int, np.ndarray]:
    """(first-day index, float32 values) of one .day.bin; errors name file, instrument and date."""
    if not file.exists():
        raise DataContractError(
            "missing .bin file", Location(file=str(file), column=file.name.split(".")[0], instrument=code)
        )
    size = file.stat().st_size
    if size < 4 or size % 4:
        raise DataContractError(
            f"truncated .bin ({size} bytes, not a whole number of float32)",
            Location(file=str(file), column=file.name.split(".")[0], instrument=code),
        )
    raw = np.fromfile(file, dtype="<f4")
    start = float(raw[0])
    if not np.isfinite(start) or start != int(start) or not 0 <= start < len(dates):
        raise DataContractError(
            f"bad first-day index {start!r} in .bin header",
            Location(file=str(file), column=file.name.split(".")[0], instrument=code),
        )
    s = int(start)
    if s + len(raw) - 1 > len(dates):
        raise DataContractError(
            f"{len(raw) - 1} values from day {s} run past the calendar's {len(dates)} days",
            Location(file=str(file), column=file.name.split(".")[0], instrument=code, date=str(dates[-1].date())),
        )
    return s, raw[1:]


def _is_index(codes: np.ndarray) -> np.ndarray:
    """Index codes by the numbering rule (SH000xxx, SZ399xxx): any index of a standard dump, not just INDEX_CODES."""
    return boards_of(codes) == C.Board.INDEX.value


def _str_take(values: np.ndarray, idx: np.ndarray) -> pd.arrays.ArrowStringArray:
    """``values[idx]`` as a pandas ``str`` array, gathered in Arrow (10x faster than Python strings)."""
    arr = pa.array(np.asarray(values, dtype=object), pa.string()).take(pa.array(idx, pa.int64()))
    return pd.Series(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)).array


def _ffill_index(valid: np.ndarray) -> np.ndarray:
    """(T, N) row index of the last True at or before each row along axis 0; -1 when none."""
    t = np.arange(valid.shape[0])[:, None]
    return np.maximum.accumulate(np.where(valid, t, -1), axis=0)


class QlibSource:
    """Real A-share data from a Qlib ``cn_data`` directory (+ optional cn_extra / cn_macro).

    Args:
        path: the Qlib directory (holds ``calendars/day.txt``).
        extra_dir: ``cn_extra`` supplements (daily detail, industry, market cap, fundamentals); None = absent.
        macro_dir: ``cn_macro`` (M2, 10-year yield); None = absent.
        volume_is_adjusted: True for standard Qlib dumps (volume stored / factor); False (default)
            for the shared dump, whose volume is raw shares.
        repairs: what to do with values a vendor should never send (inf, factor <= 0, NaN close with
            volume); default :attr:`RepairPolicy.FAIL` (see :mod:`alpha_core.data.repairs`).

    The .bin files are read once (lazily) and kept; every table method returns a validated
    contract table (see :mod:`alpha_core.data.contract` and the module docstring for the rules).
    """

    name = "qlib"

    def __init__(
        self,
        path: str | Path,
        extra_dir: str | Path | None = None,
        macro_dir: str | Path | None = None,
        *,
        volume_is_adjusted: bool = False,
        repairs: RepairConfig = RepairConfig(),
    ):
        self.path = Path(path)
        self.repair_config = repairs
        self.extra_dir = Path(extra_dir) if extra_dir is not None else None
        self.macro_dir = Path(macro_dir) if macro_dir is not None else None
        self.volume_is_adjusted = volume_is_adjusted
        self._calendar = _read_calendar(self.path)
        self._cube: _Cube | None = None
        self._grid: dict[str, np.ndarray] | None = None
        self._repair_masks: dict[Repair, np.ndarray] = {}

    # ---------------------------------------------------------------- protocol
    def calendar(self) -> pd.DatetimeIndex:
        return self._calendar

    def available_tables(self) -> frozenset[str]:
        tables = {"bars", "instruments", "index_levels"}
        if (self.path / "instruments" / "csi300.txt").exists():
            tables.add("index_weights")
        if self._extra("csi300_industry_sw_l1.csv") is not None:
            tables.add("industry_map")
        if self._extra("csi300_fundamentals_quarterly.csv") is not None:
            tables.add("fundamentals")
        if self.macro_dir is not None and any(self.macro_dir.glob("*.csv")):
            tables.add("macro")
        return frozenset(tables)

    def derived_fields(self) -> dict[str, str]:
        """Column -> note for every bars column that is derived or a proxy rather than read."""
        notes = {
            "amount": "daily detail amount (raw CNY) where present; elsewhere PROXY (high+low+close)/3 x volume "
            "on raw prices",
            "vwap": "amount / volume (so a proxy wherever amount is); NaN when suspended",
            "turnover": "daily detail turn/100 where present; else volume / float shares from the month-end "
            "float market cap; else NaN",
            "float_mcap": "month-end float mcap -> shares, carried to the end of the next month x raw close; else NaN",
            "total_mcap": "month-end total mcap -> shares, carried to the end of the next month x raw close; else NaN",
            "limit_up": "round_half_up(prev adj close / factor x (1 + board pct), 0.01); NaN on the first row",
            "limit_down": "round_half_up(prev adj close / factor x (1 - board pct), 0.01); NaN on the first row",
            "is_st": "daily detail isST where present, else False",
            "tradable": "volume > 0 and detail tradestatus != 0",
        }
        return notes

    def instruments(self) -> pd.DataFrame:
        g = self._load_grid()
        keep = g["keep"]
        cube = self._cube
        assert cube is not None
        stock = ~_is_index(cube.codes)
        has = keep.any(axis=0) & stock
        # listing date: all.txt's start, or the first bar when rows start later (never the first trade)
        first = np.maximum(np.argmax(keep, axis=0), cube.starts)
        last = keep.shape[0] - 1 - np.argmax(keep[::-1], axis=0)
        dates = cube.dates.values
        delisted = last < keep.shape[0] - 1
        delist = np.where(delisted, dates[np.minimum(last + 1, keep.shape[0] - 1)], np.datetime64("NaT"))
        codes = cube.codes[has]
        df = pd.DataFrame(
            {
                "code": pd.array(codes, dtype="str"),
                "name": pd.array([None] * len(codes), dtype="str"),
                "board": pd.array(boards_of(codes), dtype="str"),
                "list_date": dates[first[has]],
                "delist_date": delist[has].astype("datetime64[ns]"),
            }
        )
        dropped = cube.codes[stock & ~has]
        if len(dropped):
            log.warning("instruments without a single bar dropped: %s", list(dropped))
        return C.validate(df, C.INSTRUMENTS_SCHEMA, source_file=str(self.path / "instruments" / "all.txt"))

    def bars(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        g = self._load_grid()
        cube = self._cube
        assert cube is not None
        t0, t1 = cube.dates.searchsorted(pd.Timestamp(start)), cube.dates.searchsorted(pd.Timestamp(end), "right")
        n = len(cube.codes)
        ti, ni = np.nonzero(g["keep"][t0:t1])  # row-major: sorted by (date, code) as codes are sorted
        flat = ti * n + ni  # index columns never have keep=True, so no column selection (no copies)
        data: dict[str, object] = {"date": cube.dates.values[t0:t1][ti], "code": _str_take(cube.codes, ni)}
        for col in C.BARS_COLUMNS[2:]:
            data[col] = g[col][t0:t1].reshape(-1).take(flat)
        df = pd.DataFrame(data, copy=False)  # fresh arrays: skip pandas' block consolidation copy
        return C.validate(df, C.BARS_SCHEMA, source_file=str(self.path / "features"))

    def repairs(self, start: pd.Timestamp, end: pd.Timestamp) -> RepairCounts:
        """Rows of trading days in [start, end] that a declared repair changed or dropped."""
        self._load_grid()
        cube = self._cube
        assert cube is not None
        t0, t1 = cube.dates.searchsorted(pd.Timestamp(start)), cube.dates.searchsorted(pd.Timestamp(end), "right")
        return RepairCounts.from_masks({r: m[t0:t1] for r, m in self._repair_masks.items()}, cube.codes)

    def index_levels(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        cube = self._load_cube()
        t0, t1 = cube.dates.searchsorted(pd.Timestamp(start)), cube.dates.searchsorted(pd.Timestamp(end), "right")
        idx = np.flatnonzero(_is_index(cube.codes))
        close = cube.fields["close"][t0:t1][:, idx]
        ti, ni = np.nonzero(np.isfinite(close) & (close > 0))
        df = pd.DataFrame(
            {"date": cube.dates.values[t0:t1][ti], "index_code": _str_take(cube.codes[idx], ni), "close": close[ti, ni]}
        )
        return C.validate(df, C.INDEX_LEVELS_SCHEMA, source_file=str(self.path / "features"))

    def index_weights(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """CSI 300 (``SH000300``) constituent weights per trading day in [start, end].

        The dump has no weights. Membership = ``instruments/csi300.txt`` spans (start <= day <= end)
        restricted to stocks with a bar that day (missing historical members make 270-300 a day).
        Weight = total_mcap / sum(total_mcap) over the day's members; a member whose total_mcap is
        unknown counts with the day's median known total_mcap; a day with no known total_mcap at all
        (before 2016) is equal-weighted. Weights of one day sum to 1 and use that day's close
        (weights as of the close, like published end-of-day index weights).
        """
        file = self.path / "instruments" / "csi300.txt"
        if not file.exists():
            return _empty(C.INDEX_WEIGHT_COLUMNS, C.INDEX_WEIGHTS_SCHEMA)
        g = self._load_grid()
        cube = self._cube
        assert cube is not None
        spans = _read_spans(file)
        member = np.zeros_like(g["keep"])
        col = pd.Index(cube.codes).get_indexer(spans["code"])
        s = cube.dates.searchsorted(spans["start"].values)
        e = cube.dates.searchsorted(spans["end"].values, "right")
        for n, a, b in zip(col, s, e):  # one slice per membership span (~800), not per stock-day
            if n >= 0:
                member[a:b, n] = True
        member &= g["keep"]
        t0, t1 = cube.dates.searchsorted(pd.Timestamp(start)), cube.dates.searchsorted(pd.Timestamp(end), "right")
        member = member[t0:t1]
        cap = np.where(member, g["total_mcap"][t0:t1], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN days (no cap known) -> equal weight
            med = np.nanmedian(cap, axis=1, keepdims=True)
        med = np.where(np.isfinite(med), med, 1.0)
        w = np.where(member, np.where(np.isfinite(cap), cap, med), 0.0)
        w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
        ti, ni = np.nonzero(member)
        df = pd.DataFrame(
            {
                "date": cube.dates.values[t0:t1][ti],
                "index_code": _str_take(np.array([CSI300]), np.zeros(len(ti), np.int64)),
                "code": _str_take(cube.codes, ni),
                "weight": w[ti, ni],
            },
            copy=False,
        )
        return C.validate(df, C.INDEX_WEIGHTS_SCHEMA, source_file=str(file))

    def industry_map(self) -> pd.DataFrame:
        """Shenwan level-1 industry per stock and year from ``csi300_industry_sw_l1.csv``.

        One row per (code, ind_year): start_date = Jan 1 of the year, end_date = Dec 31, except the
        code's latest year, which is open-ended (NaT). Chinese names map through :data:`SW_L1`; an
        unknown name is a :class:`DataContractError`. No industry before a code's first year.
        """
        file = self._extra("csi300_industry_sw_l1.csv")
        if file is None:
            return _empty(C.INDUSTRY_COLUMNS, C.INDUSTRY_SCHEMA)
        raw = pd.read_csv(file, dtype={"code": str, "industry": str, "ind_year": int})
        unknown = sorted(set(raw["industry"]) - set(SW_L1))
        if unknown:
            bad = raw[raw["industry"].isin(unknown)].iloc[0]
            raise DataContractError(
                f"unknown Shenwan level-1 industry {unknown}",
                Location(file=str(file), column="industry", instrument=str(bad["code"]), date=str(bad["ind_year"])),
            )
        df = (
            pd.DataFrame(
                {
                    "code": normalize_codes(raw["code"], file=str(file)).to_numpy(),
                    "year": raw["ind_year"],
                    "name": raw["industry"],
                }
            )
            .drop_duplicates(["code", "year"])
            .sort_values(["code", "year"])
        )
        last = df.groupby("code")["year"].transform("max").to_numpy() == df["year"].to_numpy()
        out = pd.DataFrame(
            {
                "code": pd.array(df["code"].to_numpy(), dtype="str"),
                "start_date": pd.to_datetime(df["year"].astype(str) + "-01-01").to_numpy().astype("datetime64[ns]"),
                "end_date": np.where(
                    last, np.datetime64("NaT"), pd.to_datetime(df["year"].astype(str) + "-12-31").to_numpy()
                ).astype("datetime64[ns]"),
                "industry": pd.array([SW_L1[n][0] for n in df["name"]], dtype="str"),
                "sector": pd.array([SW_L1[n][1].value for n in df["name"]], dtype="str"),
            }
        )
        return C.validate(out.reset_index(drop=True), C.INDUSTRY_SCHEMA, source_file=str(file))

    def fundamentals(self) -> pd.DataFrame:
        file = self._extra("csi300_fundamentals_quarterly.csv")
        if file is None:
            return _empty(C.FUNDAMENTAL_COLUMNS, C.FUNDAMENTALS_SCHEMA)
        return C.validate(
            clean_quarterly(pd.read_csv(file), file=str(file)), C.FUNDAMENTALS_SCHEMA, source_file=str(file)
        )

    def consensus(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Not available in Qlib dumps: an empty contract table (``consensus`` not in available_tables)."""
        return _empty(C.CONSENSUS_COLUMNS, C.CONSENSUS_SCHEMA)

    def macro(self) -> pd.DataFrame:
        """M2 and the 10-year CGB yield from ``macro_dir`` (MACRO_COLUMNS).

        m2: ``m2_monthly.csv`` m2_level (100M CNY), period = month start, release_date = the 15th of
        the next month (PBOC publishes mid-month). cgb10y: daily file (period = release_date = the
        day) and monthly file (period = month start, release_date = last day of that month). The
        2017-01..2019-05 gap of the yield is NOT filled here (the macro stage reports it).
        """
        if self.macro_dir is None:
            return _empty(C.MACRO_COLUMNS, C.MACRO_SCHEMA)
        parts = []
        m2f = self.macro_dir / "m2_monthly.csv"
        if m2f.exists():
            m2 = pd.read_csv(m2f)
            period = pd.to_datetime(m2["date"]).dt.to_period("M").dt.start_time
            parts.append(
                pd.DataFrame(
                    {
                        "series": C.MacroSeries.M2.value,
                        "period": period,
                        "value": m2["m2_level"].astype(float),
                        "release_date": period + pd.DateOffset(months=1, days=14),
                    }
                )
            )
        daily = self.macro_dir / "cgb10y_daily_2002_2016.csv"
        if daily.exists():
            d = pd.read_csv(daily)
            day = pd.to_datetime(d["date"])
            parts.append(
                pd.DataFrame(
                    {
                        "series": C.MacroSeries.CGB10Y.value,
                        "period": day,
                        "value": d["cgb10y_yield_pct"].astype(float),
                        "release_date": day,
                    }
                )
            )
        monthly = self.macro_dir / "cgb10y_monthly_2019_onwards.csv"
        if monthly.exists():
            m = pd.read_csv(monthly)
            period = pd.to_datetime(m["month"]).dt.to_period("M").dt.start_time
            parts.append(
                pd.DataFrame(
                    {
                        "series": C.MacroSeries.CGB10Y.value,
                        "period": period,
                        "value": m["cgb10y_yield_pct"].astype(float),
                        "release_date": period + pd.offsets.MonthEnd(0),
                    }
                )
            )
        if not parts:
            return _empty(C.MACRO_COLUMNS, C.MACRO_SCHEMA)
        df = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
        df["series"] = pd.array(df["series"], dtype="str")
        for c in ("period", "release_date"):
            df[c] = df[c].astype("datetime64[ns]")
        df = df.sort_values(["series", "period"]).reset_index(drop=True)
        return C.validate(df, C.MACRO_SCHEMA, source_file=str(self.macro_dir))

    # ---------------------------------------------------------------- internals
    def _extra(self, name: str) -> Path | None:
        if self.extra_dir is None:
            return None
        f = self.extra_dir / name
        return f if f.exists() else None

    def _load_cube(self) -> _Cube:
        if self._cube is not None:
            return self._cube
        dates = self._calendar
        all_file = self.path / "instruments" / "all.txt"
        if not all_file.exists():
            raise DataContractError("Qlib instrument list missing", Location(file=str(all_file)))
        spans = _read_spans(all_file).drop_duplicates("code").sort_values("code")
        codes = spans["code"].to_numpy().astype(str)
        ends = dates.searchsorted(spans["end"].values, "right") - 1
        starts = np.minimum(dates.searchsorted(spans["start"].values, "left"), len(dates) - 1)
        T, N = len(dates), len(codes)
        fields = {f: np.full((T, N), np.nan) for f in _FIELDS}
        for n, (code, end_idx) in enumerate(zip(codes, ends)):  # one read per file: 6 x N reads
            folder = self.path / "features" / code.lower()
            lengths = {}
            for f in _FIELDS:
                file = folder / f"{f}.day.bin"
                s, vals = _read_bin(file, code, dates)
                fields[f][s : s + len(vals), n] = vals
                lengths[f] = (s, len(vals), file)
            # truncation: a field shorter than its siblings or than the span in all.txt
            stop = max(s + k for s, k, _ in lengths.values())
            stop = max(stop, int(end_idx) + 1)
            for f, (s, k, file) in lengths.items():
                if s + k < stop:
                    raise DataContractError(
                        f"truncated .bin: {k} values from {dates[s].date()}, expected data through "
                        f"{dates[stop - 1].date()}",
                        Location(file=str(file), column=f, instrument=code, date=str(dates[s + k].date())),
                    )
        self._cube = _Cube(dates=dates, codes=codes, fields=fields, ends=np.asarray(ends), starts=np.asarray(starts))
        return self._cube

    def _load_grid(self) -> dict[str, np.ndarray]:
        """All bars columns as (T, N) arrays plus ``keep`` (the rows that exist)."""
        if self._grid is not None:
            return self._grid
        cube = self._load_cube()
        f = dict(cube.fields)  # shallow: arrays are replaced, never written in place
        T, N = f["close"].shape
        nan_row = np.logical_and.reduce([np.isnan(f[k]) for k in _FIELDS])
        invalid = self._invalid_rows(cube, nan_row)
        valid = ~nan_row & ~invalid
        # standard Qlib dumps store suspension days as NaN rows: inside the listing span (first valid
        # row .. the all.txt end date) they become flat rows at the last close with volume 0
        t = np.arange(T)[:, None]
        present = valid.any(axis=0)[None, :] & (t >= np.argmax(valid, axis=0)[None, :]) & (t <= cube.ends[None, :])
        gap = present & ~valid
        if gap.any():
            src, cols = np.maximum(_ffill_index(valid), 0), np.arange(N)[None, :]
            last_close = f["close"][src, cols]
            for k in ("open", "high", "low", "close"):
                f[k] = np.where(gap, last_close, f[k])
            f["factor"] = np.where(gap, f["factor"][src, cols], f["factor"])
            f["volume"] = np.where(gap, 0.0, f["volume"])
        nan_volume = present & valid & np.isnan(f["volume"])
        factor = f["factor"]
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = {k: round_cent(f[k] / factor) for k in ("open", "high", "low", "close")}
            volume = f["volume"] * factor if self.volume_is_adjusted else f["volume"].copy()
        no_vol = ~(volume > 0)
        # pre-listing back-fill: leading run (from the first row) of constant OHLC with no volume, only
        # when the data start after the first calendar day; rows from day 0 are suspension days of a
        # stock listed before the data begin, and stay
        first = np.argmax(present, axis=0)
        c_first = f["close"][first, np.arange(N)]
        flat = (f["open"] == f["close"]) & (f["high"] == f["close"]) & (f["low"] == f["close"])
        cond = (no_vol & flat & (f["close"] == c_first[None, :])) | ~present
        before = np.arange(T)[:, None] < first[None, :]
        lead = np.logical_and.accumulate(cond | before, axis=0) & present & (first > 0)[None, :]
        keep = present & ~lead
        is_index = _is_index(cube.codes)
        keep[:, is_index] = False  # indices never become bars (they are read from the cube directly)
        stock = ~is_index[None, :]
        self._repair_masks = {
            Repair.NAN_ROW_AS_SUSPENSION: gap & nan_row & stock,
            Repair.NAN_VOLUME_AS_SUSPENSION: nan_volume & keep,
            Repair.PRELISTING_BACKFILL_DROPPED: lead & stock,
            Repair.INVALID_BAR_AS_SUSPENSION: invalid & stock,
        }
        RepairCounts.from_masks(self._repair_masks, cube.codes).log(log, str(self.path / "features"))

        detail = self._detail_grid(cube)
        tradable = keep & ~no_vol & ~(detail["tradestatus"] == 0)
        volume = np.where(np.isnan(volume), 0.0, volume)
        proxy = (raw["high"] + raw["low"] + raw["close"]) / 3.0 * volume
        amount = np.where(np.isfinite(detail["amount"]), detail["amount"], proxy)
        amount = np.where(tradable, amount, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = np.where(tradable & (volume > 0), amount / volume, np.nan)
        total_shares, float_shares = self._shares_grid(cube, raw["close"])
        with np.errstate(invalid="ignore", divide="ignore"):
            turnover = np.where(np.isfinite(detail["turn"]), detail["turn"] / 100.0, volume / float_shares)
        is_st = detail["isST"] == 1
        prev_adj = np.vstack([np.full((1, N), np.nan), f["close"][:-1]])
        prev_factor = np.vstack([np.full((1, N), np.nan), factor[:-1]])
        prev_keep = np.vstack([np.zeros((1, N), bool), keep[:-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            # a back-adjustment factor only rises at a real ex-date; a fall is a dump glitch, so the
            # reference is then the plain previous raw close (3 vs 7 mismatches with the 2020-22 preclose)
            ref = np.where(factor >= prev_factor, prev_adj / factor, prev_adj / prev_factor)
            ref = np.where(prev_keep, ref, np.nan)
        limit_up, limit_down = limit_prices(ref, boards_of(cube.codes)[None, :], cube.dates.values[:, None], is_st)
        self._grid = {
            "keep": keep,
            **raw,
            "volume": volume,
            "amount": amount,
            "vwap": vwap,
            "adj_factor": factor,
            "turnover": turnover,
            "float_mcap": float_shares * raw["close"],
            "total_mcap": total_shares * raw["close"],
            "tradable": tradable,
            "limit_up": limit_up,
            "limit_down": limit_down,
            "is_st": is_st,
        }
        return self._grid

    def _invalid_rows(self, cube: _Cube, nan_row: np.ndarray) -> np.ndarray:
        """(T, N) rows holding a value no vendor should send: +/-inf in any field, factor <= 0, or a
        NaN close or factor in a row that is not all NaN (e.g. NaN close with volume > 0).

        Under :attr:`RepairPolicy.FAIL` the first such value raises, naming its .bin file, field,
        instrument, date and value; under REPAIR the rows are returned (they become suspension rows).
        """
        f = cube.fields
        rules: list[tuple[str, str, np.ndarray]] = [
            *((k, "infinite value", np.isinf(f[k])) for k in _FIELDS),
            ("factor", "adjustment factor <= 0", f["factor"] <= 0),
            ("close", "NaN close in a row with other values", np.isnan(f["close"]) & ~nan_row),
            ("factor", "NaN factor in a row with other values", np.isnan(f["factor"]) & ~nan_row),
        ]
        invalid = np.zeros_like(nan_row)
        for field_name, what, mask in rules:
            if not mask.any():
                continue
            if self.repair_config.invalid_values is RepairPolicy.FAIL:
                t, n = np.argwhere(mask.T)[0][::-1]  # first instrument (code order), then its first day
                code = str(cube.codes[n])
                volume = f["volume"][t, n]
                note = f" (volume {volume:g} that day)" if field_name == "close" and np.isfinite(volume) else ""
                raise DataContractError(
                    f"{what}{note}; RepairPolicy.REPAIR would make such rows suspension days "
                    f"({int(mask.sum())} row(s))",
                    Location(
                        file=str(self.path / "features" / code.lower() / f"{field_name}.day.bin"),
                        column=field_name,
                        instrument=code,
                        date=str(cube.dates[t].date()),
                        value=repr(float(f[field_name][t, n])),
                    ),
                )
            invalid |= mask
        return invalid

    def _detail_grid(self, cube: _Cube) -> dict[str, np.ndarray]:
        """Daily detail columns (amount, turn, tradestatus, isST) on the (T, N) grid; NaN where absent."""
        T, N = cube.fields["close"].shape
        out = {k: np.full((T, N), np.nan) for k in ("amount", "turn", "tradestatus", "isST", "volume")}
        file = self._extra("csi300_daily_detail.parquet")
        if file is None:
            return out
        d = pd.read_parquet(file, columns=["date", "code", "amount", "turn", "tradestatus", "isST", "volume"])
        codes = normalize_codes(d["code"], file=str(file))
        ni = pd.Index(cube.codes).get_indexer(codes)
        ti = cube.dates.get_indexer(pd.DatetimeIndex(d["date"]).as_unit("ns"))
        ok = (ni >= 0) & (ti >= 0)
        if (~ok).any():
            log.info("daily detail: %d rows outside the calendar/instrument list ignored", int((~ok).sum()))
        for k in out:
            out[k][ti[ok], ni[ok]] = d[k].to_numpy(dtype=np.float64, na_value=np.nan)[ok]
        # vwap must be amount / OUR volume: rescale the detail amount where the two volumes differ
        with np.errstate(invalid="ignore", divide="ignore"):
            vol = cube.fields["volume"] * (cube.fields["factor"] if self.volume_is_adjusted else 1.0)
            ratio = vol / out["volume"]
        out["amount"] = np.where(np.isfinite(ratio) & (ratio > 0), out["amount"] * ratio, out["amount"])
        return out

    def _shares_grid(self, cube: _Cube, raw_close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(total, float) shares on the (T, N) grid from the month-end market-cap file; NaN when unknown.

        shares = mcap x 1e8 / raw close of the last trading day <= the month-end date; carried forward
        (causally) to the end of the following calendar month.
        """
        T, N = raw_close.shape
        total = np.full((T, N), np.nan)
        flt = np.full((T, N), np.nan)
        file = self._extra("csi300_mcap_monthly.csv")
        if file is None:
            return total, flt
        m = pd.read_csv(file)
        codes = normalize_codes(m["code"], file=str(file))
        ni = pd.Index(cube.codes).get_indexer(codes)
        ti = cube.dates.searchsorted(pd.to_datetime(m["date"]).values, "right") - 1
        ok = (ni >= 0) & (ti >= 0)
        close = raw_close[ti[ok], ni[ok]]
        for col, arr in (("mcap", total), ("circ_mcap", flt)):
            v = m[col].to_numpy(float)
            # unit defect: caps of ~1 trillion CNY and up are written in trillions (Ping An 0.5458 for
            # 545.8bn). No value lies in [3.2, 10) while hundreds lie below 3.2, and no CSI 300 stock
            # is worth < 500M CNY: below 5 means trillions.
            v = np.where(v < _TRILLION_BELOW, v * 1e4, v)
            with np.errstate(invalid="ignore", divide="ignore"):
                arr[ti[ok], ni[ok]] = v[ok] * _YI / close
        month = (cube.dates.year * 12 + cube.dates.month).to_numpy()
        cols = np.arange(N)[None, :]
        for arr in (total, flt):
            idx = _ffill_index(np.isfinite(arr))
            src = np.maximum(idx, 0)
            fresh = (idx >= 0) & (month[:, None] - month[src] <= 1)
            arr[:] = np.where(fresh, arr[src, cols], np.nan)
        return total, flt


def _quarter_end(label: pd.Series, file: str, codes: pd.Series) -> pd.Series:
    """``'Q3 FY2016'`` -> Timestamp('2016-09-30'); a bad label raises naming the row."""
    parts = label.str.extract(r"^Q([1-4]) FY(\d{4})$")
    bad = parts[0].isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataContractError(
            f"unparsable report quarter {label.iloc[i]!r} (expected 'Q1 FY2016')",
            Location(file=file, column="report_date", instrument=str(codes.iloc[i])),
        )
    q, y = parts[0].astype(int), parts[1].astype(int)
    return pd.to_datetime(dict(year=y, month=q * 3, day=1)) + pd.offsets.MonthEnd(0)


def announce_deadline(report_period: pd.Series) -> pd.Series:
    """Regulatory deadline of each report (:data:`REPORT_DEADLINES`): the assumed announce_date."""
    month = report_period.dt.month.map(lambda m: REPORT_DEADLINES[m][0])
    day = report_period.dt.month.map(lambda m: REPORT_DEADLINES[m][1])
    year = report_period.dt.year + report_period.dt.month.map(lambda m: REPORT_DEADLINES[m][2])
    return pd.to_datetime(dict(year=year, month=month, day=day)).astype("datetime64[ns]")


def clean_quarterly(raw: pd.DataFrame, *, file: str = "csi300_fundamentals_quarterly.csv") -> pd.DataFrame:
    """``csi300_fundamentals_quarterly.csv`` -> the point-in-time FUNDAMENTAL_COLUMNS table.

    Input columns: code, report_date ('Q1 FY2016'), revenue, ocf, roe, net_profit, total_assets,
    total_liabilities, money in 100M CNY. The file is inconsistent and is repaired as follows:

    1. Units. Values >= 1 trillion CNY were written in trillions (1e4 x 100M) without saying so
       (banks' total assets ~2.7, Sinopec's revenue ~0.4). A balance-sheet value v with
       1 <= v < 100 is scaled x 1e4 when v < |net_profit| of the same quarter (total assets below
       one quarter's profit is impossible), unless total_liabilities then falls below 1% of the
       scaled total assets; revenue r with 1e-3 <= r < 100 is scaled when r < |ocf|/20 and
       r < |net_profit|/20.
    2. Cumulation. Chinese reports are year-to-date; the file mixes YTD codes and single-quarter
       codes. A code is YTD when in at least half of its complete fiscal years revenue rises
       strictly Q1 < Q2 < Q3 < Q4 with Q4/Q1 > 2.5 (single-quarter revenue gives Q4/Q1 ~ 1; YTD ~ 4).
       YTD flows (revenue, net_profit, ocf) become single-quarter: x_q - x_{q-1} within the fiscal
       year (NaN when the previous quarter is missing).
    3. announce_date = the regulatory deadline (:data:`REPORT_DEADLINES`: Q1 -> Apr 30, H1 ->
       Aug 31, Q3 -> Oct 31, annual -> Apr 30 next year), since the file has no announcement date;
       values are usable strictly after it.
    4. book_value = total_assets - total_liabilities (total equity, minorities included);
       roe = single-quarter net_profit / book_value; gross_profit, dividends, current_liabilities
       are absent from the file -> NaN.
    """
    codes = normalize_codes(raw["code"], file=file)
    period = _quarter_end(raw["report_date"].astype(str), file, codes)
    num = {
        c: raw[c].to_numpy(dtype=np.float64, na_value=np.nan).copy()
        for c in ("revenue", "ocf", "net_profit", "total_assets", "total_liabilities")
    }
    np_abs = np.abs(num["net_profit"])
    ta, tl = num["total_assets"], num["total_liabilities"]
    s_ta = (ta >= 1) & (ta < 100) & (ta < np_abs)
    s_tl = (tl >= 1) & (tl < 100) & ((tl < np_abs) | (s_ta & (tl <= ta * 1.2)))
    s_ta &= s_tl | ~(tl < ta * 1e4 / 100)
    rev = num["revenue"]
    s_rev = (
        (np.abs(rev) >= 1e-3)
        & (np.abs(rev) < 100)
        & (np.abs(rev) < np.abs(num["ocf"]) / 20)
        & (np.abs(rev) < np_abs / 20)
    )
    num["total_assets"] = np.where(s_ta, ta * 1e4, ta)
    num["total_liabilities"] = np.where(s_tl, tl * 1e4, tl)
    num["revenue"] = np.where(s_rev, rev * 1e4, rev)
    n_fix = int(s_ta.sum() + s_tl.sum() + s_rev.sum())
    if n_fix:
        log.info("%s: %d values rescaled from trillions to 100M CNY", file, n_fix)
    df = pd.DataFrame({"code": codes.to_numpy(), "report_period": period.to_numpy(), **num})
    df = df.drop_duplicates(["code", "report_period"], keep="last").sort_values(["code", "report_period"])
    df["year"] = df["report_period"].dt.year
    df["q"] = df["report_period"].dt.month // 3
    wide = df.pivot_table(index=["code", "year"], columns="q", values="revenue", dropna=False)
    wide = wide.reindex(columns=[1, 2, 3, 4])
    with np.errstate(invalid="ignore", divide="ignore"):
        ytd_year = (wide[2] > wide[1]) & (wide[3] > wide[2]) & (wide[4] > wide[3]) & (wide[4] / wide[1] > 2.5)
    complete = wide.notna().all(axis=1)
    share = ytd_year[complete].groupby(level="code").mean()
    ytd_codes = set(share.index[share >= 0.5])
    if ytd_codes:
        log.info("%s: %d codes report year-to-date flows; converted to single quarters", file, len(ytd_codes))
    is_ytd = df["code"].isin(ytd_codes).to_numpy()
    prev_q_same_year = (
        df.groupby("code")["report_period"].shift(1) + pd.offsets.QuarterEnd(1) == df["report_period"]
    ) & (df["q"] > 1)
    for col in ("revenue", "net_profit", "ocf"):
        prev = df.groupby("code")[col].shift(1).to_numpy()
        single = np.where(
            df["q"].to_numpy() == 1,
            df[col].to_numpy(),
            np.where(prev_q_same_year.to_numpy(), df[col].to_numpy() - prev, np.nan),
        )
        df[col] = np.where(is_ytd, single, df[col].to_numpy())
    book = df["total_assets"].to_numpy() - df["total_liabilities"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        roe = np.where(book > 0, df["net_profit"].to_numpy() / book, np.nan)
    out = pd.DataFrame(
        {
            "code": pd.array(df["code"].to_numpy(), dtype="str"),
            "report_period": df["report_period"].to_numpy().astype("datetime64[ns]"),
            "announce_date": announce_deadline(df["report_period"]).to_numpy(),
            "revenue": df["revenue"] * _YI,
            "net_profit": df["net_profit"] * _YI,
            "ocf": df["ocf"] * _YI,
            "gross_profit": np.nan,
            "dividends": np.nan,
            "book_value": book * _YI,
            "total_assets": df["total_assets"] * _YI,
            "total_liabilities": df["total_liabilities"] * _YI,
            "current_liabilities": np.nan,
            "roe": roe,
        }
    )
    return out[C.FUNDAMENTAL_COLUMNS].astype({c: "float64" for c in C.FUNDAMENTAL_COLUMNS[3:]}).reset_index(drop=True)


def _empty(columns: list[str], schema) -> pd.DataFrame:
    """An empty table with the contract's columns and dtypes."""
    dtypes = {c: str(s.dtype) for c, s in schema.columns.items()}
    return pd.DataFrame({c: pd.Series(dtype="str" if "str" in dtypes[c] else dtypes[c]) for c in columns})


__all__ = [
    "INDEX_CODES",
    "QlibSource",
    "REPORT_DEADLINES",
    "SW_L1",
    "announce_deadline",
    "clean_quarterly",
]
