"""The PINN macro state: state-equation residual and physics loss (its causal input: tests/training/test_recipes.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.models.pinn import (
    CoefficientNorm,
    MacroStateConfig,
    MacroStateNet,
    state_equation_residual,
)
from alpha_core.training.trainer import seeded


def solve_state_equation(x: np.ndarray, a: float, b: float, c: float, dt: float, u_first: float) -> np.ndarray:
    """u along time (oldest first) solving u(t) = u(t-1) + dt (a x1(t) + b x2(t) - c x3(t))."""
    u = np.empty(len(x))
    u[0] = u_first
    for t in range(1, len(x)):
        u[t] = u[t - 1] + dt * (a * x[t, 0] + b * x[t, 1] - c * x[t, 2])
    return u


def test_residual_is_zero_on_a_solution_and_positive_otherwise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 3))
    a, b, c, dt = 0.7, -0.3, 1.2, 0.5
    u = solve_state_equation(x, a, b, c, dt, u_first=2.0)
    coef = torch.tensor([a, b, c], dtype=torch.float64)
    # newest first, as in batch.macro
    res = state_equation_residual(torch.tensor(u[::-1].copy()), torch.tensor(x[::-1].copy()), coef, dt)
    assert res.shape == (11,)
    np.testing.assert_allclose(res.numpy(), 0.0, atol=1e-12)
    bumped = u.copy()
    bumped[5] += 0.1
    res = state_equation_residual(torch.tensor(bumped[::-1].copy()), torch.tensor(x[::-1].copy()), coef, dt)
    assert float((res**2).mean()) > 1e-4
    # the wrong sign of c is not a solution either
    res = state_equation_residual(
        torch.tensor(u[::-1].copy()), torch.tensor(x[::-1].copy()), torch.tensor([a, b, -c], dtype=torch.float64), dt
    )
    assert float((res**2).mean()) > 1e-3


def test_residual_hand_computed_for_one_pair():
    u = torch.tensor([1.5, 1.0])  # u(t), u(t-1)
    x = torch.tensor([[0.2, 0.1, 0.3], [9.0, 9.0, 9.0]])  # drivers at t, t-1 (t-1 unused)
    res = state_equation_residual(u, x, torch.tensor([1.0, 2.0, 0.5]), dt=1.0)
    assert torch.allclose(res, torch.tensor([0.5 - (0.2 + 0.2 - 0.15)]))


class FixedState(torch.nn.Module):
    """Stand-in for the MLP returning prescribed u rows (newest first)."""

    def __init__(self, u: np.ndarray):
        super().__init__()
        self.u = torch.tensor(u, dtype=torch.float32)[:, None]

    def forward(self, x):
        return self.u


def test_physics_loss_is_zero_for_a_state_that_solves_the_equation_with_the_learned_coefficients():
    with seeded(0):
        net = MacroStateNet(MacroStateConfig(init_coefficients=(3.0, 0.0, 4.0), dt=1.0))
    np.testing.assert_allclose(net.coefficients.detach().numpy(), [0.6, 0.0, 0.8], atol=1e-7)  # unit norm
    x = np.random.default_rng(1).standard_normal((5, 3))
    u = solve_state_equation(x, 0.6, 0.0, 0.8, 1.0, u_first=-1.0)
    net.mlp = FixedState(u[::-1].copy())
    macro = torch.tensor(x[::-1].copy(), dtype=torch.float32)
    assert net.physics_loss(macro).item() < 1e-10
    net.mlp = FixedState(u[::-1].copy() + np.array([0.3, 0, 0, 0, 0]))
    assert net.physics_loss(macro).item() == pytest.approx(0.3**2 / 4, rel=1e-4)


def test_physics_loss_trains_u_and_coefficients_towards_the_equation():
    rng = np.random.default_rng(0)
    with seeded(0):
        net = MacroStateNet(MacroStateConfig(hidden=16))
    macros = [torch.tensor(rng.standard_normal((2, 3)), dtype=torch.float32) for _ in range(64)]
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    before = torch.stack([net.physics_loss(m) for m in macros]).mean().item()
    for _ in range(60):
        opt.zero_grad()
        loss = torch.stack([net.physics_loss(m) for m in macros]).mean()
        loss.backward()
        opt.step()
    after = loss.item()
    assert after < 0.5 * before
    assert net.coefficients.norm().item() == pytest.approx(1.0)  # the gauge stays fixed


def test_free_coefficients_and_flat_macro_input():
    with seeded(0):
        net = MacroStateNet(MacroStateConfig(coefficient_norm=CoefficientNorm.FREE, init_coefficients=(2.0, 0.0, 0.0)))
    assert torch.allclose(net.coefficients, torch.tensor([2.0, 0.0, 0.0]))
    flat = torch.arange(6.0)
    assert torch.allclose(net(flat), net(flat.reshape(2, 3)))
    assert "coefficients=free" in repr(net)
    with pytest.raises(DataContractError, match="multiple of 3"):
        net(torch.arange(5.0))
    with pytest.raises(DataContractError, match="at t and t - dt"):
        net.physics_loss(torch.zeros(1, 3))
    with pytest.raises(DataContractError, match="r_gap"):
        net(torch.tensor([[0.0, 0.0, float("nan")], [0.0, 0.0, 0.0]]))
