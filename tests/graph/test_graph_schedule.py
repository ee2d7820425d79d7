"""Rebuild dates: last trading day of each period."""

from __future__ import annotations

import pandas as pd

from alpha_core.graph.schedule import active_rebuild_date, rebuild_dates

D = pd.Timestamp


def _calendar() -> pd.DatetimeIndex:
    days = pd.bdate_range("2019-12-20", "2021-01-08")
    return days.drop([D("2019-12-31"), D("2020-03-31"), D("2020-12-31")])  # holidays at period ends


def test_yearly_rebuild_is_the_last_trading_day_of_each_year() -> None:
    out = rebuild_dates(_calendar(), "yearly")
    assert list(out) == [D("2019-12-30"), D("2020-12-30")]


def test_quarterly_and_monthly() -> None:
    q = rebuild_dates(_calendar(), "quarterly", start="2020-01-01", end="2020-12-31")
    assert list(q) == [D("2020-03-30"), D("2020-06-30"), D("2020-09-30"), D("2020-12-30")]
    m = rebuild_dates(_calendar(), "monthly", start="2020-01-01", end="2020-04-30")
    assert list(m) == [D("2020-01-31"), D("2020-02-28"), D("2020-03-30"), D("2020-04-30")]


def test_incomplete_last_period_is_not_a_rebuild_date_but_a_true_period_end_is() -> None:
    cal = pd.bdate_range("2020-01-01", "2020-06-17")
    assert rebuild_dates(cal, "monthly")[-1] == D("2020-05-29")
    cal = pd.bdate_range("2020-01-01", "2020-06-30")
    assert rebuild_dates(cal, "monthly")[-1] == D("2020-06-30")


def test_include_first_and_active_date() -> None:
    out = rebuild_dates(_calendar(), "yearly", include_first=True)
    assert out[0] == D("2019-12-20")
    assert active_rebuild_date(out, D("2020-06-01")) == D("2019-12-30")
    assert active_rebuild_date(out, D("2020-12-30")) == D("2020-12-30")
    assert active_rebuild_date(out, D("2019-01-01")) is None
