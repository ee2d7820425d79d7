"""A Shanghai-like trading calendar: weekdays minus fixed-rule Chinese holidays.

Closed: New Year's Day (Jan 1), the Spring Festival week (lunar-new-year eve to
the 5th day after, dates from a table, Feb 5 outside it), Qingming (Apr 4-5),
Labour Day (May 1-3), Dragon Boat (Jun 10, a fixed stand-in) and Golden Week
(Oct 1-7). Only the rule matters here, not exact historical closures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Lunar new year (first day of the first month), Gregorian date.
_LUNAR_NEW_YEAR = {
    1995: "01-31",
    1996: "02-19",
    1997: "02-07",
    1998: "01-28",
    1999: "02-16",
    2000: "02-05",
    2001: "01-24",
    2002: "02-12",
    2003: "02-01",
    2004: "01-22",
    2005: "02-09",
    2006: "01-29",
    2007: "02-18",
    2008: "02-07",
    2009: "01-26",
    2010: "02-14",
    2011: "02-03",
    2012: "01-23",
    2013: "02-10",
    2014: "01-31",
    2015: "02-19",
    2016: "02-08",
    2017: "01-28",
    2018: "02-16",
    2019: "02-05",
    2020: "01-25",
    2021: "02-12",
    2022: "02-01",
    2023: "01-22",
    2024: "02-10",
    2025: "01-29",
    2026: "02-17",
    2027: "02-06",
    2028: "01-26",
    2029: "02-13",
    2030: "02-03",
}


def holidays(years: range) -> pd.DatetimeIndex:
    """Exchange holidays (calendar days, weekends included) of the given years."""
    days: list[pd.Timestamp] = []
    for y in years:
        lny = pd.Timestamp(f"{y}-{_LUNAR_NEW_YEAR.get(y, '02-05')}")
        days += list(pd.date_range(lny - pd.Timedelta(days=1), lny + pd.Timedelta(days=5)))
        days += [
            pd.Timestamp(f"{y}-01-01"),
            pd.Timestamp(f"{y}-04-04"),
            pd.Timestamp(f"{y}-04-05"),
            pd.Timestamp(f"{y}-06-10"),
        ]
        days += list(pd.date_range(f"{y}-05-01", f"{y}-05-03"))
        days += list(pd.date_range(f"{y}-10-01", f"{y}-10-07"))
    return pd.DatetimeIndex(sorted(set(days)))


def trading_calendar(start: pd.Timestamp | str, end: pd.Timestamp | str) -> pd.DatetimeIndex:
    """Trading days in [start, end]: weekdays that are not :func:`holidays`, ``datetime64[ns]``."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    days = pd.bdate_range(start, end)
    closed = holidays(range(start.year, end.year + 1))
    days = days[~days.isin(closed)]
    return pd.DatetimeIndex(np.asarray(days, dtype="datetime64[ns]"), name="date")
