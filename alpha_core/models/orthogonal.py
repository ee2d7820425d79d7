"""Cross-sectional orthogonalisation of learned factors (R2 "orthogonal layer").

R2 (seeds/001, section 2): a BiAGRU over daily price/volume sequences is topped with an
orthogonalisation layer that emits K = 32 mutually orthogonal factors; those factors and the
existing fundamental factors are then re-weighted by XGBoost ("二次加权", the secondary
weighting of :mod:`alpha_core.training.secondary`).

Orthogonality is across the day's cross-section: for the (N, K) factor matrix F of one day,
centre each column, then make the columns uncorrelated with unit variance,

    F_c = F - 1 mean(F)                                  (N, K)
    C   = F_c^T F_c / N = V diag(lambda) V^T             (K, K), the factor covariance
    Lowdin (symmetric):  F_o = F_c V diag(max(lambda, eps lambda_max))^{-1/2} V^T
                                                         => F_o^T F_o / N = I
    QR (Gram-Schmidt):   F_c / sqrt(N) = Q R,  F_o = sqrt(N) Q diag(sign(diag R))

Lowdin is the default: among all orthonormal bases of span(F_c) it is the closest to F_c in
Frobenius norm, so factor i of F_o stays "factor i" and no factor is privileged by its
position (QR keeps factor 1 intact and strips the others in order). ``C^{-1/2}`` comes from a
float64 eigendecomposition. Eigenvalues are floored at ``eps`` times the largest one (a
relative floor, default 1e-12: the result does not depend on the factors' scale, and factors
with cross-sectional variances of 1e-6 .. 1e-12, as the R2 BiAGRU's are on raw price/volume
sequences, still come out orthonormal); only directions below the floor, i.e. a rank-deficient
day, are left un-normalised, so such a day does not explode.
"""

from __future__ import annotations

from enum import StrEnum

import torch
from torch import nn

from alpha_core.errors import DataContractError, Location


class OrthoMethod(StrEnum):
    """How to orthogonalise the factor columns."""

    LOWDIN = "lowdin"  # symmetric: F C^{-1/2}
    QR = "qr"  # Gram-Schmidt order: factor 1 kept, later ones made orthogonal to earlier


def orthogonalize(factors: torch.Tensor, method: OrthoMethod = OrthoMethod.LOWDIN, eps: float = 1e-12) -> torch.Tensor:
    """Centred, cross-sectionally orthonormal version of ``factors``.

    Args:
        factors: (N, K) factor exposures of one day's N stocks, N > K.
        method: :class:`OrthoMethod` (default Lowdin).
        eps: Lowdin eigenvalue floor relative to the largest eigenvalue (default 1e-12).

    Returns:
        (N, K) tensor ``F_o`` with column means 0 and ``F_o^T F_o / N = I`` (differentiable;
        same dtype as the input, computed in float64 internally).
    """
    if factors.dim() != 2:
        raise ValueError(f"factors must be (N, K), got shape {tuple(factors.shape)}")
    n, k = factors.shape
    if n <= k:
        raise DataContractError(
            f"orthogonalising {k} factors needs more than {k} stocks, got {n}", Location(column="factors")
        )
    f = factors.double()
    fc = f - f.mean(dim=0, keepdim=True)
    if method == OrthoMethod.LOWDIN:
        cov = fc.T @ fc / n
        evals, evecs = torch.linalg.eigh(cov)  # ascending
        floor = (eps * evals[-1].detach()).clamp_min(torch.finfo(torch.float64).tiny)  # a constant day -> zeros
        inv_sqrt = evecs @ torch.diag(evals.clamp_min(floor).rsqrt()) @ evecs.T
        out = fc @ inv_sqrt
    elif method == OrthoMethod.QR:
        q, r = torch.linalg.qr(fc / n**0.5)
        # Fix QR's sign ambiguity so factor j keeps the sign of its raw exposure.
        sign = torch.sign(torch.diagonal(r))
        sign = torch.where(sign == 0, torch.ones_like(sign), sign)
        out = q * sign * n**0.5
    else:  # pragma: no cover - StrEnum exhausts the options
        raise ValueError(f"unknown method {method!r}")
    return out.to(factors.dtype)


class OrthogonalLayer(nn.Module):
    r"""Module wrapper of :func:`orthogonalize` (no parameters).

    Args:
        method: :class:`OrthoMethod` (default ``lowdin``).
        eps: eigenvalue floor relative to the largest (default 1e-12).

    Shapes:
        input (N, K) -> output (N, K), centred and with ``F^T F / N = I``.
    """

    def __init__(self, method: OrthoMethod = OrthoMethod.LOWDIN, eps: float = 1e-12):
        super().__init__()
        self.method = OrthoMethod(method)
        self.eps = eps

    def forward(self, factors: torch.Tensor) -> torch.Tensor:
        return orthogonalize(factors, self.method, self.eps)

    def extra_repr(self) -> str:
        return f"method={self.method.value}, eps={self.eps:g}"


def factor_column_names(k: int, prefix: str = "dl_f") -> list[str]:
    """Column names of the K deep orthogonal factors: ``dl_f00 .. dl_f{K-1}``."""
    return [f"{prefix}{i:02d}" for i in range(k)]
