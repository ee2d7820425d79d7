"""One live rebalance: score the decision day with a trained checkpoint, optimise from the
current holdings, and turn the result into target orders.

Everything is as of the decision day T (the latest trading day with bars): the score uses
features dated T, the optimiser the benchmark weights and styles known at T, and the
blocked-trade reasons the state of the bars on T (see :mod:`alpha_core.portfolio.orders`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from alpha_core.portfolio.enhance import expected_return_proxy, optimize_portfolios, style_frame
from alpha_core.portfolio.orders import order_summary, target_orders
from alpha_core.portfolio.presets import PortfolioPreset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebalanceResult:
    """``orders``: :data:`alpha_core.portfolio.orders.ORDER_COLUMNS`; ``summary``: turnover,
    names, blocked trades, optimiser status and relaxations, expected alpha."""

    orders: pd.DataFrame
    summary: dict[str, object]


def rebalance(
    day: pd.Timestamp,
    scores: pd.DataFrame,
    current: pd.Series,
    bars_day: pd.DataFrame,
    index_weights: pd.DataFrame,
    industry_map: pd.DataFrame,
    preset: PortfolioPreset,
    index_code: str,
    factors_day: pd.DataFrame | None = None,
) -> RebalanceResult:
    """Target orders for ``day``.

    Args:
        scores: [date, code, score] of ``day`` (the model's cross-section).
        current: the weights held now (code -> weight; empty: start from cash).
        bars_day: contract bars of ``day``; index_weights / industry_map: contract tables.
        factors_day: optional factor rows of ``day`` carrying the preset's style columns (e.g. bp_lf).
    """
    scores = scores[scores["date"] == day]
    if scores.empty:
        raise ValueError(f"no scores on the decision day {day.date()}")
    styles = style_frame(bars_day, factors_day)
    # One decision date: the preset's calendar picks it (the schedule decides when we rebalance).
    result = optimize_portfolios(
        scores, index_weights, industry_map, preset, styles=styles, index_code=index_code, initial_weights=current
    )
    target = result.weights.set_index("code")["weight"]
    orders = target_orders(current, target, bars_day, day)
    bench = index_weights[(index_weights["index_code"] == index_code) & (index_weights["date"] <= day)]
    bench = bench[bench["date"] == bench["date"].max()].set_index("code")["weight"]
    active = target.sub(bench, fill_value=0.0)
    status = result.log.iloc[0] if len(result.log) else {}
    summary = {
        **order_summary(orders),
        "date": str(pd.Timestamp(day).date()),
        "expected_active_score": float(
            (active * expected_return_proxy(scores.set_index("code")["score"], active.index)).sum()
        ),
        "max_stock_deviation": float(active.abs().max()) if len(active) else 0.0,
        "optimizer_status": str(status.get("status", "")),
        "relaxed": str(status.get("relaxed", "")),
    }
    log.info("rebalance %s: %s", summary["date"], summary)
    return RebalanceResult(orders, summary)
