"""The enhancement LP: every constraint holds on the solution, DPP re-solves, relaxation path."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from alpha_core.portfolio.constraints import (
    ConstituentShare,
    ConstraintKey,
    FullInvestment,
    IndustryDeviation,
    LongOnly,
    StockDeviation,
    StyleExposure,
    TurnoverCap,
)
from alpha_core.portfolio.presets import BP, LOG_FLOAT_CAP, R1, R2, R3
from alpha_core.portfolio.problem import Layout, PortfolioProblem, ProblemData, SolveStatus
from alpha_core.portfolio.relaxation import OptimizeStatus, solve_with_relaxation

TOL = 1e-6


def make_data(n=60, k=5, n_bench=40, seed=0, w_prev=None) -> ProblemData:
    rng = np.random.default_rng(seed)
    wb = np.zeros(n)
    wb[:n_bench] = rng.uniform(0.5, 1.5, n_bench)
    wb /= wb.sum()
    h = np.zeros((n, k))
    h[np.arange(n), rng.integers(0, k, n)] = 1
    x = rng.standard_normal((n, 2))
    x = (x - x.mean(0)) / x.std(0)
    return ProblemData(
        mu=rng.standard_normal(n),
        w_bench=wb,
        w_prev=wb.copy() if w_prev is None else w_prev,
        industry=h,
        style=x,
        member=(wb > 0).astype(float),
        upper=np.ones(n),
    )


def solve(constraints, data, pad=4):
    layout = Layout.from_onehot(data.industry, pad)
    prob = PortfolioProblem(constraints, layout, data.style.shape[1])
    res = solve_with_relaxation(prob, data.arranged(layout))
    return prob, res, res.weights[layout.positions]


def test_layout_blocks_and_positions():
    lay = Layout.build(np.array([2, 0, 2, -1, 1]), k=3, pad=4)
    assert lay.blocks == (4, 4, 4, 4)
    assert lay.positions.tolist() == [8, 0, 9, 12, 4]
    oh = lay.onehot()
    assert oh.shape == (16, 3) and oh[8:12, 2].all() and not oh[12:].any()


def test_r1_solution_satisfies_every_constraint_by_hand():
    data = make_data()
    prob, res, w = solve(R1.constraints([LOG_FLOAT_CAP, BP]), data)
    assert prob.problem.is_dpp()
    assert res.status is OptimizeStatus.OPTIMAL and res.relaxed == ()
    wb, h, x = data.w_bench, data.industry, data.style
    assert abs(w.sum() - 1) < TOL and w.min() > -TOL
    assert np.abs(w - wb).max() <= 0.01 + TOL
    assert np.abs(h.T @ w - h.T @ wb).max() <= 0.01 + TOL
    assert np.abs(x.T @ w - x.T @ wb).max() <= 0.01 + TOL
    assert 0.5 * np.abs(w - data.w_prev).sum() <= 0.15 + TOL
    # the optimum really uses its freedom: better than the benchmark
    assert data.mu @ w > data.mu @ wb + 1e-3
    for c in prob.constraints:
        assert c.violation(res.weights, data.arranged(prob.layout)) <= TOL, c.key


def test_r2_and_r3_constraints_hold():
    data = make_data(seed=1)
    _, res, w = solve(R2.constraints([LOG_FLOAT_CAP, BP]), data)
    assert abs(data.industry.T @ (w - data.w_bench)).max() <= TOL  # industry neutral
    assert abs(data.style.T @ (w - data.w_bench)).max() <= TOL  # value and size neutral
    assert np.abs(w - data.w_bench).max() <= 0.005 + TOL
    _, res, w = solve(R3.constraints([]), make_data(seed=2))
    d = make_data(seed=2)
    assert d.member @ w >= 1 - TOL and np.abs(w - d.w_bench).max() <= 0.01 + TOL


def test_resolve_with_new_parameters_matches_fresh_build():
    cs = R1.constraints([LOG_FLOAT_CAP, BP])
    d1, d2 = make_data(seed=3), make_data(seed=3)
    d2 = ProblemData(**{**d2.__dict__, "mu": -d2.mu})
    layout = Layout.from_onehot(d1.industry, 4)
    prob = PortfolioProblem(cs, layout, 2)
    solve_with_relaxation(prob, d1.arranged(layout))
    again = solve_with_relaxation(prob, d2.arranged(layout))
    fresh = solve_with_relaxation(PortfolioProblem(cs, layout, 2), d2.arranged(layout))
    assert again.objective == pytest.approx(fresh.objective, abs=1e-7)


def test_first_rebalance_has_no_turnover_cap():
    d = make_data(seed=4)
    d = ProblemData(**{**d.__dict__, "w_prev": np.zeros(60), "has_prev": False})
    _, res, w = solve(R1.constraints([LOG_FLOAT_CAP, BP]), d)
    assert res.status is OptimizeStatus.OPTIMAL


def test_relaxation_path_on_infeasible_problem(caplog):
    # previous portfolio entirely outside the index; 100% must be in constituents, 1% turnover
    n = 60
    w_prev = np.zeros(n)
    w_prev[50:] = 0.1
    data = make_data(w_prev=w_prev, seed=5)
    cs = FullInvestment() + LongOnly() + StockDeviation(0.01) + TurnoverCap(0.01) + ConstituentShare(1.0)
    with caplog.at_level(logging.WARNING):
        prob, res, w = solve(cs, data)
    assert res.status is OptimizeStatus.RELAXED
    assert res.relaxed == ("turnover x2", "turnover removed")
    assert res.factors == {ConstraintKey.TURNOVER: float("inf")}
    assert "turnover removed" in caplog.text
    arranged = data.arranged(prob.layout)
    for c in prob.constraints:
        assert c.violation(res.weights, arranged, res.factors.get(c.key, 1.0)) <= TOL, c.key
    assert w[50:].sum() <= TOL  # constituents only, kept


def test_hopeless_problem_falls_back_visibly(caplog):
    data = make_data(seed=6)
    data = ProblemData(**{**data.__dict__, "upper": np.zeros(60)})  # nothing may be held
    with caplog.at_level(logging.ERROR):
        _, res, w = solve(R1.constraints([LOG_FLOAT_CAP, BP]), data)
    assert res.status is OptimizeStatus.FALLBACK_PREVIOUS
    prob = PortfolioProblem(R1.constraints([LOG_FLOAT_CAP, BP]), Layout.from_onehot(data.industry, 4), 2)
    out = prob.solve(data.arranged(prob.layout))
    assert out.weights is None and out.status is SolveStatus.INFEASIBLE  # cvxpy's status, as the enum
    assert res.relaxed[-1] == "stock_deviation removed"
    assert "every relaxation failed" in caplog.text
    np.testing.assert_allclose(w, data.w_prev)


def test_constraints_compose_and_reject_duplicates():
    cs = FullInvestment() + LongOnly() + IndustryDeviation(0.01) + StyleExposure((0.1,))
    assert cs.keys() == [
        ConstraintKey.FULL_INVESTMENT,
        ConstraintKey.LONG_ONLY,
        ConstraintKey.INDUSTRY_DEVIATION,
        ConstraintKey.STYLE_EXPOSURE,
    ]
    assert [str(k) for k in cs.keys()] == ["full_investment", "long_only", "industry_deviation", "style_exposure"]
    with pytest.raises(ValueError, match="duplicate"):
        _ = cs + LongOnly()
