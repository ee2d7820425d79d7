"""Trading calendar and the industry/sector table of the synthetic market."""

from __future__ import annotations

import pandas as pd

from alpha_core.data.contract import Sector
from alpha_core.data.synthetic.calendar import trading_calendar
from alpha_core.data.synthetic.industries import INDUSTRIES


def test_calendar_skips_weekends_and_fixed_holidays():
    cal = trading_calendar("2018-01-01", "2019-12-31")
    assert (cal.dayofweek < 5).all()
    assert cal.is_monotonic_increasing and cal.is_unique
    closed = [
        "2018-01-01",
        "2018-02-15",
        "2018-02-16",
        "2018-02-21",
        "2018-05-01",
        "2018-10-01",
        "2018-10-05",
        "2019-02-04",
        "2019-02-08",
        "2019-04-05",
        "2019-10-07",
    ]
    for day in closed:
        assert pd.Timestamp(day) not in cal, day
    for day in ["2018-01-02", "2018-02-22", "2018-10-08", "2019-02-11", "2019-12-31"]:
        assert pd.Timestamp(day) in cal, day
    # ~244 trading days a year, like the SSE
    assert 235 <= (cal.year == 2018).sum() <= 250
    assert str(cal.dtype) == "datetime64[ns]"


def test_thirty_industries_grouped_as_spec_section_2():
    assert len(INDUSTRIES) == 30
    by_sector = {s: sorted(k for k, (sec, _) in INDUSTRIES.items() if sec is s) for s in Sector}
    assert {s: len(v) for s, v in by_sector.items()} == {
        Sector.CYCLICAL: 9,
        Sector.CONSUMER: 10,
        Sector.FINANCIAL: 4,
        Sector.GROWTH: 4,
        Sector.STABLE: 3,
    }
    assert by_sector[Sector.FINANCIAL] == ["banks", "diversified_finance", "non_bank_finance", "real_estate"]
    assert by_sector[Sector.GROWTH] == ["computers", "electronics", "media", "telecom"]
    assert by_sector[Sector.STABLE] == ["construction", "transportation", "utilities"]
    assert INDUSTRIES["defence"][0] is Sector.CYCLICAL
    assert INDUSTRIES["agriculture"][0] is Sector.CONSUMER
    assert all(k == k.lower() and " " not in k for k in INDUSTRIES)
