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
result holds the previous weights (else the benchmark) with status
:attr:`OptimizeStatus.FALLBACK_PREVIOUS` / :attr:`~OptimizeStatus.FALLBACK_BENCHMARK`, logged at ERROR: a recorded, never a silent, fallback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from alpha_core.portfolio.constraints import ConstraintKey
from alpha_core.portfolio.problem import PortfolioProblem, ProblemData

log = logging.getLogger(__name__)

INF = math.inf
_T, _S, _I, _C, _D = (
    ConstraintKey.TURNOVER,
    ConstraintKey.STYLE_EXPOSURE,
    ConstraintKey.INDUSTRY_DEVIATION,
    ConstraintKey.CONSTITUENT_SHARE,
    ConstraintKey.STOCK_DEVIATION,
)
DEFAULT_ORDER: tuple[tuple[ConstraintKey, float], ...] = (
    (_T, 2.0),
    (_T, INF),
    (_S, 2.0),
    (_S, 4.0),
    (_S, INF),
    (_I, 2.0),
    (_I, 4.0),
    (_I, INF),
    (_C, 2.0),
    (_C, INF),
    (_D, 2.0),
    (_D, 4.0),
    (_D, INF),
)
"""The relaxation steps (constraint, cumulative factor on its nominal bound; ``inf`` = removed)."""


class OptimizeStatus(StrEnum):
    """How the weights of one rebalance were obtained."""

    OPTIMAL = "optimal"  # the nominal problem solved
    RELAXED = "relaxed"  # solved after relaxation steps
    FALLBACK_PREVIOUS = "fallback_previous"  # every step failed: the previous weights kept
    FALLBACK_BENCHMARK = "fallback_benchmark"  # every step failed, no previous weights: the benchmark


@dataclass(frozen=True)
class OptimizeResult:
    """Weights of one rebalance and how they were obtained.

    Attributes:
        weights: (N,) weights of the real (unpadded) stocks, summing to 1.
        status: :class:`OptimizeStatus`.
        relaxed: the relaxation steps applied, e.g. ``("turnover x2", "turnover removed")``.
        factors: final relaxation factor per constraint key (absent = nominal).
        objective: mu^T w.
        seconds: total solver time over all attempts.
    """

    weights: np.ndarray
    status: OptimizeStatus
    relaxed: tuple[str, ...] = ()
    factors: dict[ConstraintKey, float] = field(default_factory=dict)
    objective: float = float("nan")
    seconds: float = 0.0


def _label(key: ConstraintKey, factor: float) -> str:
    return f"{key} removed" if math.isinf(factor) else f"{key} x{factor:g}"


def solve_with_relaxation(
    problem: PortfolioProblem,
    data: ProblemData,
    *,
    order: tuple[tuple[ConstraintKey, float], ...] = DEFAULT_ORDER,
    label: str = "",
) -> OptimizeResult:
    """Solve ``problem`` on ``data`` (already padded to the problem's N), relaxing per ``order``.

    ``label`` (e.g. the date) only decorates log lines. Steps naming a constraint the problem
    does not have are skipped. Returns weights over all N rows (padding rows get 0).
    """
    present = set(problem.constraints.keys())
    factors: dict[ConstraintKey, float] = {}
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
            status = OptimizeStatus.RELAXED if relaxed else OptimizeStatus.OPTIMAL
            return OptimizeResult(w, status, tuple(relaxed), dict(factors), out.objective, seconds)
        log.info("%s: solve %s with %s", label, out.status, {str(k): f for k, f in factors.items()} or "nominal bounds")
    if data.has_prev and data.w_prev.sum() > 0:
        w, status = data.w_prev / data.w_prev.sum(), OptimizeStatus.FALLBACK_PREVIOUS
    else:
        w, status = data.w_bench / data.w_bench.sum(), OptimizeStatus.FALLBACK_BENCHMARK
    log.error("%s: every relaxation failed; keeping %s weights", label, status.removeprefix("fallback_"))
    return OptimizeResult(w, status, tuple(relaxed), dict(factors), float(data.mu @ w), seconds)
