"""Stock universes (SPEC section 2) and index-constituent flags, one row per (date, code) bar.

Columns:
    listed_63d   at least 63 trading days since the listing day: t - t_list >= 63
                 (t_list = first trading day on/after instruments.list_date; without
                 instruments, the stock's first bar in the table)
    not_st       not ST / *ST / delisting period (bars.is_st)
    tradable     bars.tradable (not suspended)
    top60, top90 liquidity-and-size screen, rebalanced at quarter ends: on the last trading day
                 Q of each calendar quarter, among the stocks tradable on Q, rank by the 1-year
                 (252-trading-day, up to and including Q) mean daily amount (active days) and by
                 the 1-year mean total_mcap; keep stocks in the top p (60% / 90%) by BOTH.
                 Applied from the trading day after Q through the next quarter end (inclusive);
                 False before the first quarter end of the table.
    in_csi300, in_csi500, in_csi1000
                 member of the index in the latest index_weights snapshot dated <= the date
    r1           listed_63d & not_st & top60
    r1_xgb       listed_63d & not_st & top90
Everything is causal: the value on date t reads data of dates <= t only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location
from alpha_core.factors.rolling import rolling_mean

INDEX_CODES = {"in_csi300": "SH000300", "in_csi500": "SH000905", "in_csi1000": "SH000852"}
UNIVERSE_COLUMNS = [
    "date",
    "code",
    "listed_63d",
    "not_st",
    "tradable",
    "top60",
    "top90",
    "in_csi300",
    "in_csi500",
    "in_csi1000",
    "r1",
    "r1_xgb",
]


@dataclass(frozen=True)
class UniverseConfig:
    """Args: min_listed_days (63); lookback_days for the 1-year means (252); top (0.6) and
    top_xgb (0.9) shares kept; min_obs: fewest observations for a 1-year mean (20)."""

    min_listed_days: int = 63
    lookback_days: int = 252
    top: float = 0.6
    top_xgb: float = 0.9
    min_obs: int = 20


def _quarter_ends(dates: pd.DatetimeIndex) -> np.ndarray:
    """Row indices t whose next trading day lies in another calendar quarter."""
    q = dates.year * 4 + (dates.month - 1) // 3
    return np.flatnonzero(np.asarray(q[1:] != q[:-1]))


def _top_share(x: np.ndarray, eligible: np.ndarray, share: float) -> np.ndarray:
    """(N,) True for eligible stocks whose descending rank position is within the top ``share``."""
    ok = eligible & ~np.isnan(x)
    n = ok.sum()
    out = np.zeros(len(x), bool)
    if n == 0:
        return out
    # fraction of eligible stocks strictly larger, i.e. position from the top (ties share the best)
    vals = np.sort(x[ok])
    larger = n - np.searchsorted(vals, x[ok], side="right")
    out[ok] = larger < share * n
    return out


def quarter_screen(
    amount_1y: np.ndarray, mcap_1y: np.ndarray, tradable: np.ndarray, dates: pd.DatetimeIndex, share: float
) -> np.ndarray:
    """(T, N) bool: the top-``share`` screen on both 1-year means, held from Q+1 to the next Q."""
    t, n = amount_1y.shape
    out = np.zeros((t, n), bool)
    qe = _quarter_ends(dates)
    for i, q in enumerate(qe):  # one cross-sectional ranking per quarter end (~4 a year)
        keep = _top_share(amount_1y[q], tradable[q], share) & _top_share(mcap_1y[q], tradable[q], share)
        stop = qe[i + 1] + 1 if i + 1 < len(qe) else t
        out[q + 1 : stop] = keep
    return out


def index_membership(
    index_weights: pd.DataFrame | None, index_code: str, dates: pd.DatetimeIndex, codes: pd.Index
) -> np.ndarray:
    """(T, N) bool membership from the latest snapshot of ``index_code`` dated <= each date."""
    out = np.zeros((len(dates), len(codes)), bool)
    if index_weights is None or len(index_weights) == 0:
        return out
    w = index_weights[(index_weights["index_code"] == index_code) & (index_weights["weight"] > 0)]
    if len(w) == 0:
        return out
    snaps = pd.DatetimeIndex(np.sort(w["date"].unique()))
    member = np.zeros((len(snaps), len(codes)), bool)
    si = snaps.get_indexer(w["date"])
    ni = codes.get_indexer(w["code"])
    member[si[ni >= 0], ni[ni >= 0]] = True
    pos = snaps.searchsorted(dates, side="right") - 1
    has = pos >= 0
    out[has] = member[pos[has]]
    return out


def build_universe(
    bars: pd.DataFrame,
    instruments: pd.DataFrame | None = None,
    index_weights: pd.DataFrame | None = None,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    config: UniverseConfig = UniverseConfig(),
) -> pd.DataFrame:
    """Universe flags for every (date, code) bar in [start, end].

    ``bars`` must include ~1 year of history before ``start`` for the quarter-end screen
    (plus the previous quarter end). Returns DataFrame[UNIVERSE_COLUMNS] sorted by (date, code).
    """
    for col in ("date", "code", "amount", "total_mcap", "tradable", "is_st", "volume"):
        if col not in bars.columns:
            raise DataContractError(f"bars lack column {col!r}", Location(column=col))
    p = Panel.from_long(bars, ["amount", "total_mcap", "tradable", "is_st", "volume"])
    dates, codes = p.dates, p.codes
    t, n = p.shape
    present = ~np.isnan(p["tradable"])
    tradable = present & (p["tradable"] == 1)
    not_st = present & (p["is_st"] == 0)

    # listing: position of the first trading day on/after list_date (far past if before the table)
    first_bar = np.where(present.any(0), present.argmax(0), t)
    t_list = first_bar.astype(np.int64)
    if instruments is not None and len(instruments):
        inst = instruments.set_index("code")["list_date"].reindex(codes)
        known = inst.notna().to_numpy()
        pos = dates.searchsorted(inst.to_numpy(dtype="datetime64[ns]"), side="left").astype(np.int64)
        before = known & (inst.to_numpy(dtype="datetime64[ns]") < dates[0].to_datetime64())
        pos = np.where(before, -(10**9), pos)
        t_list = np.where(known, pos, t_list)
    listed = (np.arange(t)[:, None] - t_list[None, :]) >= config.min_listed_days

    active = tradable & (p["volume"] > 0)
    amount_1y = rolling_mean(np.where(active, p["amount"], np.nan), config.lookback_days, config.min_obs)
    mcap_1y = rolling_mean(np.where(present, p["total_mcap"], np.nan), config.lookback_days, config.min_obs)
    top60 = quarter_screen(amount_1y, mcap_1y, tradable, dates, config.top)
    top90 = quarter_screen(amount_1y, mcap_1y, tradable, dates, config.top_xgb)

    fields = {
        "listed_63d": listed,
        "not_st": not_st,
        "tradable": tradable,
        "top60": top60,
        "top90": top90,
        **{name: index_membership(index_weights, idx, dates, codes) for name, idx in INDEX_CODES.items()},
    }
    fields["r1"] = listed & not_st & top60
    fields["r1_xgb"] = listed & not_st & top90

    lo = 0 if start is None else int(dates.searchsorted(pd.Timestamp(start), side="left"))
    hi = t if end is None else int(dates.searchsorted(pd.Timestamp(end), side="right"))
    ti, ni = np.nonzero(present[lo:hi])
    out = {"date": dates.values[lo:hi][ti], "code": codes.values.astype(object)[ni]}
    for name in UNIVERSE_COLUMNS[2:]:
        out[name] = fields[name][lo:hi][ti, ni]
    return pd.DataFrame(out)[UNIVERSE_COLUMNS]
