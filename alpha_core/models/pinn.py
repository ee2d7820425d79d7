"""R3's physics-informed macro state (SPEC section 4, seeds/004 section 4).

Latent macro state u(t) obeys the state equation (M = M2, M* its one-sided HP trend,
r = 10y government bond yield, r* its rolling mean):

    du/dt = a d(ln M)/dt + b (ln M - ln M*) - c (r - r*)

A small MLP maps the macro drivers known at t to u(t). As u is latent there is no target for
it; the PINN loss only forces it to satisfy the equation:

    L_physics = (1/K) sum_k P_k^2,
    P_k = (u(t_k) - u(t_{k+1})) / dt - [a x1(t_k) + b x2(t_k) - c x3(t_k)]

with x = (x1, x2, x3) = (d ln M, ln M - ln M*, r - r*) the three *drivers* and t_{k+1} the
macro step before t_k.

Choice of derivative: a backward finite difference over one macro step, right-hand side at the
later date t_k (backward Euler). Autograd w.r.t. t would need t itself as a network input,
which makes u a function of calendar time that cannot extrapolate to the test years; with the
drivers as input and a finite difference, u(t) depends only on data known at t (causal) and
the residual is exact for any u that solves the discretised equation (tested). ``d ln M`` must
be measured over the same step: the ``macro_series`` table gives dln_m = ln M2(m) - ln M2(m-1)
per M2 month, so the macro step is one month
(:func:`alpha_core.training.recipes.macro_window` uses 21 trading days).

Macro input layout of a day (``batch.macro``): rows newest first,
``(K + 1, 3)`` = [x(t), x(t - dt), ..., x(t - K dt)], or the same flattened to ``(3 (K + 1),)``;
K >= 1 lags are needed for the physics term (K = 1: the pair (t, t - 1)). u(t) (row 0) is what
joins the MTICG fusion layer.

Scale gauge: the equation is homogeneous in (u, a, b, c) -- (k u, k a, k b, k c) satisfies it
as well -- so with free coefficients the trivial solution a = b = c = 0, u = const has zero
physics loss. ``CoefficientNorm.UNIT`` (default) fixes the gauge with (a, b, c) = theta /
||theta||, still learnable; ``FREE`` leaves theta unconstrained (the paper's literal form).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch
from torch import nn

from alpha_core.errors import DataContractError, Location

MACRO_DRIVERS = ("dln_m", "ln_m_gap", "r_gap")
"""Driver columns of the ``macro_series`` table (:data:`alpha_core.macro.state.MODEL_INPUTS`), in
order: d ln M over one M2 month, ln M - ln M* (one-sided HP trend), r - r* (rolling mean)."""


class CoefficientNorm(StrEnum):
    """How the learnable (a, b, c) are parameterised."""

    UNIT = "unit"  # (a, b, c) = theta / ||theta||: fixes the scale gauge of u
    FREE = "free"  # (a, b, c) = theta


@dataclass(frozen=True)
class MacroStateConfig:
    """Args:
    n_drivers: drivers per date (3: d ln M, ln M - ln M*, r - r*).
    hidden: MLP width (16).
    n_layers: hidden layers (2), tanh activations (smooth, as usual for PINNs).
    dt: the macro step in the unit of the derivative (1.0 = one step).
    coefficient_norm: :class:`CoefficientNorm` (unit).
    init_coefficients: initial (a, b, c) direction ((1, 1, 1)).
    physics_weight: lambda of ``1 - IC + lambda * L_physics`` (0.1).
    """

    n_drivers: int = len(MACRO_DRIVERS)
    hidden: int = 16
    n_layers: int = 2
    dt: float = 1.0
    coefficient_norm: CoefficientNorm = CoefficientNorm.UNIT
    init_coefficients: tuple[float, float, float] = (1.0, 1.0, 1.0)
    physics_weight: float = 0.1


def state_equation_residual(
    u: torch.Tensor, drivers: torch.Tensor, coefficients: torch.Tensor, dt: float = 1.0
) -> torch.Tensor:
    """Backward-Euler residual of du/dt = a x1 + b x2 - c x3 at each step.

    Args:
        u: (K + 1,) states, newest first (u[0] = u(t), u[1] = u(t - dt), ...).
        drivers: (K + 1, 3) drivers x in the same row order.
        coefficients: (3,) = (a, b, c).
        dt: step length.

    Returns:
        (K,) residuals P_k = (u[k] - u[k + 1]) / dt - (a x[k, 0] + b x[k, 1] - c x[k, 2]).
    """
    if u.dim() != 1 or drivers.dim() != 2 or drivers.shape != (u.shape[0], 3) or u.shape[0] < 2:
        raise ValueError(
            f"u (K+1,) with K >= 1 and drivers (K+1, 3) expected, got {tuple(u.shape)} and {tuple(drivers.shape)}"
        )
    a, b, c = coefficients[0], coefficients[1], coefficients[2]
    rhs = a * drivers[:-1, 0] + b * drivers[:-1, 1] - c * drivers[:-1, 2]
    return (u[:-1] - u[1:]) / dt - rhs


class MacroStateNet(nn.Module):
    r"""The PINN: u(t) = MLP(x(t)) with learnable state-equation coefficients (a, b, c).

    Args:
        config: :class:`MacroStateConfig`.

    Shapes:
        ``forward(macro)``: macro (K + 1, 3) or flattened (3 (K + 1),) -> u (K + 1,), newest first.
        ``physics_loss(macro)`` -> scalar mean squared residual (needs K >= 1).
    """

    def __init__(self, config: MacroStateConfig = MacroStateConfig()):
        super().__init__()
        self.config = config
        c = config
        layers: list[nn.Module] = []
        width = c.n_drivers
        for _ in range(c.n_layers):
            layers += [nn.Linear(width, c.hidden), nn.Tanh()]
            width = c.hidden
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)
        self.theta = nn.Parameter(torch.empty(3))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for mod in self.mlp:
            if isinstance(mod, nn.Linear):
                mod.reset_parameters()
        with torch.no_grad():
            self.theta.copy_(torch.tensor(self.config.init_coefficients, dtype=torch.float32))

    @property
    def coefficients(self) -> torch.Tensor:
        """(a, b, c) as used in the equation, (3,)."""
        if self.config.coefficient_norm == CoefficientNorm.UNIT:
            return self.theta / self.theta.norm().clamp_min(1e-12)
        return self.theta

    def drivers(self, macro: torch.Tensor) -> torch.Tensor:
        """``macro`` reshaped to (K + 1, n_drivers), validated finite."""
        n = self.config.n_drivers
        if macro.dim() == 1:
            if macro.numel() % n:
                raise DataContractError(
                    f"macro input of length {macro.numel()} is not a multiple of {n} drivers", Location(column="macro")
                )
            macro = macro.reshape(-1, n)
        if macro.dim() != 2 or macro.shape[1] != n:
            raise DataContractError(
                f"macro input has shape {tuple(macro.shape)}, expected (K+1, {n})", Location(column="macro")
            )
        if not bool(torch.isfinite(macro).all()):
            lag, col = (int(v) for v in (~torch.isfinite(macro)).nonzero()[0])
            name = MACRO_DRIVERS[col] if n == len(MACRO_DRIVERS) else f"macro[{col}]"
            raise DataContractError(f"macro input has non-finite values at lag {lag}", Location(column=name))
        return macro

    def forward(self, macro: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.drivers(macro)).squeeze(-1)

    def physics_loss(self, macro: torch.Tensor) -> torch.Tensor:
        x = self.drivers(macro)
        if x.shape[0] < 2:
            raise DataContractError(
                "the physics loss needs the macro drivers at t and t - dt (batch.macro with at least 2 rows)",
                Location(column="macro"),
            )
        res = state_equation_residual(self.mlp(x).squeeze(-1), x, self.coefficients, self.config.dt)
        return (res**2).mean()

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"hidden={c.hidden}, layers={c.n_layers}, dt={c.dt:g}, "
            f"coefficients={c.coefficient_norm.value}, lambda={c.physics_weight:g}"
        )
