"""Cross-sectional orthogonalisation (the R2 orthogonal layer)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.models.orthogonal import OrthogonalLayer, OrthoMethod, orthogonalize


def correlated_factors(n=200, k=32, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, k))
    mix = np.eye(k) + 0.6 * rng.standard_normal((k, k)) / np.sqrt(k)
    return base @ mix + 3.0  # correlated columns with a non-zero mean


@pytest.mark.parametrize("method", list(OrthoMethod))
def test_factors_are_centred_and_orthonormal(method):
    f = torch.tensor(correlated_factors(), dtype=torch.float32)
    assert abs(np.corrcoef(f.numpy().T)[0, 1:]).max() > 0.1  # the input is correlated
    out = orthogonalize(f, method).double().numpy()
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.T @ out / len(out), np.eye(32), atol=1e-4)
    assert out.shape == (200, 32)


def test_lowdin_floor_is_relative_so_tiny_factors_still_come_out_orthonormal():
    """R2 BiAGRU factors on raw price/volume sequences have cross-sectional variances of
    1e-3 .. 1e-12: an absolute eigenvalue floor (the former eps=1e-6) left most of them
    un-normalised (F^T F / N far from I); the floor is relative to the largest eigenvalue."""
    rng = np.random.default_rng(2)
    base = rng.standard_normal((200, 32)) * np.logspace(-1.5, -6, 32)  # stds 3e-2 .. 1e-6
    f = torch.tensor(base @ np.linalg.qr(rng.standard_normal((32, 32)))[0] + 1.0, dtype=torch.float64)
    out = orthogonalize(f).numpy()
    np.testing.assert_allclose(out.T @ out / len(out), np.eye(32), atol=1e-6)
    np.testing.assert_allclose(orthogonalize(1e-3 * f).numpy(), out, atol=1e-6)  # scale-free
    constant = orthogonalize(torch.ones(40, 3, dtype=torch.float64))
    assert torch.equal(constant, torch.zeros(40, 3, dtype=torch.float64))  # a degenerate day: zeros, not NaN


def test_lowdin_matches_a_hand_computed_inverse_square_root():
    f = correlated_factors(n=50, k=4, seed=3)
    fc = f - f.mean(axis=0)
    c = fc.T @ fc / len(f)
    w, v = np.linalg.eigh(c)
    expected = fc @ (v / np.sqrt(w)) @ v.T
    got = orthogonalize(torch.tensor(f, dtype=torch.float64), OrthoMethod.LOWDIN, eps=0.0).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_lowdin_keeps_already_orthonormal_factors_and_qr_keeps_the_first_factor():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((60, 5)))
    q = q - q.mean(axis=0)  # centre, then orthonormalise again so F^T F / N = I exactly
    q, _ = np.linalg.qr(q)
    f = torch.tensor(q * np.sqrt(60), dtype=torch.float64)
    np.testing.assert_allclose(orthogonalize(f, OrthoMethod.LOWDIN, eps=0.0).numpy(), f.numpy(), atol=1e-8)
    raw = torch.tensor(correlated_factors(n=60, k=5), dtype=torch.float64)
    out = orthogonalize(raw, OrthoMethod.QR).numpy()
    first = raw[:, 0].numpy() - raw[:, 0].numpy().mean()
    np.testing.assert_allclose(out[:, 0], first / first.std(), atol=1e-8)


def test_layer_is_differentiable():
    f = torch.tensor(correlated_factors(n=40, k=3), dtype=torch.float64, requires_grad=True)
    layer = OrthogonalLayer()
    assert torch.autograd.gradcheck(lambda x: layer(x), (f,), atol=1e-5)
    assert "lowdin" in repr(layer)


def test_too_few_stocks_raise():
    with pytest.raises(DataContractError, match="needs more than 32 stocks"):
        orthogonalize(torch.randn(32, 32))
