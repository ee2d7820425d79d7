"""A-share trading rules: who can be bought or sold on a day, and what a rebalance can achieve.

* Suspended stocks (``tradable`` False, or no fill price) are neither bought nor sold.
* A one-price limit-up day (open == high == low == close == limit_up, within a cent) blocks
  buys: the queue of buyers at the limit is never filled. Selling is allowed.
* A one-price limit-down day (all four prices == limit_down) blocks sells. Buying is allowed.
* The weight that cannot trade stays where it is, and the rest of the portfolio is spread over
  the tradable names in proportion to their target weights (:func:`execute_weights`).

All functions are vectorised over stocks (and days, for the masks).
"""

from __future__ import annotations

import numpy as np

CENT = 0.01 + 1e-9  # raw CNY tolerance of "equal to the limit price"; float noise included


def one_price_limit(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, limit: np.ndarray, tol: float = CENT
) -> np.ndarray:
    """True where open, high, low and close all equal ``limit`` within ``tol`` (arrays of one shape).

    NaN anywhere -> False (a missing bar is handled by the suspension rule).
    """
    with np.errstate(invalid="ignore"):
        out = np.ones(np.shape(close), dtype=bool)
        for p in (open_, high, low, close):
            out &= np.abs(np.asarray(p, dtype=float) - limit) <= tol
    return out


def trade_masks(
    tradable: np.ndarray,
    fill: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    limit_up: np.ndarray,
    limit_down: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(can_buy, can_sell)`` boolean arrays (same shape as the inputs, e.g. (T, N)).

    can_buy  = tradable & finite fill price & not one-price limit-up
    can_sell = tradable & finite fill price & not one-price limit-down
    """
    live = np.asarray(tradable, dtype=bool) & np.isfinite(fill)
    up = one_price_limit(open_, high, low, close, limit_up)
    down = one_price_limit(open_, high, low, close, limit_down)
    return live & ~up, live & ~down


def execute_weights(
    target: np.ndarray, current: np.ndarray, can_buy: np.ndarray, can_sell: np.ndarray, eps: float = 1e-12
) -> tuple[np.ndarray, np.ndarray]:
    """Weights a rebalance can reach, and the mask of names locked at their current weight.

    Args:
        target: (N,) desired weights (sum <= 1; the rest is cash).
        current: (N,) weights at the fill time, as fractions of NAV before the trade.
        can_buy, can_sell: (N,) masks of the day.
    Returns:
        ``(executed, locked)``. A name is locked when its needed trade is blocked (a buy when
        ``~can_buy``, a sale when ``~can_sell``); it keeps ``current``. Free names share what is
        left, proportionally to their targets:

            executed_f = target_f * max(sum(target) - sum(current_locked), 0) / sum(target_free)

        Scaling can push another name into a blocked trade, so locking repeats until stable
        (at most N rounds; in practice 1-3). If no free name has a positive target, the
        remainder stays in cash.
    """
    target = np.nan_to_num(np.asarray(target, dtype=float))
    current = np.nan_to_num(np.asarray(current, dtype=float))
    blocked_buy, blocked_sell = ~np.asarray(can_buy, dtype=bool), ~np.asarray(can_sell, dtype=bool)
    total = target.sum()
    locked = (blocked_buy & (target > current + eps)) | (blocked_sell & (target < current - eps))
    while True:
        budget = max(total - current[locked].sum(), 0.0)
        free_target = np.where(locked, 0.0, target)
        denom = free_target.sum()
        scaled = free_target * (budget / denom) if denom > 0 else np.zeros_like(target)
        new = ~locked & ((blocked_buy & (scaled > current + eps)) | (blocked_sell & (scaled < current - eps)))
        if not new.any():
            break
        locked |= new
    return np.where(locked, current, scaled), locked
