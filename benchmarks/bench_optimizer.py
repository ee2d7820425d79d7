"""Median solve time of the R1 enhancement LP at N = 500, 1,000, 3,000 with 30 industries.

The problem is compiled once per N (DPP, parameters only in data, industry matrix a constant
sparse block layout) and re-solved with fresh random data each repetition, as in a backtest.
Baseline (same run): the same LP written plainly with numpy constants, rebuilt and solved with
Clarabel at every rebalance (no parameters); the ratio is baseline / ours. Run:

    .venv/bin/python benchmarks/bench_optimizer.py [--reps 15]
"""

from __future__ import annotations

import argparse
import logging
import time

import cvxpy as cp
import numpy as np

from alpha_core.portfolio.presets import BP, LOG_FLOAT_CAP, R1
from alpha_core.portfolio.problem import Layout, PortfolioProblem, ProblemData
from alpha_core.portfolio.relaxation import solve_with_relaxation


def random_data(n: int, k: int, rng: np.random.Generator, w_prev: np.ndarray | None) -> ProblemData:
    n_bench = n // 2
    wb = np.zeros(n)
    wb[:n_bench] = rng.lognormal(0, 1, n_bench)
    wb /= wb.sum()
    ind = rng.integers(0, k, n)
    h = np.zeros((n, k))
    h[np.arange(n), ind] = 1
    x = rng.standard_normal((n, 2))
    x = (x - x.mean(0)) / x.std(0)
    return ProblemData(
        mu=rng.standard_normal(n),
        w_bench=wb,
        w_prev=wb if w_prev is None else w_prev,
        industry=h,
        style=x,
        member=(wb > 0).astype(float),
        upper=np.ones(n),
        has_prev=True,
    )


def plain_solve(d: ProblemData, w_prev: np.ndarray) -> float:
    """The R1 LP with constants (no parameters): build + solve; returns seconds."""
    t0 = time.perf_counter()
    w = cp.Variable(len(d.mu))
    h, x, wb = d.industry, d.style, d.w_bench
    cons = [
        cp.sum(w) == 1,
        w >= 0,
        cp.abs(w - wb) <= 0.01,
        cp.abs(h.T @ w - h.T @ wb) <= 0.01,
        cp.abs(x.T @ w - x.T @ wb) <= 0.01,
        cp.norm1(w - w_prev) <= 0.30,
    ]
    cp.Problem(cp.Maximize(d.mu @ w), cons).solve(solver=cp.CLARABEL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    logging.getLogger("alpha_core").setLevel(logging.ERROR)  # relaxations are counted in the table
    rng = np.random.default_rng(0)
    cs = R1.constraints([LOG_FLOAT_CAP, BP])
    print(f"R1 preset, 30 industries, 2 styles, {args.reps} re-solves per N (Clarabel); wall and CPU seconds;")
    print("median_s includes any relaxation re-solves; 'relaxed' counts rebalances that needed one")
    print(
        f"{'N':>6} {'build_s':>8} {'first_s':>8} {'median_s':>9} {'cpu_s':>7} {'p90_s':>7} {'relaxed':>8} {'goal_s':>7} "
        f"{'plain_s':>8} {'ratio':>6}"
    )
    for n in (500, 1000, 3000):
        # the universe (and its industries) is fixed across re-solves, as between two universe updates
        base = random_data(n, 30, rng, None)
        layout = Layout.from_onehot(base.industry)
        t0 = time.perf_counter()
        prob = PortfolioProblem(cs, layout, 2)
        build = time.perf_counter() - t0
        times, cpu, plain, relaxed, first, w_prev = [], [], [], 0, 0.0, None
        for r in range(args.reps + 1):
            data = random_data(n, 30, rng, w_prev)
            data = ProblemData(**{**data.__dict__, "industry": base.industry})
            t0, c0 = time.perf_counter(), time.process_time()
            res = solve_with_relaxation(prob, data.arranged(layout))
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            relaxed += bool(res.relaxed)
            if r < 6:  # the baseline is slow: fewer repetitions
                plain.append(plain_solve(data, data.w_prev))
            w_prev = res.weights[layout.positions]
            if r == 0:
                first = dt  # includes cvxpy's one-off DPP compilation
            else:
                times.append(dt)
                cpu.append(dc)
        goal = {500: float("nan"), 1000: 0.15, 3000: 0.6}[n]
        print(
            f"{n:>6} {build:>8.3f} {first:>8.3f} {np.median(times):>9.4f} {np.median(cpu):>7.4f} {np.percentile(times, 90):>7.4f} "
            f"{relaxed:>8d} {goal:>7.2f} {np.median(plain):>8.4f} {np.median(plain) / np.median(times):>6.1f}"
        )


if __name__ == "__main__":
    main()
