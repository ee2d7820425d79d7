"""Who is listed when: boards, codes, industries, IPOs, delistings, ST spells,
suspensions, price-limit percentages and corporate-action (ex-right) days.

Everything is drawn up front as static per-stock arrays (N,) and (T, N) masks;
the N axis is sorted by canonical code (the panel convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.contract import Board
from alpha_core.data.limits import limit_pct as board_limit_pct
from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.industries import INDUSTRY_SECTOR, INDUSTRY_WEIGHT

CHINEXT_OPEN = pd.Timestamp("2009-10-30")
STAR_OPEN = pd.Timestamp("2019-07-22")
MIN_LIST_DATE = pd.Timestamp("1991-01-02")
_BOARDS = np.array([Board.MAIN.value, Board.CHINEXT.value, Board.STAR.value], dtype=object)


@dataclass(frozen=True)
class Universe:
    """Static attributes (N,) and event masks (T, N) of the synthetic instruments.

    Attributes:
        codes, names, board: (N,) object arrays, sorted by code.
        industry, sector: (N,) int indices into ``industries.INDUSTRY_NAMES`` / ``SECTOR_NAMES``.
        list_date: (N,) datetime64 listing dates (may precede the calendar).
        list_idx: (N,) first calendar index with a bar (0 for stocks listed before the start).
        delist_idx: (N,) first calendar index without a bar after delisting (T when still listed).
        listed: (T, N) bar exists (list_idx <= t < delist_idx).
        st: (T, N) ST / *ST / delisting-period flag.
        suspended: (T, N) no trade that day (only where listed, never on the listing day).
        limit_pct: (T, N) daily limit as a fraction of the reference price (0.05/0.10/0.20).
        ex_day: (T, N) ex-right/ex-dividend day (dividend when ``pays_dividend``, split ratio).
        split_ratio: (T, N) shares multiplier on ex days (1.0 otherwise).
    """

    codes: np.ndarray
    names: np.ndarray
    board: np.ndarray
    industry: np.ndarray
    sector: np.ndarray
    list_date: np.ndarray
    list_idx: np.ndarray
    delist_idx: np.ndarray
    listed: np.ndarray
    st: np.ndarray
    suspended: np.ndarray
    limit_pct: np.ndarray
    ex_day: np.ndarray
    split_ratio: np.ndarray

    @property
    def n(self) -> int:
        return len(self.codes)


def _spell_mask(t_len: int, n: int, starts: np.ndarray, ends: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(T, N) bool mask of the half-open spells [starts, ends) of columns ``cols`` (vectorised)."""
    diff = np.zeros((t_len + 1, n), dtype=np.int32)
    np.add.at(diff, (np.clip(starts, 0, t_len), cols), 1)
    np.add.at(diff, (np.clip(ends, 0, t_len), cols), -1)
    return np.cumsum(diff[:-1], axis=0) > 0


