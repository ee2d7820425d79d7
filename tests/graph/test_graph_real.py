"""Real data: sector / industry graphs of CSI 300 members from the Shenwan industry file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alpha_core.data.qlib import QlibSource
from alpha_core.graph.schedule import rebuild_dates
from alpha_core.graph.sector import membership_graph
from alpha_core.graph.stats import graph_stats

pytestmark = pytest.mark.realdata


def test_real_sector_and_industry_graphs(shared_data: Path) -> None:
    src = QlibSource(shared_data / "cn_qlib", extra_dir=shared_data / "cn_extra")
    imap = src.industry_map()
    dates = rebuild_dates(src.calendar(), "yearly", start="2016-01-01", end="2020-12-31")
    assert list(dates.year) == [2016, 2017, 2018, 2019, 2020]
    sector = membership_graph(imap, dates, kind="sector")
    industry = membership_graph(imap, dates, kind="industry")
    for day in dates:
        s = graph_stats(sector[sector["date"] == day])
        i = graph_stats(industry[industry["date"] == day])
        assert s["nodes"] == 300 and s["isolated"] == 0
        assert i["edges"] < s["edges"]  # industries refine sectors
    # a stock of the universe without an industry (a 2015 rebuild: file starts 2016) is isolated
    codes = sorted(imap["code"].unique())[:50]
    early = membership_graph(imap, [pd.Timestamp("2015-12-31")], kind="sector", universe=codes)
    assert len(early) == 0 and graph_stats(early, codes)["isolated"] == 50
