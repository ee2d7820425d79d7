"""Target orders for a trader: current weight -> target weight, the trade, and why a trade
cannot go through today.

Given the holdings the trader has now (weights at the last close), the optimiser's target
weights, and the latest bars, each stock gets::

    trade            = target_weight - current_weight           (positive = buy)
    blocked_reason   = suspended          (not tradable on the latest day: no trade either way)
                     | limit_up_no_buy    (a buy on a one-price limit-up day: never filled)
                     | limit_down_no_sell (a sale on a one-price limit-down day)
                     | null               (tradable: None in pandas, NULL in Parquet / DuckDB)
    executable_weight = what the rebalance can reach (blocked names stay at their current
                        weight; the rest is spread over tradable names in proportion to
                        their targets, :func:`alpha_core.backtest.rules.execute_weights`)

The blocking state is the one of the latest trading day the bars hold (the decision day);
the trader confirms it at the open.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.backtest.rules import execute_weights, one_price_limit

ORDER_COLUMNS = [
    "date",
    "code",
    "current_weight",
    "target_weight",
    "trade",
    "executable_weight",
    "executable_trade",
    "blocked_reason",
]


class BlockedReason(StrEnum):
    SUSPENDED = "suspended"
    LIMIT_UP_NO_BUY = "limit_up_no_buy"
    LIMIT_DOWN_NO_SELL = "limit_down_no_sell"


def target_orders(
    current: pd.Series, target: pd.Series, bars_day: pd.DataFrame, date: pd.Timestamp, *, eps: float = 1e-9
) -> pd.DataFrame:
    """Orders for one rebalance.

    Args:
        current: weights now, indexed by code (may be empty: a first rebalance from cash).
        target: optimiser weights, indexed by code (sum 1).
        bars_day: contract bars of the decision day (tradable, open, high, low, close,
            limit_up, limit_down); a stock without a bar that day counts as suspended.
        date: the decision day.
    Returns:
        DataFrame[ORDER_COLUMNS], one row per stock held now or targeted, sorted by code.
    """
    codes = current.index.union(target.index)
    cur = current.reindex(codes).fillna(0.0).to_numpy(float)
    tgt = target.reindex(codes).fillna(0.0).to_numpy(float)
    bars = bars_day.set_index("code").reindex(codes)
    px = {k: bars[k].to_numpy(float) for k in ("open", "high", "low", "close", "limit_up", "limit_down")}
    tradable = bars["tradable"].fillna(False).to_numpy(bool)
    up = one_price_limit(px["open"], px["high"], px["low"], px["close"], px["limit_up"])
    down = one_price_limit(px["open"], px["high"], px["low"], px["close"], px["limit_down"])
    can_buy, can_sell = tradable & ~up, tradable & ~down
    trade = tgt - cur
    reason = np.full(len(codes), None, dtype=object)
    reason[(trade > eps) & tradable & up] = BlockedReason.LIMIT_UP_NO_BUY.value
    reason[(trade < -eps) & tradable & down] = BlockedReason.LIMIT_DOWN_NO_SELL.value
    reason[(np.abs(trade) > eps) & ~tradable] = BlockedReason.SUSPENDED.value
    executed, _ = execute_weights(tgt, cur, can_buy, can_sell)
    out = pd.DataFrame(
        {
            "date": pd.Timestamp(date),
            "code": codes.astype(object),
            "current_weight": cur,
            "target_weight": tgt,
            "trade": trade,
            "executable_weight": executed,
            "executable_trade": executed - cur,
            "blocked_reason": pd.array(reason, dtype="string"),  # a string column even when all null
        }
    )
    keep = (np.abs(out["current_weight"]) > eps) | (np.abs(out["target_weight"]) > eps)
    return out[keep].sort_values("code", ignore_index=True)[ORDER_COLUMNS]


def order_summary(orders: pd.DataFrame) -> dict[str, float | int]:
    """Headline numbers of one rebalance: one-way turnover (target and executable), names
    bought/sold, blocked trades by reason."""
    blocked = orders[orders["blocked_reason"].notna()]
    return {
        "turnover_target": float(orders["trade"].clip(lower=0).sum()),
        "turnover_executable": float(orders["executable_trade"].clip(lower=0).sum()),
        "names_target": int((orders["target_weight"] > 0).sum()),
        "buys": int((orders["trade"] > 1e-9).sum()),
        "sells": int((orders["trade"] < -1e-9).sum()),
        "blocked": int(len(blocked)),
        **{f"blocked_{r.value}": int((blocked["blocked_reason"] == r.value).sum()) for r in BlockedReason},
    }
