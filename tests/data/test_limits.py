"""The one price-limit rule (alpha_core.data.limits) and its users: the synthetic market follows it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.contract import Board
from alpha_core.data.limits import CHINEXT_REFORM, limit_pct
from alpha_core.data.synthetic import profile_config
from alpha_core.data.synthetic.universe_events import make_universe


def test_index_has_no_limit_and_chinext_widens_on_the_reform_day():
    boards = np.array([Board.INDEX, Board.CHINEXT, Board.CHINEXT, Board.STAR], dtype=object)
    dates = np.array(
        [CHINEXT_REFORM - pd.Timedelta(days=3), CHINEXT_REFORM - pd.Timedelta(days=3), CHINEXT_REFORM, CHINEXT_REFORM],
        dtype="datetime64[ns]",
    )
    pct = limit_pct(boards, dates, np.array([True, True, True, True]))
    # index NaN; ChiNext ST before the reform 10% -> 5%; from it 20% (ST too); STAR 20% (ST too)
    np.testing.assert_allclose(pct, [np.nan, 0.05, 0.20, 0.20])
    assert CHINEXT_REFORM == pd.Timestamp("2020-08-24")


def test_the_synthetic_market_uses_the_rule():
    cal = pd.bdate_range("2020-06-01", "2020-10-30")  # spans the ChiNext reform
    uni = make_universe(profile_config("small"), cal, np.random.default_rng(0))
    expect = limit_pct(uni.board[None, :], cal.values[:, None], uni.st)
    np.testing.assert_array_equal(uni.limit_pct, expect)
    chinext = uni.board == Board.CHINEXT.value
    assert chinext.any()
    before, after = cal < CHINEXT_REFORM, cal >= CHINEXT_REFORM
    assert (uni.limit_pct[np.ix_(after, chinext)] == 0.20).all()
    assert set(np.unique(uni.limit_pct[np.ix_(before, chinext)])) <= {0.05, 0.10}
