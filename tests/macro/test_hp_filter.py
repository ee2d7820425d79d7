"""One-sided (causal) vs two-sided HP trend."""

from __future__ import annotations

import numpy as np
import pytest

from alpha_core.macro.hp_filter import one_sided_hp_trend, two_sided_hp_trend_for_plots


def _hp_reference(y: np.ndarray, lamb: float) -> np.ndarray:
    """Dense solve of (I + lambda D'D) tau = y, D the (T-2, T) second-difference matrix."""
    t = len(y)
    d = np.zeros((t - 2, t))
    for i in range(t - 2):
        d[i, i : i + 3] = [1.0, -2.0, 1.0]
    return np.linalg.solve(np.eye(t) + lamb * d.T @ d, y)


def _series(n: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 12.0 + 0.01 * np.arange(n) + np.cumsum(rng.normal(0, 0.01, n))


def test_one_sided_trend_is_the_last_point_of_a_filter_on_data_up_to_t() -> None:
    y = _series()
    out = one_sided_hp_trend(y, 14400, min_periods=24)
    assert np.isnan(out[:23]).all() and np.isfinite(out[23:]).all()
    for t in (23, 60, 119):
        assert out[t] == pytest.approx(_hp_reference(y[: t + 1], 14400)[-1], abs=1e-8)


def test_one_sided_trend_at_t_unchanged_when_data_after_t_changes() -> None:
    y = _series()
    t = 80
    base = one_sided_hp_trend(y, 14400)
    z = y.copy()
    z[t + 1 :] += np.linspace(0.5, 3.0, len(y) - t - 1)  # a very different future
    other = one_sided_hp_trend(z, 14400)
    np.testing.assert_array_equal(other[: t + 1], base[: t + 1])
    assert not np.allclose(other[t + 1 :], base[t + 1 :])
    # the two-sided trend at t DOES move with the future: that is the leak
    assert abs(two_sided_hp_trend_for_plots(z)[t] - two_sided_hp_trend_for_plots(y)[t]) > 1e-3


def test_one_sided_differs_from_two_sided_near_the_end_of_the_sample() -> None:
    y = _series(seed=3)
    y[-12:] += np.linspace(0.0, 0.2, 12)  # a late break makes the end-point problem visible
    one = one_sided_hp_trend(y, 14400)
    two = two_sided_hp_trend_for_plots(y, 14400)
    np.testing.assert_allclose(two, _hp_reference(y, 14400), atol=1e-8)
    assert one[-1] == pytest.approx(two[-1], abs=1e-10)  # same sample at the very end
    assert np.abs(one[-12:-1] - two[-12:-1]).max() > 1e-2  # but not before it


def test_nan_input_is_refused() -> None:
    y = _series()
    y[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        one_sided_hp_trend(y)
