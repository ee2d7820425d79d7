"""Solve with a documented relaxation path: never crash a backfill, never silently fall back.

When the nominal problem is infeasible (or the solver fails), bounds are relaxed one step at
a time, cumulatively, in :data:`DEFAULT_ORDER`:

1. ``turnover`` x2, then removed  (costs a little more trading, keeps the risk model)
2. ``style_exposure`` x2, x4, then removed
3. ``industry_deviation`` x2, x4, then removed (a neutral bound 0 stays 0 until removed)
4. ``constituent_share`` floor halved (s / 2), then removed
5. ``stock_deviation`` x2, x4, then removed

``full_investment`` and ``long_only`` are never relaxed. Every relaxation is logged (WARNING)
and listed in :attr:`OptimizeResult.relaxed`. If even the fully relaxed problem fails, the
result holds the previous weights (else the benchmark) with ``status="fallback_previous"`` /
``"fallback_benchmark"``, logged at ERROR: a recorded, never a silent, fallback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from alpha_core.portfolio.problem import PortfolioProblem, ProblemData

log = logging.getLogger(__name__)

INF = math.inf
DEFAULT_ORDER: tuple[tuple[str, float], ...] = (
    ("turnover", 2.0), ("turnover", INF),
    ("style_exposure", 2.0), ("style_exposure", 4.0), ("style_exposure", INF),
    ("industry_deviation", 2.0), ("industry_deviation", 4.0), ("industry_deviation", INF),
    ("constituent_share", 2.0), ("constituent_share", INF),
    ("stock_deviation", 2.0), ("stock_deviation", 4.0), ("stock_deviation", INF),
)


@dataclass(frozen=True)
class OptimizeResult:
    """Weights of one rebalance and how they were obtained.

    Attributes:
        weights: (N,) weights of the real (unpadded) stocks, summing to 1.
        status: ``optimal``, ``relaxed``, ``fallback_previous`` or ``fallback_benchmark``.
        relaxed: the relaxation steps applied, e.g. ``("turnover x2", "turnover removed")``.
        factors: final relaxation factor per constraint key (absent = nominal).
        objective: mu^T w.
        seconds: total solver time over all attempts.
    """

    weights: np.ndarray
    status: str
    relaxed: tuple[str, ...] = ()
    factors: dict[str, float] = field(default_factory=dict)
    objective: float = float("nan")
    seconds: float = 0.0


def _label(key: str, factor: float) -> str:
    return f"{key} removed" if math.isinf(factor) else f"{key} x{factor:g}"


def solve_with_relaxation(problem: PortfolioProblem, data: ProblemData, *,
                          order: tuple[tuple[str, float], ...] = DEFAULT_ORDER,
                          label: str = "") -> OptimizeResult:
    """Solve ``problem`` on ``data`` (already padded to the problem's N), relaxing per ``order``.

    ``label`` (e.g. the date) only decorates log lines. Steps naming a constraint the problem
    does not have are skipped. Returns weights over all N rows (padding rows get 0).
    """
    present = set(problem.constraints.keys())
    factors: dict[str, float] = {}
    relaxed: list[str] = []
    seconds = 0.0
    steps = [(None, 1.0)] + [s for s in order if s[0] in present]
    for key, factor in steps:
        if key is not None:
            factors[key] = factor
            relaxed.append(_label(key, factor))
        out = problem.solve(data, factors)
        seconds += out.seconds
        if out.weights is not None:
            if relaxed:
                log.warning("%s: optimiser relaxed %s (status %s)", label, ", ".join(relaxed), out.status)
            w = out.weights / out.weights.sum()
            return OptimizeResult(w, "relaxed" if relaxed else "optimal", tuple(relaxed), dict(factors),
                                  out.objective, seconds)
        log.info("%s: solve %s with %s", label, out.status, factors or "nominal bounds")
    if data.has_prev and data.w_prev.sum() > 0:
        w, status = data.w_prev / data.w_prev.sum(), "fallback_previous"
    else:
        w, status = data.w_bench / data.w_bench.sum(), "fallback_benchmark"
    log.error("%s: every relaxation failed; keeping %s weights", label, status.removeprefix("fallback_"))
    return OptimizeResult(w, status, tuple(relaxed), dict(factors), float(data.mu @ w), seconds)
