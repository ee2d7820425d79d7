"""Order ticket on hand-built 3-stock books: board lots, STAR minimums, odd-lot sales, blocked
trades and the cash residual, every number worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import Board
from alpha_core.portfolio.orders import target_orders
from alpha_core.portfolio.ticket import LOT_RULES, order_ticket, round_order

DAY = pd.Timestamp("2024-03-08")
MAIN, STAR = LOT_RULES[Board.MAIN], LOT_RULES[Board.STAR]


def _bars(rows):
    cols = ["code", "tradable", "open", "high", "low", "close", "limit_up", "limit_down", "vwap"]
    return pd.DataFrame(rows, columns=cols)


@pytest.mark.parametrize(
    "desired, held, rule, expected",
    [
        (1_234.0, 0, MAIN, 1_200),  # buys: whole lots of 100, rounded down
        (99.0, 0, MAIN, 0),  # less than one lot: no order
        (250.7, 0, STAR, 250),  # STAR: >= 200 shares, then single shares
        (199.0, 0, STAR, 0),  # below STAR's minimum
        (-350.0, 1_000, MAIN, -300),  # sells: whole lots, rounded down
        (-950.0, 1_000, MAIN, -1_000),  # the rest (50) would be an odd lot, nearer to all: sell all
        (-30.0, 1_000, MAIN, 0),  # less than one lot, 970 left: nothing
        (-1_500.0, 1_000, MAIN, -1_000),  # cannot sell more than held
        (-60.0, 250, STAR, 0),  # 190 left is an odd lot; 60 is nearer to 0 than to 250
        (-140.0, 250, STAR, -250),  # 110 left; 140 is nearer to 250: sell the whole position
    ],
)
def test_round_order(desired, held, rule, expected):
    assert round_order(desired, held, rule) == expected


def test_ticket_from_cash_sizes_lots_and_leaves_a_positive_cash_residual():
    bars = _bars(
        [
            ("SH600000", True, 10.0, 10.2, 9.9, 10.0, 11.0, 9.0, 10.05),
            ("SH688001", True, 33.0, 34.0, 32.5, 33.0, 39.6, 26.4, 33.2),
            ("SZ300001", True, 7.0, 7.1, 6.9, 7.0, 8.4, 5.6, 7.01),
        ]
    )
    target = pd.Series({"SH600000": 0.5, "SH688001": 0.3, "SZ300001": 0.2})
    orders = target_orders(pd.Series(dtype=float), target, bars, DAY)
    t = order_ticket(orders, bars, 100_000.0).set_index("code")
    # 50,000 / 10 = 5,000 shares; 30,000 / 33 = 909.09 -> 909 (STAR, step 1); 20,000 / 7 = 2857.1 -> 2,800
    assert list(t["trade_shares"]) == [5_000, 909, 2_800]
    assert list(t["target_shares"]) == [5_000, 909, 2_800] and (t["current_shares"] == 0).all()
    np.testing.assert_allclose(t["notional"], [50_000.0, 29_997.0, 19_600.0])
    assert t["cash_residual"].iloc[0] == pytest.approx(100_000.0 - 50_000.0 - 29_997.0 - 19_600.0)
    np.testing.assert_allclose(t["ref_vwap"], [10.05, 33.2, 7.01])
    assert t["blocked_reason"].isna().all()


def test_blocked_names_keep_their_shares_and_sales_round_to_lots():
    bars = _bars(
        [
            ("SH600000", True, 9.0, 9.0, 9.0, 9.0, 11.0, 9.0, 9.0),  # one-price limit-down: no sale
            ("SH600001", True, 10.0, 10.5, 9.8, 10.0, 11.0, 9.0, 10.1),  # normal
            ("SH600002", True, 5.0, 5.2, 4.9, 5.0, 5.5, 4.5, 5.0),  # normal, sold down to zero
        ]
    )
    current = pd.Series({"SH600000": 0.45, "SH600001": 0.25, "SH600002": 0.30})
    held = pd.Series({"SH600000": 5_000, "SH600001": 2_500, "SH600002": 6_050})  # an odd lot in 600002
    target = pd.Series({"SH600000": 0.20, "SH600001": 0.80})
    orders = target_orders(current, target, bars, DAY)
    t = order_ticket(orders, bars, 100_000.0, held).set_index("code")
    assert t.loc["SH600000", "blocked_reason"] == "limit_down_no_sell"
    assert t.loc["SH600000", "trade_shares"] == 0 and t.loc["SH600000", "target_shares"] == 5_000
    # executable: 600000 stays at 0.45, 600001 gets the rest 0.55 -> 5,500 shares: buy 3,000
    assert t.loc["SH600001", "trade_shares"] == 3_000
    assert t.loc["SH600002", "trade_shares"] == -6_050  # target 0: sell everything, odd lot too
    np.testing.assert_allclose(t.loc["SH600002", "notional"], -30_250.0)
    assert t["cash_residual"].iloc[0] == pytest.approx(100_000.0 - 5_000 * 9.0 - 5_500 * 10.0)


def test_ticket_refuses_bad_capital_and_a_missing_price():
    bars = _bars([("SH600000", True, 10.0, 10.2, 9.9, np.nan, 11.0, 9.0, np.nan)])
    orders = target_orders(pd.Series(dtype=float), pd.Series({"SH600000": 1.0}), bars.fillna({"close": 10.0}), DAY)
    with pytest.raises(ValueError, match="capital must be positive"):
        order_ticket(orders, bars, 0.0)
    with pytest.raises(ValueError, match="SH600000 has no positive close"):
        order_ticket(orders, bars, 1e6)
