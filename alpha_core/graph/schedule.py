"""When graphs are rebuilt.

A rebuild date is the LAST trading day of a period (year, quarter, month, week).
The graph built on that date uses data up to and including it, and is effective
from it until the next rebuild date (see :mod:`alpha_core.graph.edges`).
R1 rebuilds at each year end; R3 and R2 use fresher graphs (monthly / quarterly).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location


class RebuildFrequency(StrEnum):
    YEARLY = "yearly"  # R1: each year end
    QUARTERLY = "quarterly"  # R2: fundamentals change quarterly
    MONTHLY = "monthly"  # R3: monthly rebalance
    WEEKLY = "weekly"


_PERIOD = {
    RebuildFrequency.YEARLY: "Y",
    RebuildFrequency.QUARTERLY: "Q",
    RebuildFrequency.MONTHLY: "M",
    RebuildFrequency.WEEKLY: "W",
}


def rebuild_dates(
    calendar: pd.DatetimeIndex | list,
    frequency: RebuildFrequency | str = RebuildFrequency.YEARLY,
    *,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    include_first: bool = False,
) -> pd.DatetimeIndex:
    """Last trading day of each period of ``frequency`` within [start, end].

    The calendar's last day counts as a period end only if the next weekday falls in a
    new period (the calendar cannot say whether more trading days follow in its period).

    Args:
        calendar: trading days (any order; deduplicated).
        frequency: :class:`RebuildFrequency` (default yearly, R1).
        start, end: optional bounds (inclusive) on the returned dates.
        include_first: also return the first trading day in range, so that a graph
            exists from the very start of the sample (built with data up to that day).

    Returns:
        Ascending DatetimeIndex of rebuild dates.
    """
    cal = pd.DatetimeIndex(pd.to_datetime(np.unique(pd.DatetimeIndex(calendar).normalize())))
    if len(cal) == 0:
        raise DataContractError("empty trading calendar", Location(column="date"))
    freq = RebuildFrequency(frequency)
    periods = cal.to_period(_PERIOD[freq])
    is_last = np.ones(len(cal), dtype=bool)
    is_last[:-1] = periods[1:] != periods[:-1]
    # the calendar's last day closes its period only if the next weekday starts a new one
    nxt = (cal[-1] + pd.offsets.BDay(1)).to_period(_PERIOD[freq])
    is_last[-1] = bool(nxt != periods[-1])
    out = cal[is_last]
    lo = cal[0] if start is None else pd.Timestamp(start)
    hi = cal[-1] if end is None else pd.Timestamp(end)
    if include_first:
        in_range = cal[(cal >= lo) & (cal <= hi)]
        if len(in_range):
            out = out.union(in_range[:1])
    return out[(out >= lo) & (out <= hi)]


def active_rebuild_date(rebuilds: pd.DatetimeIndex, day: pd.Timestamp) -> pd.Timestamp | None:
    """The latest rebuild date on or before ``day`` (the graph in force that day), or None."""
    rebuilds = pd.DatetimeIndex(rebuilds).sort_values()
    pos = rebuilds.searchsorted(pd.Timestamp(day), side="right") - 1
    return None if pos < 0 else rebuilds[pos]
