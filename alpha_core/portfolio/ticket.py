"""Order ticket: the rebalance's weights turned into share orders a trader can place.

Per stock, with capital ``C`` (CNY) and reference price ``p`` (the decision day's close; the
day's vwap, which the backtest fills at, is shown beside it)::

    desired_shares = executable_weight * C / p
    trade          = desired_shares - current_shares, rounded to what the exchange accepts:
        buy  (trade > 0): main board / ChiNext: whole board lots of 100, rounded down;
                          STAR (SH688) and BSE: at least 200 (STAR) / 100 (BSE) shares, then
                          any number of shares (step 1), rounded down; below the minimum: none.
        sell (trade < 0): at least the minimum, in steps (as buys), rounded down; a sale that
                          would leave less than the minimum is all or nothing (odd lots may only
                          be sold in one go), whichever is nearer: a target of 0 sells everything.
    blocked trade (blocked_reason not null): no order, target_shares = current_shares
    target_shares  = current_shares + trade_shares
    notional       = trade_shares * p                      (positive = cash paid)
    cash_residual  = C - sum(target_shares * p)            (per decision day, every row)

Rounding down buys keeps the ticket fundable: ``cash_residual >= 0`` whenever the current
holdings are worth at most ``C`` at ``p``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.codes import board_of
from alpha_core.data.contract import Board

TICKET_COLUMNS = [
    "ref_close",
    "ref_vwap",
    "current_shares",
    "target_shares",
    "trade_shares",
    "notional",
    "cash_residual",
]
DEFAULT_CAPITAL = 10_000_000.0  # CNY


@dataclass(frozen=True)
class LotRule:
    """Order sizes an exchange accepts: at least ``minimum`` shares, in steps of ``step``."""

    minimum: int
    step: int


LOT_RULES: dict[Board, LotRule] = {
    Board.MAIN: LotRule(100, 100),
    Board.CHINEXT: LotRule(100, 100),
    Board.STAR: LotRule(200, 1),
    Board.BSE: LotRule(100, 1),
}


def lot_rule(code: str) -> LotRule:
    board = Board(board_of(code))
    if board not in LOT_RULES:
        raise ValueError(f"order ticket: {code} is on board {board.value}, which takes no orders")
    return LOT_RULES[board]


def round_order(desired: float, held: int, rule: LotRule) -> int:
    """Shares to trade (signed) for a desired signed trade ``desired`` from ``held`` shares."""
    if desired > 0:
        if desired < rule.minimum:
            return 0
        return int(math.floor(desired / rule.step + 1e-9) * rule.step)
    if desired < 0:
        sell = min(-desired, held)
        if held - sell < rule.minimum:  # the rest would be an odd lot: all or nothing, the nearer
            return -held if sell > held / 2 else 0
        if sell < rule.minimum:
            return 0
        return -int(math.floor(sell / rule.step + 1e-9) * rule.step)
    return 0


def order_ticket(
    orders: pd.DataFrame, bars_day: pd.DataFrame, capital: float, current_shares: pd.Series | None = None
) -> pd.DataFrame:
    """Add :data:`TICKET_COLUMNS` to one decision day's orders.

    Args:
        orders: :data:`alpha_core.portfolio.orders.ORDER_COLUMNS` rows of one date.
        bars_day: contract bars of the decision day (code, close, vwap).
        capital: portfolio capital in CNY (> 0).
        current_shares: shares held now by code (the previous ticket's target_shares);
            None or missing codes: 0 (a first rebalance from cash).
    Returns:
        ``orders`` with the ticket columns, same row order.
    Raises:
        ValueError: capital not positive, or a stock to trade has no positive close that day.
    """
    if not capital > 0:
        raise ValueError(f"order ticket: capital must be positive, got {capital}")
    bars = bars_day.drop_duplicates("code").set_index("code")
    close = bars["close"].reindex(orders["code"]).to_numpy(float)
    vwap = bars["vwap"].reindex(orders["code"]).to_numpy(float)
    held = (
        (current_shares if current_shares is not None else pd.Series(dtype=float))
        .reindex(orders["code"])
        .fillna(0)
        .to_numpy(np.int64)
    )
    blocked = orders["blocked_reason"].notna().to_numpy()
    trades = np.zeros(len(orders), dtype=np.int64)
    for i, (code, weight) in enumerate(zip(orders["code"], orders["executable_weight"], strict=True)):
        if blocked[i]:
            continue
        if not (np.isfinite(close[i]) and close[i] > 0):
            if weight > 0 or held[i] > 0:
                raise ValueError(
                    f"order ticket: {code} has no positive close on the decision day "
                    f"({close[i]}); cannot size its order"
                )
            continue
        trades[i] = round_order(weight * capital / close[i] - held[i], int(held[i]), lot_rule(code))
    target = held + trades
    price = np.nan_to_num(close)  # no close: a blocked name without a bar, which is not traded or valued
    out = orders.copy()
    out["ref_close"], out["ref_vwap"] = close, vwap
    out["current_shares"], out["target_shares"], out["trade_shares"] = held, target, trades
    out["notional"] = trades * price
    out["cash_residual"] = float(capital - (target * price).sum())
    return out
