import numpy as np
import torch

from alpha_core.models.losses import LossKind, get_loss, ic_loss, mse, rank_halflife_weights, wmse


def test_halflife_weights_best_median_worst():
    label = torch.tensor([0.3, -1.0, 2.0, 0.1, 0.5], dtype=torch.float64)
    w = rank_halflife_weights(label).numpy()
    # descending order: 2.0 (r0), 0.5 (r1), 0.3 (r2), 0.1 (r3), -1.0 (r4); half-life (5-1)/2 = 2 ranks
    expected = {2: 1.0, 4: 0.5**0.5, 0: 0.5, 3: 0.5**1.5, 1: 0.25}
    for i, v in expected.items():
        assert np.isclose(w[i], v)


def test_wmse_hand_computed():
    pred = torch.tensor([1.0, 0.0, 0.0])
    label = torch.tensor([0.0, 1.0, -1.0])
    # ranks: label 1.0 -> 0 (w 1), 0.0 -> 1 (w 0.5), -1.0 -> 2 (w 0.25)
    hand = (0.5 * 1.0 + 1.0 * 1.0 + 0.25 * 1.0) / 3
    assert np.isclose(float(wmse(pred, label)), hand)
    assert np.isclose(float(mse(pred, label)), 1.0)


def test_ic_loss_is_one_minus_pearson():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    got = float(ic_loss(torch.tensor(a), torch.tensor(b)))
    assert np.isclose(got, 1 - np.corrcoef(a, b)[0, 1], atol=1e-6)


def test_wmse_gradient_flows_only_through_pred():
    pred = torch.zeros(4, requires_grad=True)
    label = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    wmse(pred, label).backward()
    assert pred.grad is not None and torch.all(pred.grad != 0)


def test_get_loss():
    assert get_loss("wmse") is wmse and get_loss(LossKind.IC) is ic_loss
