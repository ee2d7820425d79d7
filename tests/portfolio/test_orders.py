"""Target orders on a hand-built 3-stock market: suspension, one-price limits, redistribution."""

import numpy as np
import pandas as pd

from alpha_core.portfolio.orders import order_summary, target_orders

DAY = pd.Timestamp("2024-03-08")


def _bars(rows):
    cols = ["code", "tradable", "open", "high", "low", "close", "limit_up", "limit_down"]
    return pd.DataFrame(rows, columns=cols)


def test_blocked_reasons_and_executable_weights():
    current = pd.Series({"A": 0.5, "B": 0.5})
    target = pd.Series({"A": 0.2, "B": 0.3, "C": 0.5})
    bars = _bars(
        [
            ("A", True, 9.0, 9.0, 9.0, 9.0, 11.0, 9.0),  # one-price limit-down: cannot sell A
            ("B", True, 10.0, 10.5, 9.8, 10.2, 11.2, 9.2),  # normal
            ("C", True, 12.1, 12.1, 12.1, 12.1, 12.1, 9.9),  # one-price limit-up: cannot buy C
        ]
    )
    orders = target_orders(current, target, bars, DAY).set_index("code")
    assert orders.loc["A", "blocked_reason"] == "limit_down_no_sell"
    assert pd.isna(orders.loc["B", "blocked_reason"])  # tradable: null, not a reason
    assert orders.loc["C", "blocked_reason"] == "limit_up_no_buy"
    # A and C locked at current (0.5 and 0); B is the only free name: it gets 1 - 0.5 = 0.5.
    np.testing.assert_allclose(orders["executable_weight"].to_numpy(), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(orders["trade"].to_numpy(), [-0.3, -0.2, 0.5])
    s = order_summary(orders.reset_index())
    assert s["blocked"] == 2 and s["blocked_limit_up_no_buy"] == 1 and s["blocked_limit_down_no_sell"] == 1
    assert s["turnover_target"] == 0.5 and s["turnover_executable"] == 0.0


def test_suspended_and_missing_bar_block_both_ways():
    current = pd.Series({"A": 0.6, "B": 0.4})
    target = pd.Series({"A": 0.3, "B": 0.3, "C": 0.4})
    bars = _bars(
        [
            ("A", False, 9.0, 9.0, 9.0, 9.0, 9.9, 8.1),  # suspended: cannot sell
            ("B", True, 10.0, 10.5, 9.8, 10.2, 11.2, 9.2),
        ]
    )  # C has no bar: treated as suspended
    orders = target_orders(current, target, bars, DAY).set_index("code")
    assert list(orders["blocked_reason"].fillna("-")) == ["suspended", "-", "suspended"]
    # A stays 0.6; B gets the remaining 0.4 (its target share among free names is 100%).
    np.testing.assert_allclose(orders["executable_weight"].to_numpy(), [0.6, 0.4, 0.0])


def test_first_rebalance_from_cash():
    target = pd.Series({"A": 0.25, "B": 0.75})
    bars = _bars([("A", True, 10, 10.4, 9.9, 10.1, 11, 9), ("B", True, 5, 5.2, 4.9, 5.0, 5.5, 4.5)])
    orders = target_orders(pd.Series(dtype=float), target, bars, DAY)
    np.testing.assert_allclose(orders["executable_weight"], [0.25, 0.75])
    assert orders["blocked_reason"].isna().all()
