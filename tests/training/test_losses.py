import numpy as np
import torch

from alpha_core.training.losses import LossKind, get_loss, ic_loss, mse, rank_halflife_weights, wmse


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


def test_wmse_optimum_rewards_label_dispersion_mse_does_not():
    """Two groups with mean-zero labels, one dispersed {-2, 2}, one calm {-0.1, 0.1}: the best
    constant prediction per group is sum(w y) / sum(w) under wmse, the plain mean under mse.

    Ranks (descending): 2 -> 0 (w 1), 0.1 -> 1 (w 0.5^(2/3)), -0.1 -> 2 (w 0.5^(4/3)), -2 -> 3 (w 0.25),
    so wmse puts the dispersed group at (2 - 0.5) / 1.25 = 1.2 and the calm one at
    0.1 (0.5^(2/3) - 0.5^(4/3)) / (0.5^(2/3) + 0.5^(4/3)) ~ 0.0227: it ranks volatility, not the mean.
    """
    label = torch.tensor([-2.0, -0.1, 0.1, 2.0], dtype=torch.float64)
    group = torch.tensor([0, 1, 1, 0])
    hand_wmse = [1.2, 0.1 * (0.5 ** (2 / 3) - 0.5 ** (4 / 3)) / (0.5 ** (2 / 3) + 0.5 ** (4 / 3))]
    for loss, hand in ((wmse, hand_wmse), (mse, [0.0, 0.0])):
        c = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([c], lr=1.0, max_iter=100, tolerance_grad=1e-12, tolerance_change=1e-14)

        def closure(opt=opt, loss=loss, c=c):  # bound now: LBFGS calls it within this iteration
            opt.zero_grad()
            value = loss(c[group], label)
            value.backward()
            return value

        opt.step(closure)
        assert np.allclose(c.detach().numpy(), hand, atol=1e-6), (loss.__name__, c)
