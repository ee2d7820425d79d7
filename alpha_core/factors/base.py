"""The factor record: a name, the function computing it on a context, and the inputs it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import safe_div

FactorFn = Callable[[FactorContext], np.ndarray]


@dataclass(frozen=True)
class Factor:
    """One named factor; ``fn(ctx)`` returns a (T, N) float64 array (NaN = missing).

    ``requires`` names the optional input tables (``fundamentals``, ``consensus``,
    ``industry_map``) without which the factor is absent.
    """

    name: str
    fn: FactorFn
    family: str
    requires: frozenset[str] = frozenset()


def growth(x: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Growth rate (x - base) / |base|; NaN when base is ~0 or missing."""
    return safe_div(x - base, np.abs(base))


def family(name: str, fns: dict[str, FactorFn], requires: frozenset[str] = frozenset()) -> tuple[Factor, ...]:
    return tuple(Factor(n, f, name, requires) for n, f in fns.items())