def make_universe(cfg: SyntheticConfig, cal: pd.DatetimeIndex, rng: np.random.Generator) -> Universe:
    """Draw the instruments and their listing/ST/suspension/ex-right events on calendar ``cal``."""
    t_len, n = len(cal), cfg.n_stocks
    start = cal[0]
    # ~60% listed before the sample starts, the rest IPO through time (never in the last 20 days).
    pre = rng.random(n) < 0.6
    years_before = rng.uniform(0.3, 15.0, n)
    pre_dates = (start - pd.to_timedelta(years_before * 365.25, unit="D")).normalize()
    pre_dates = pre_dates.where(pre_dates >= MIN_LIST_DATE, MIN_LIST_DATE)
    pre_dates = pd.DatetimeIndex(np.busday_offset(pre_dates.values.astype("datetime64[D]"), 0, roll="forward"))
    last_before = pd.Timestamp(np.busday_offset(np.datetime64(start.date()) - 1, 0, roll="backward"))
    pre_dates = pre_dates.where(pre_dates < start, last_before)  # stays before the sample
    ipo_idx = rng.integers(1, max(2, t_len - 20), n)
    list_idx = np.where(pre, 0, ipo_idx)
    list_date = np.where(pre, pre_dates.values, cal.values[ipo_idx]).astype("datetime64[ns]")
    ld = pd.DatetimeIndex(list_date)

    u = rng.random(n)
    board_i = np.zeros(n, dtype=np.int64)  # 0 main, 1 chinext, 2 star
    post_chinext = ld >= CHINEXT_OPEN
    post_star = ld >= STAR_OPEN
    board_i[post_chinext & (u < 0.33)] = 1
    board_i[post_star & (u >= 0.33) & (u < 0.58)] = 2
    sh_main = rng.random(n) < 0.55

    industry = rng.choice(len(INDUSTRY_WEIGHT), size=n, p=INDUSTRY_WEIGHT / INDUSTRY_WEIGHT.sum())

    # Codes: sequential numbers in listing order within each prefix.
    order = np.argsort(list_date, kind="stable")
    prefix = np.where(board_i == 1, "SZ3", np.where(board_i == 2, "SH688", np.where(sh_main, "SH60", "SZ00")))
    # k-th listing within a prefix -> number base + first + k
    rank = np.empty(n, dtype=np.int64)
    rank[order] = pd.Series(prefix[order]).groupby(prefix[order]).cumcount().to_numpy()
    base = {"SZ3": (300001, "SZ"), "SH688": (688001, "SH"), "SH60": (600000, "SH"), "SZ00": (1, "SZ")}
    number = np.array([base[p][0] for p in prefix]) + rank
    codes = np.char.add(np.array([base[p][1] for p in prefix]), np.char.zfill(number.astype(str), 6)).astype(object)
    perm = np.argsort(codes.astype(str), kind="stable")
    codes, board_i, industry = codes[perm], board_i[perm], industry[perm]
    list_idx, list_date, pre = list_idx[perm], list_date[perm], pre[perm]
    names = np.array([f"Synthetic {c[2:]}" for c in codes], dtype=object)

    # Delistings: only stocks listed >= 1 year, at least 60 days before the end.
    delist_idx = np.full(n, t_len, dtype=np.int64)
    cand = np.flatnonzero(list_idx + 300 < t_len - 60)
    n_del = min(len(cand), int(round(cfg.delist_fraction * n)))
    if n_del:
        chosen = rng.choice(cand, size=n_del, replace=False)
        lo = list_idx[chosen] + 300
        delist_idx[chosen] = lo + (rng.random(n_del) * (t_len - 60 - lo)).astype(np.int64)
    tt = np.arange(t_len)[:, None]
    listed = (tt >= list_idx[None, :]) & (tt < delist_idx[None, :])

    # ST spells: every delisted stock is ST for 60..250 days before; others at random.
    st_cols, st_start, st_end = [], [], []
    dl = np.flatnonzero(delist_idx < t_len)
    st_cols.append(dl)
    st_start.append(np.maximum(list_idx[dl] + 63, delist_idx[dl] - rng.integers(60, 250, len(dl))))
    st_end.append(delist_idx[dl])
    n_st = int(round(cfg.st_fraction * n))
    others = rng.choice(n, size=n_st, replace=False)
    room = np.maximum(1, delist_idx[others] - list_idx[others] - 63)
    s0 = list_idx[others] + 63 + (rng.random(n_st) * room).astype(np.int64)
    st_cols.append(others)
    st_start.append(s0)
    st_end.append(s0 + rng.integers(120, 500, n_st))
    st = _spell_mask(t_len, n, np.concatenate(st_start), np.concatenate(st_end), np.concatenate(st_cols)) & listed

    # Suspension spells (geometric lengths, mean 5 days), never on a listing day.
    mean_len = 5.0
    n_spells = rng.poisson(cfg.suspension_rate * listed.sum() / mean_len)
    s_cols = rng.integers(0, n, n_spells)
    room = np.maximum(1, delist_idx[s_cols] - list_idx[s_cols] - 1)
    s_start = list_idx[s_cols] + 1 + (rng.random(n_spells) * room).astype(np.int64)
    s_len = rng.geometric(1.0 / mean_len, n_spells)
    suspended = _spell_mask(t_len, n, s_start, s_start + s_len, s_cols) & listed
    suspended[list_idx, np.arange(n)] = False

    dates = cal.values[:, None]
    board = _BOARDS[board_i]
    limit_pct = board_limit_pct(board[None, :], dates, st)  # ST 5% on the main board (and ChiNext before the reform)

    # Ex-right days: once a year in June/July for ~70% of stocks listed over a year, never suspended.
    ex_day = np.zeros((t_len, n), dtype=bool)
    split_ratio = np.ones((t_len, n), dtype=np.float64)
    for year in range(cal[0].year, cal[-1].year + 1):
        window = np.flatnonzero((cal >= pd.Timestamp(f"{year}-06-01")) & (cal <= pd.Timestamp(f"{year}-07-31")))
        if len(window) == 0:
            continue
        t_ex = window[rng.integers(0, len(window), n)]
        pays = (rng.random(n) < 0.7) & (t_ex - list_idx > 250) & listed[t_ex, np.arange(n)]
        pays &= ~suspended[t_ex, np.arange(n)]
        split = pays & (rng.random(n) < 0.12)
        ratio = rng.choice([1.2, 1.3, 1.5, 2.0], size=n)
        ex_day[t_ex[pays], np.flatnonzero(pays)] = True
        split_ratio[t_ex[split], np.flatnonzero(split)] = ratio[split]

    return Universe(
        codes=codes,
        names=names,
        board=board,
        industry=industry,
        sector=INDUSTRY_SECTOR[industry],
        list_date=list_date,
        list_idx=list_idx,
        delist_idx=delist_idx,
        listed=listed,
        st=st,
        suspended=suspended,
        limit_pct=limit_pct,
        ex_day=ex_day,
        split_ratio=split_ratio,
    )
