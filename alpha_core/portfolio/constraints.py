"""Small composable constraints of the index-enhancement optimiser (cvxportfolio style).

Every constraint is an object with

* ``key``: its :class:`ConstraintKey`, the name the relaxation order refers to
  (:mod:`alpha_core.portfolio.relaxation`);
* ``build(ctx)``: its cvxpy inequalities, written only with ``cp.Parameter`` data so the
  problem is DPP (built once, re-solved with new parameter values);
* ``bound(data, relax)``: the value of its bound parameter (the parameter named ``key``),
  given the nominal bound and a relaxation factor (1 = nominal, ``inf`` = removed; None when
  the constraint has no bound);
* ``violation(w, data, relax)``: the largest violation of its inequality by weights ``w``
  (<= 0 when it holds), so tests and callers can check a solution numerically.

Constraints compose with ``+`` into a :class:`ConstraintSet`; ``ConstraintSet.build`` checks
that every inequality is DCP (convex) when built.

Notation (N stocks, K industries, S styles): ``w`` (N,) portfolio weights, ``w_b`` (N,)
benchmark weights, ``w_0`` (N,) previous weights, ``H`` (N, K) industry one-hot, ``X`` (N, S)
style exposures (5xMAD-winsorised, z-scored), ``m`` (N,) constituent indicator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import cvxpy as cp
import numpy as np

if TYPE_CHECKING:
    from alpha_core.portfolio.problem import ProblemContext, ProblemData

BIG = 1e3
"""A bound this large never binds (weights are in [0, 1]); used for removed constraints."""


class ConstraintKey(StrEnum):
    """The name of a constraint: what the relaxation order refers to and what its bound
    parameter is called (:mod:`alpha_core.portfolio.relaxation`)."""

    FULL_INVESTMENT = "full_investment"
    LONG_ONLY = "long_only"
    STOCK_DEVIATION = "stock_deviation"
    INDUSTRY_DEVIATION = "industry_deviation"
    STYLE_EXPOSURE = "style_exposure"
    TURNOVER = "turnover"
    CONSTITUENT_SHARE = "constituent_share"


def _scaled(nominal: float | np.ndarray, relax: float) -> float | np.ndarray:
    """Nominal bound times the relaxation factor; ``inf`` -> :data:`BIG` (constraint removed)."""
    if math.isinf(relax):
        return np.full_like(np.asarray(nominal, dtype=float), BIG) if np.ndim(nominal) else BIG
    return np.asarray(nominal, dtype=float) * relax if np.ndim(nominal) else float(nominal) * relax


class Constraint(Protocol):
    key: ConstraintKey

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]: ...

    def bound(self, data: ProblemData, relax: float) -> float | np.ndarray | None: ...

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float: ...


class _Composable:
    def __add__(self, other: Constraint | ConstraintSet) -> ConstraintSet:
        return ConstraintSet((self,)) + other


@dataclass(frozen=True)
class FullInvestment(_Composable):
    """sum_i w_i = 1 (fully invested, no cash). Never relaxed."""

    key: ConstraintKey = ConstraintKey.FULL_INVESTMENT

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        return [cp.sum(ctx.w) == 1]

    def bound(self, data: ProblemData, relax: float) -> None:
        return None

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(abs(w.sum() - 1.0))


@dataclass(frozen=True)
class LongOnly(_Composable):
    """0 <= w_i <= u_i, with u_i = 1 for real stocks and 0 for padding rows. Never relaxed."""

    key: ConstraintKey = ConstraintKey.LONG_ONLY

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        return [ctx.w >= 0, ctx.w <= ctx.param("upper", (ctx.n,))]

    def bound(self, data: ProblemData, relax: float) -> None:
        return None

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(max((-w).max(), (w - data.upper).max()))


@dataclass(frozen=True)
class StockDeviation(_Composable):
    """|w_i - w_b,i| <= d for every stock i (d = 0.01 in R1, 0.005 in R2)."""

    max_dev: float
    key: ConstraintKey = ConstraintKey.STOCK_DEVIATION

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        wb, d = ctx.param("w_bench", (ctx.n,)), ctx.param(ConstraintKey.STOCK_DEVIATION, nonneg=True)
        return [ctx.w - wb <= d, wb - ctx.w <= d]

    def bound(self, data: ProblemData, relax: float) -> float:
        return _scaled(self.max_dev, relax)

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(np.abs(w - data.w_bench).max() - self.bound(data, relax))


@dataclass(frozen=True)
class IndustryDeviation(_Composable):
    """|H^T w - H^T w_b|_k <= d for every industry k (d = 0.01 in R1; d = 0 is industry neutral)."""

    max_dev: float
    key: ConstraintKey = ConstraintKey.INDUSTRY_DEVIATION

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        hb, d = ctx.param("industry_bench", (ctx.k,)), ctx.param(ConstraintKey.INDUSTRY_DEVIATION, nonneg=True)
        return [ctx.ht @ ctx.w - hb <= d, hb - ctx.ht @ ctx.w <= d]  # ht: constant sparse H^T

    def bound(self, data: ProblemData, relax: float) -> float:
        return _scaled(self.max_dev, relax)

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(np.abs(data.industry.T @ (w - data.w_bench)).max(initial=0.0) - self.bound(data, relax))


@dataclass(frozen=True)
class StyleExposure(_Composable):
    """|X^T w - X^T w_b|_s <= b_s per style s (z-score units; R1 b = 0.01, R2 value/size 0, others 0.5).

    ``bounds`` holds one bound per style column of the data, in the data's column order.
    """

    bounds: tuple[float, ...]
    key: ConstraintKey = ConstraintKey.STYLE_EXPOSURE

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        x, xb = ctx.param("style", (ctx.n, ctx.s)), ctx.param("style_bench", (ctx.s,))
        b = ctx.param(ConstraintKey.STYLE_EXPOSURE, (ctx.s,), nonneg=True)
        return [x.T @ ctx.w - xb <= b, xb - x.T @ ctx.w <= b]

    def bound(self, data: ProblemData, relax: float) -> np.ndarray:
        return _scaled(np.asarray(self.bounds, dtype=float), relax)

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float((np.abs(data.style.T @ (w - data.w_bench)) - self.bound(data, relax)).max(initial=-1.0))


@dataclass(frozen=True)
class TurnoverCap(_Composable):
    """One-way turnover  (1/2) sum_i |w_i - w_0,i| <= c  (c = 0.15 in R1, 0.30 in R2).

    Inactive (bound :data:`BIG`) on the first rebalance, when there are no previous weights.
    """

    max_one_way: float
    key: ConstraintKey = ConstraintKey.TURNOVER

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        w0, c = ctx.param("w_prev", (ctx.n,)), ctx.param(ConstraintKey.TURNOVER, nonneg=True)
        return [cp.norm1(ctx.w - w0) <= 2 * c]

    def bound(self, data: ProblemData, relax: float) -> float:
        return BIG if not data.has_prev else _scaled(self.max_one_way, relax)

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(0.5 * np.abs(w - data.w_prev).sum() - self.bound(data, relax))


@dataclass(frozen=True)
class ConstituentShare(_Composable):
    """m^T w >= s: at least share s of the weight in benchmark constituents (R3: s = 1; R2: 0.8).

    Relaxing by factor f lowers the floor to s / f; removing it sets the floor to 0.
    """

    min_share: float
    key: ConstraintKey = ConstraintKey.CONSTITUENT_SHARE

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        m, s = ctx.param("member", (ctx.n,)), ctx.param(ConstraintKey.CONSTITUENT_SHARE, nonneg=True)
        return [m @ ctx.w >= s]

    def bound(self, data: ProblemData, relax: float) -> float:
        return 0.0 if math.isinf(relax) else self.min_share / relax

    def violation(self, w: np.ndarray, data: ProblemData, relax: float = 1.0) -> float:
        return float(self.bound(data, relax) - data.member @ w)


@dataclass(frozen=True)
class ConstraintSet:
    """An ordered, composable collection of constraints (``a + b + c``)."""

    items: tuple[Constraint, ...] = field(default_factory=tuple)

    def __add__(self, other: Constraint | ConstraintSet) -> ConstraintSet:
        extra = other.items if isinstance(other, ConstraintSet) else (other,)
        keys = [c.key for c in self.items + extra]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate constraint keys in {keys}")
        return ConstraintSet(self.items + extra)

    def __iter__(self):
        return iter(self.items)

    def keys(self) -> list[ConstraintKey]:
        return [c.key for c in self.items]

    def build(self, ctx: ProblemContext) -> list[cp.Constraint]:
        """All inequalities; raises ``ValueError`` if one is not DCP (i.e. not convex)."""
        out: list[cp.Constraint] = []
        for c in self.items:
            built = c.build(ctx)
            bad = [str(b) for b in built if not b.is_dcp()]
            if bad:
                raise ValueError(f"constraint {c.key} is not convex (DCP): {bad}")
            out.extend(built)
        return out
