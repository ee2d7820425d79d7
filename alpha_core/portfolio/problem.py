"""The index-enhancement LP, built once per universe shape and re-solved with parameters.

    maximise    mu^T w
    subject to  the constraints of a :class:`~alpha_core.portfolio.constraints.ConstraintSet`

``mu`` (N,) is the expected-return proxy (the standardised signal). Every number of a
rebalance (mu, benchmark and previous weights, style exposures, bounds) enters as a
``cp.Parameter`` value, so the problem is DPP: cvxpy compiles it once and each re-solve only
maps the new parameter values into the Clarabel LP (``problem.is_dpp()`` is asserted when
built). Industry membership is the one piece of structure: a constant sparse matrix fixed
by the :class:`Layout` (as a dense parameter it made Clarabel ~10x slower at N = 3,000).

Shapes: N rows = stocks grouped by industry, each industry block padded with rows whose
upper bound is 0 (:class:`Layout`), so one compiled problem serves every rebalance with the
same padded block sizes; K industries; S styles. Usage::

    layout = Layout.from_onehot(data.industry)
    problem = PortfolioProblem(R1.constraints(styles), layout, s=len(styles))
    result = solve_with_relaxation(problem, data.arranged(layout))
    weights = result.weights[layout.positions]
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from enum import StrEnum

import cvxpy as cp
import cvxpy.settings as cvxpy_settings
import numpy as np
import scipy.sparse as sp

from alpha_core.portfolio.constraints import ConstraintKey, ConstraintSet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProblemData:
    """The numbers of one rebalance (arrays already aligned to the same N rows).

    Attributes:
        mu: (N,) expected-return proxy.
        w_bench: (N,) benchmark weights (0 for non-constituents).
        w_prev: (N,) previous (drifted) weights; zeros with ``has_prev=False`` on the first rebalance.
        industry: (N, K) industry one-hot (a row of zeros: unknown industry).
        style: (N, S) style exposures, 5xMAD-winsorised and z-scored.
        member: (N,) 1.0 for benchmark constituents else 0.0.
        upper: (N,) per-stock upper weight bound (1 for real stocks, 0 for padding / banned).
        has_prev: whether ``w_prev`` is a real previous portfolio.
    """

    mu: np.ndarray
    w_bench: np.ndarray
    w_prev: np.ndarray
    industry: np.ndarray
    style: np.ndarray
    member: np.ndarray
    upper: np.ndarray
    has_prev: bool = True

    @property
    def n(self) -> int:
        return len(self.mu)

    def arranged(self, layout: Layout) -> ProblemData:
        """Rows scattered into the padded, industry-blocked order of ``layout`` (padding rows: zeros)."""
        n, pos = layout.n, layout.positions

        def scatter(a: np.ndarray) -> np.ndarray:
            out = np.zeros((n, *a.shape[1:]))
            out[pos] = a
            return out

        return ProblemData(
            mu=scatter(self.mu),
            w_bench=scatter(self.w_bench),
            w_prev=scatter(self.w_prev),
            industry=layout.onehot(),
            style=scatter(self.style),
            member=scatter(self.member),
            upper=scatter(self.upper),
            has_prev=self.has_prev,
        )


@dataclass(frozen=True)
class Layout:
    """Rows grouped by industry, each block padded to a multiple of ``pad``: the problem's *shape*.

    The industry matrix H is then a constant sparse matrix (a parameter H would be dense and
    make Clarabel ~10x slower at N = 3,000), so one compiled problem serves every rebalance
    whose padded block sizes match.

    Attributes:
        blocks: padded row count per industry, the last entry for unknown industry (no H row).
        positions: (n_real,) padded row of each real stock, in the caller's order.
    """

    blocks: tuple[int, ...]
    positions: np.ndarray

    @classmethod
    def build(cls, labels: np.ndarray, k: int, pad: int = 16) -> Layout:
        """``labels`` (n_real,) industry index in [0, k) or -1 (unknown)."""
        lab = np.where(np.asarray(labels) < 0, k, labels).astype(int)
        counts = np.bincount(lab, minlength=k + 1)
        blocks = np.where(counts > 0, -(-counts // pad) * pad, 0)
        starts = np.r_[0, np.cumsum(blocks)[:-1]]
        order = np.argsort(lab, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(lab)) - np.r_[0, np.cumsum(counts)[:-1]][lab[order]]
        return cls(tuple(int(b) for b in blocks), starts[lab] + rank)

    @classmethod
    def from_onehot(cls, industry: np.ndarray, pad: int = 16) -> Layout:
        """Layout of an (n_real, K) one-hot (rows of zeros: unknown industry)."""
        industry = np.asarray(industry)
        labels = np.where(industry.sum(axis=1) > 0, industry.argmax(axis=1), -1)
        return cls.build(labels, industry.shape[1], pad)

    @property
    def n(self) -> int:
        return int(sum(self.blocks))

    @property
    def k(self) -> int:
        return len(self.blocks) - 1

    def onehot(self) -> np.ndarray:
        """(n, k) dense industry one-hot of the padded rows."""
        block = np.repeat(np.arange(self.k + 1), self.blocks)
        return (block[:, None] == np.arange(self.k)[None, :]).astype(float)

    def industry_matrix(self) -> sp.csr_matrix:
        """(k, n) constant sparse H^T."""
        return sp.csr_matrix(self.onehot().T)


class ProblemContext:
    """What constraints build on: the weight variable, named parameters (created once) and the
    constant sparse industry matrix ``ht`` (K, N)."""

    def __init__(self, layout: Layout, s: int):
        self.n, self.k, self.s = layout.n, max(layout.k, 1), s
        self.w = cp.Variable(self.n, name="w")
        self.ht = layout.industry_matrix() if layout.k else sp.csr_matrix((1, self.n))
        self.params: dict[str, cp.Parameter] = {}

    def param(self, name: str, shape: tuple[int, ...] = (), **kwargs) -> cp.Parameter:
        if name not in self.params:
            self.params[name] = cp.Parameter(shape, name=str(name), **kwargs)
        return self.params[name]


class SolveStatus(StrEnum):
    """Status of one solve: cvxpy's problem statuses (``cvxpy.settings``), plus
    ``solver_error`` when Clarabel raised. Weights exist for OPTIMAL and OPTIMAL_INACCURATE."""

    OPTIMAL = cp.OPTIMAL
    OPTIMAL_INACCURATE = cp.OPTIMAL_INACCURATE
    USER_LIMIT = cp.USER_LIMIT
    INFEASIBLE = cp.INFEASIBLE
    INFEASIBLE_INACCURATE = cp.INFEASIBLE_INACCURATE
    UNBOUNDED = cp.UNBOUNDED
    UNBOUNDED_INACCURATE = cp.UNBOUNDED_INACCURATE
    INFEASIBLE_OR_UNBOUNDED = cvxpy_settings.INFEASIBLE_OR_UNBOUNDED
    SOLVER_ERROR = cp.SOLVER_ERROR


SOLVED = frozenset({SolveStatus.OPTIMAL, SolveStatus.OPTIMAL_INACCURATE})
"""The statuses whose solution is used."""


@dataclass(frozen=True)
class SolveOutcome:
    """Raw result of one solve: ``weights`` (N,) or None when the solver found no solution."""

    weights: np.ndarray | None
    status: SolveStatus
    objective: float
    seconds: float


class PortfolioProblem:
    """One compiled LP for a fixed :class:`Layout` and S styles; :meth:`solve` once per rebalance.

    Args:
        constraints: the constraint set (see :mod:`alpha_core.portfolio.presets`).
        layout: padded industry blocks (N rows = stocks plus padding, K industries).
        s: number of style columns.
    """

    def __init__(self, constraints: ConstraintSet, layout: Layout, s: int):
        self.constraints = constraints
        self.layout = layout
        self.ctx = ProblemContext(layout, max(s, 1))
        self.mu = cp.Parameter(self.ctx.n, name="mu")
        self.problem = cp.Problem(cp.Maximize(self.mu @ self.ctx.w), constraints.build(self.ctx))
        if not self.problem.is_dpp():
            raise ValueError("portfolio problem is not DPP; parameters must enter affinely")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(N rows, K industries, S styles)."""
        return self.ctx.n, self.ctx.k, self.ctx.s

    def _set(self, data: ProblemData, relax: dict[str, float]) -> None:
        n, k, s = self.shape
        style = data.style if data.style.shape[1] else np.zeros((data.n, 1))
        if style.shape != (n, s) or data.n != n:
            raise ValueError(
                f"data shape {(data.n, style.shape[1])} != problem shape {(n, s)}; "
                "arrange the data with the problem's layout"
            )
        self.mu.value = data.mu
        values = {
            "w_bench": data.w_bench,
            "w_prev": data.w_prev,
            "member": data.member,
            "upper": data.upper,
            "industry_bench": self.ctx.ht @ data.w_bench,
            "style": style,
            "style_bench": style.T @ data.w_bench,
        }
        for c in self.constraints:
            bound = c.bound(data, relax.get(c.key, 1.0))
            if bound is not None:
                values[c.key] = bound  # each bound parameter is named after its constraint
        for name, p in self.ctx.params.items():
            if name not in values:
                raise KeyError(f"no value for parameter {name!r}")
            value = values[name]
            if name == ConstraintKey.STYLE_EXPOSURE and np.size(value) != s:
                if data.style.shape[1]:
                    raise ValueError(f"{np.size(value)} style bounds for {data.style.shape[1]} style columns")
                value = np.full(s, 1e3)  # no styles: the dummy zero column never binds
            p.value = np.asarray(value, dtype=float).reshape(p.shape) if p.shape else float(value)

    def solve(self, data: ProblemData, relax: dict[str, float] | None = None) -> SolveOutcome:
        """Set the parameters from ``data`` (bounds scaled by ``relax``) and solve with Clarabel."""
        self._set(data, relax or {})
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():  # "may be inaccurate": kept in the status instead
                warnings.simplefilter("ignore", UserWarning)
                self.problem.solve(solver=cp.CLARABEL)
            status = SolveStatus(self.problem.status)
        except cp.error.SolverError as exc:  # numerical failure: reported, never raised
            log.warning("Clarabel failed: %s", exc)
            status = SolveStatus.SOLVER_ERROR
        seconds = time.perf_counter() - t0
        ok = status in SOLVED and self.ctx.w.value is not None
        if not ok:
            return SolveOutcome(None, status, float("nan"), seconds)
        w = np.clip(np.asarray(self.ctx.w.value, dtype=float), 0.0, None)
        return SolveOutcome(w, status, float(self.problem.value), seconds)
