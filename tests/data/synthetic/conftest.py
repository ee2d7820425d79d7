"""Fixtures of the synthetic-market tests: one small and one demo market per session."""

from __future__ import annotations

import pandas as pd
import pytest

from alpha_core.data.synthetic import SyntheticSource


@pytest.fixture(scope="session")
def small_source() -> SyntheticSource:
    """150 stocks x 2018..2019 (generated once, < 1 s)."""
    return SyntheticSource.from_profile("small")


@pytest.fixture(scope="session")
def demo_source() -> SyntheticSource:
    """The demo profile (300 stocks x 2014..2020, a few seconds)."""
    return SyntheticSource.from_profile("demo")


@pytest.fixture(scope="session")
def demo_bars(demo_source: SyntheticSource) -> pd.DataFrame:
    cal = demo_source.calendar()
    bars = demo_source.bars(cal[0], cal[-1])
    # previous raw close of the same instrument (the limit reference except on ex days)
    bars["prev_close"] = bars.groupby("code")["close"].shift()
    bars["prev_adj"] = bars.groupby("code")["adj_factor"].shift()
    return bars
