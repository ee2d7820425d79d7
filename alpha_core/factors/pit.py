"""Point-in-time expiry: how long an announced fundamental or consensus value stays usable.

A value announced on day ``a`` enters the panel on trading days t after it is known (the
contract's rules: fundamentals on t > a, consensus rows on t >= their date) and expires when no
newer value has arrived within ``max_age_days`` calendar days:

    usable(t) = known(t)  and  age(t) <= max_age_days,   age(t) = (t - a) in calendar days

so a value is present up to and including day ``a + max_age_days`` and NaN after it, until a
newer announcement replaces it. The expiry of a value depends only on its own announcement date
and on the announcements at or before t: it is causal.

Default, :data:`DEFAULT_MAX_AGE_DAYS` = 212 calendar days. The A-share disclosure deadlines are
Q1 by Apr 30, H1 by Aug 31, Q3 by Oct 31 and the annual report by Apr 30 of the next year, so a
company that files on time is superseded within 4 (Apr 30 -> Aug 31), 2 (Aug 31 -> Oct 31) or
6 months (Oct 31 -> Apr 30). The longest regular gap is 182 days (Oct 31 -> Apr 30 across a
leap day); a 30-day grace for late filers (postponed disclosures, deadlines on holidays) gives
212. It is also exactly the gap of a company that files its Q3 report on the first possible
day (Oct 1) and its annual report on the last (Apr 30 of a leap year), so an on-time filer never
loses its values; one that stops reporting (or a source whose table ends) loses them about
seven months after its last report instead of never.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_MAX_AGE_DAYS = 212
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class PitConfig:
    """Expiry of point-in-time inputs, in calendar days after the announcement (None: never expire).

    Args:
        fundamentals_max_age_days: a quarterly report (its latest quarter's announcement) expires
            this many days after its announce_date when no newer quarter has been announced.
        consensus_max_age_days: a consensus value expires this many days after its row's date
            when the table reports no newer value for the stock.
    """

    fundamentals_max_age_days: int | None = DEFAULT_MAX_AGE_DAYS
    consensus_max_age_days: int | None = DEFAULT_MAX_AGE_DAYS

    def __post_init__(self) -> None:
        for name in ("fundamentals_max_age_days", "consensus_max_age_days"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"PitConfig.{name} must be a non-negative int of days or None, got {value!r}")


def latest_row_index(t_eff: np.ndarray, col: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(T, N) int64: per cell, the largest row id effective on or before the row (-1: none yet).

    Row r (id = its position) takes effect on row ``t_eff[r]`` of column ``col[r]``
    (``t_eff >= T``: never inside the panel). Ids must increase with the announcement time within
    a column, so the largest id effective so far is the latest announcement (forward fill by a
    running maximum down the rows).
    """
    n_t, n_c = shape
    idx = np.full(n_t * n_c, -1, dtype=np.int64)
    keep = t_eff < n_t
    np.maximum.at(idx, t_eff[keep] * n_c + col[keep], np.flatnonzero(keep))
    idx = idx.reshape(shape)
    np.maximum.accumulate(idx, axis=0, out=idx)
    return idx


def age_days(dates: pd.DatetimeIndex, announced_ns: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(T, N) float64 calendar days from the announcement of row ``idx[t, n]`` to ``dates[t]``.

    ``announced_ns`` (R,) int64 nanoseconds per row; NaN where ``idx < 0`` (nothing announced).
    """
    if len(announced_ns) == 0:
        return np.full(idx.shape, np.nan)
    day = dates.values.astype("datetime64[ns]").astype(np.int64)[:, None]
    age = (day - announced_ns[np.maximum(idx, 0)]) / DAY_NS
    return np.where(idx >= 0, age, np.nan)


def fresh_mask(
    dates: pd.DatetimeIndex, announced_ns: np.ndarray, idx: np.ndarray, max_age_days: int | None
) -> np.ndarray:
    """(T, N) bool: a row is in effect (``idx >= 0``) and at most ``max_age_days`` old."""
    if max_age_days is None or len(announced_ns) == 0:
        return idx >= 0
    day = dates.values.astype("datetime64[ns]").astype(np.int64)[:, None]
    return (idx >= 0) & (day - announced_ns[np.maximum(idx, 0)] <= max_age_days * DAY_NS)


def asof_panel(
    table: pd.DataFrame, column: str, dates: pd.DatetimeIndex, codes: pd.Index, max_age_days: int | None
) -> np.ndarray:
    """(T, N) latest non-NaN ``column`` of a dated long table (``date``, ``code``) as known on each date.

    A row dated d is known from the first panel date >= d (rows before the panel's first date
    carry in; rows after its last date are ignored); a later row replaces it; it expires (NaN)
    once ``dates[t] - d > max_age_days`` days with no newer non-NaN row for the code.
    """
    values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
    stamp = table["date"].to_numpy(dtype="datetime64[ns]")
    col = codes.get_indexer(table["code"])
    ok = ~np.isnan(values) & (col >= 0) & ~np.isnat(stamp)
    order = np.argsort(stamp[ok], kind="stable")  # ids increase with the date (ties: table order)
    values, stamp, col = values[ok][order], stamp[ok][order], col[ok][order]
    t_eff = dates.searchsorted(stamp, side="left")
    idx = latest_row_index(t_eff, col, (len(dates), len(codes)))
    fresh = fresh_mask(dates, stamp.astype(np.int64), idx, max_age_days)
    if len(values) == 0:
        return np.full(idx.shape, np.nan)
    return np.where(fresh, values[np.maximum(idx, 0)], np.nan)
