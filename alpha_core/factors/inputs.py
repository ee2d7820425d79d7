"""The factor engine's input bundle and its wide (T, N) views.

:class:`FactorInputs` holds the contract tables; :class:`FactorContext` pivots
them into (T dates, N codes) float64 arrays (each bar field on first use) and caches derived arrays
(adjusted prices, daily returns, point-in-time fundamentals, industries) that
several factor families share.

Conventions of the derived arrays:
- adjusted price = raw price * adj_factor (total-return prices);
- ``active`` = the stock has a bar, is tradable and traded (volume > 0);
  price/volume fields are NaN on inactive days so suspensions do not enter
  windows as fake zero-volume observations;
- ``close_ff`` = adjusted close forward-filled across suspensions (for
  point-to-point returns); ``ret`` = close_ff_t / close_ff_{t-1} - 1 on
  active days, NaN otherwise;
- fundamentals and consensus are point in time and expire ``PitConfig`` days after their
  announcement when nothing newer arrives (:mod:`alpha_core.factors.pit`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from alpha_core.data.contract import BARS_COLUMNS
from alpha_core.errors import DataContractError, Location
from alpha_core.factors.pit import PitConfig, asof_panel

log = logging.getLogger(__name__)

# is_st / float_mcap / limits are not factor inputs (the universe reads them): not pivoted, saving memory
_BAR_FIELDS = [
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "vwap",
    "adj_factor",
    "turnover",
    "total_mcap",
    "tradable",
]


@dataclass(frozen=True)
class FactorInputs:
    """Contract tables a factor computation may read (see :mod:`alpha_core.data.contract`).

    ``bars`` must cover the requested dates plus the lookback (up to 504 trading
    days for bias_turn_1m, 20 quarters of fundamentals for the *_var factors).
    Optional tables may be None or empty: factors that need them are absent.
    """

    bars: pd.DataFrame
    fundamentals: pd.DataFrame | None = None
    consensus: pd.DataFrame | None = None
    industry_map: pd.DataFrame | None = None
    instruments: pd.DataFrame | None = None

    def available(self) -> frozenset[str]:
        """Names of the optional tables that are present and non-empty."""
        out = set()
        for name in ("fundamentals", "consensus", "industry_map", "instruments"):
            table = getattr(self, name)
            if table is not None and len(table) > 0:
                out.add(name)
        return frozenset(out)


def ffill_rows(x: np.ndarray) -> np.ndarray:
    """Forward-fill NaN down the rows of a (T, N) array (one vectorised (N,) step per row)."""
    out = x.copy()
    for t in range(1, len(out)):
        row = out[t]
        np.copyto(row, out[t - 1], where=np.isnan(row))
    return out


class FactorContext:
    """Wide views of a :class:`FactorInputs`, computed once and cached.

    Attributes:
        dates: (T,) trading days of ``bars``; codes: (N,) codes.
        present: (T, N) bool, the stock has a bar that day.
        pit: expiry of the point-in-time fundamentals and consensus.
    """

    def __init__(self, inputs: FactorInputs, pit: PitConfig = PitConfig()):
        bars = inputs.bars
        missing = [c for c in BARS_COLUMNS if c not in bars.columns]
        if missing:
            raise DataContractError(f"bars lack columns {missing}", Location(column=missing[0]))
        if len(bars) == 0:
            raise DataContractError("bars table is empty", Location(column="date"))
        self.inputs = inputs
        self.pit = pit
        # pivot lazily: each bar field becomes a (T, N) array on first use only
        ti, dates = pd.factorize(bars["date"], sort=True)
        ni, codes = pd.factorize(bars["code"], sort=True)
        self.dates: pd.DatetimeIndex = pd.DatetimeIndex(dates)
        self.codes: pd.Index = pd.Index(codes)
        self._flat = ti.astype(np.int64) * len(self.codes) + ni  # flat (T*N) position of each bar row
        self.present = np.zeros(self.shape, dtype=bool)
        self.present.reshape(-1)[self._flat] = True
        if int(self.present.sum()) != len(bars):  # cheap check: duplicates collapse in the pivot
            row = bars[bars.duplicated(["date", "code"])].iloc[0]
            raise DataContractError(
                "duplicate (date, code) in bars",
                Location(column="code", instrument=str(row["code"]), date=str(pd.Timestamp(row["date"]).date())),
            )

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.codes)

    def raw(self, name: str) -> np.ndarray:
        """A raw bar field as (T, N) float64 (NaN where no bar), pivoted on first use."""
        if name not in _BAR_FIELDS:
            raise KeyError(f"bar field {name!r} is not a factor input")

        def pivot():
            arr = np.full(self.shape, np.nan)
            arr.reshape(-1)[self._flat] = self.inputs.bars[name].to_numpy(dtype=np.float64, na_value=np.nan)
            return arr

        return self._cache(f"raw_{name}", pivot)

    @cached_property
    def active(self) -> np.ndarray:
        bars = self.inputs.bars
        with np.errstate(invalid="ignore"):  # on the long columns: no (T, N) pivot of the flags
            ok = (
                bars["tradable"].to_numpy(dtype=bool)
                & (bars["volume"].to_numpy(dtype=np.float64) > 0)
                & bars["close"].notna().to_numpy()
            )
        out = np.zeros(self.shape, dtype=bool)
        out.reshape(-1)[self._flat] = ok
        return out

    def _masked(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.active, x, np.nan)

    def adjusted(self, name: str) -> np.ndarray:
        """Adjusted price field (open/high/low/close/vwap) on active days, else NaN."""
        return self._cache(f"adj_{name}", lambda: self._masked(self.raw(name) * self.raw("adj_factor")))

    @cached_property
    def close_ff(self) -> np.ndarray:
        return ffill_rows(self.adjusted("close"))

    @cached_property
    def ret(self) -> np.ndarray:
        """(T, N) daily adjusted close-to-close return on active days."""
        prev = np.vstack([np.full((1, self.shape[1]), np.nan), self.close_ff[:-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.active, self.close_ff / prev - 1.0, np.nan)

    def field(self, name: str) -> np.ndarray:
        """Volume / amount / turnover on active days; market caps wherever known."""
        if name in ("total_mcap", "tradable"):
            return self.raw(name)
        return self._cache(f"act_{name}", lambda: self._masked(self.raw(name)))

    def _cache(self, key: str, fn):
        store = self.__dict__.setdefault("_store", {})
        if key not in store:
            store[key] = fn()
        return store[key]

    # --- optional inputs -------------------------------------------------
    @cached_property
    def fundamentals(self):
        """Point-in-time fundamentals (:class:`alpha_core.factors.fundamentals.PitFundamentals`) or None."""
        from alpha_core.factors.fundamentals import PitFundamentals

        if "fundamentals" not in self.inputs.available():
            return None
        return PitFundamentals(
            self.inputs.fundamentals, self.dates, self.codes, max_age_days=self.pit.fundamentals_max_age_days
        )

    @cached_property
    def industry(self) -> tuple[np.ndarray, list[str]] | None:
        """((T, N) int industry id, -1 unknown; id -> industry name) from industry_map, or None."""
        if "industry_map" not in self.inputs.available():
            return None
        return industry_panel(self.inputs.industry_map, self.dates, self.codes)

    def consensus(self, column: str) -> np.ndarray | None:
        """(T, N) consensus column as known on each date, or None if the table is absent.

        A row dated d is known from the first trading day >= d and persists (as of) until the
        table reports a newer value, so a sparse table (rows only when the consensus changes)
        reads the same as a daily one; it expires ``pit.consensus_max_age_days`` calendar days
        after d when no newer value arrives.
        """
        if "consensus" not in self.inputs.available():
            return None
        return self._cache(
            f"con_{column}",
            lambda: asof_panel(self.inputs.consensus, column, self.dates, self.codes, self.pit.consensus_max_age_days),
        )


def industry_panel(
    industry_map: pd.DataFrame, dates: pd.DatetimeIndex, codes: pd.Index
) -> tuple[np.ndarray, list[str]]:
    """(T, N) industry id per date from [start_date, end_date] spans (end NaT = open)."""
    names = sorted(industry_map["industry"].astype(str).unique())
    lookup = {n: i for i, n in enumerate(names)}
    out = np.full((len(dates), len(codes)), -1, dtype=np.int64)
    m = industry_map[industry_map["code"].isin(codes)].sort_values("start_date")
    ni = codes.get_indexer(m["code"])
    t0 = dates.searchsorted(m["start_date"].to_numpy(), side="left")
    end = m["end_date"].fillna(pd.Timestamp.max.normalize()).to_numpy()
    t1 = dates.searchsorted(end, side="right")
    ids = m["industry"].astype(str).map(lookup).to_numpy()
    for n, a, b, k in zip(ni, t0, t1, ids, strict=True):  # one span per (code, spell): few rows
        out[a:b, n] = k
    return out, names
