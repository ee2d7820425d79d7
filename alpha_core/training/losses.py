"""Cross-sectional losses for one day's batch (SPEC section 2 and R3).

All losses take ``pred`` and ``label`` of shape (N,) (one trading day) and return a
scalar tensor.

- ``mse``:  (1/N) sum_i (pred_i - label_i)^2
- ``wmse``: (1/N) sum_i w_i (pred_i - label_i)^2, with w decaying by label rank with
  half-life N/2 (:func:`rank_halflife_weights`): best = 1, median = 0.5, worst = 0.25.
- ``ic_loss``: 1 - Pearson corr(pred, label) (R3's loss, also used by R3 engineers).

What wmse learns: because the weights depend on the label, its minimiser is
E[w y | x] / E[w | x], not E[y | x]. Two stocks with the same expected label but different
label dispersion get different targets (the dispersed one higher: its good days weigh up to 4x
its bad days), so wmse ranks by a mix of expected return and volatility. On the synthetic
market, whose planted factor part includes a low-volatility premium, that bias costs most of
the oracle IC (benchmarks/RESULTS.md, "Graph recovery"); mse targets E[y | x].
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import torch


class LossKind(enum.StrEnum):
    """Which training loss a model uses."""

    WMSE = "wmse"
    MSE = "mse"
    IC = "ic"


LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def rank_halflife_weights(label: torch.Tensor) -> torch.Tensor:
    """Weights decaying by label rank with half-life N/2.

    w_i = 0.5 ** (r_i / ((N - 1) / 2)), r_i = 0 for the highest label, N - 1 for the lowest
    (ties broken by order), so best = 1, median = 0.5, worst = 0.25 exactly.

    Shapes: label (N,) -> (N,) float, same dtype as label. N = 1 gives [1].
    """
    n = label.shape[0]
    if n <= 1:
        return torch.ones_like(label)
    order = torch.argsort(label, descending=True, stable=True)
    rank = torch.empty(n, dtype=label.dtype, device=label.device)
    rank[order] = torch.arange(n, dtype=label.dtype, device=label.device)
    return torch.pow(torch.tensor(0.5, dtype=label.dtype), rank / ((n - 1) / 2.0))


def mse(pred: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Plain mean squared error over the day's N stocks: (1/N) sum (pred - label)^2."""
    return torch.mean((pred - label) ** 2)


def wmse(pred: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Rank-weighted MSE: (1/N) sum w_i (pred_i - label_i)^2, w from :func:`rank_halflife_weights`.

    The weights depend only on the label (no gradient flows through them).
    """
    w = rank_halflife_weights(label.detach())
    return torch.mean(w * (pred - label) ** 2)


def ic_loss(pred: torch.Tensor, label: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """1 - Pearson correlation of pred and label over the day's N stocks.

    corr = sum (p - pbar)(l - lbar) / sqrt(sum (p - pbar)^2 * sum (l - lbar)^2 + eps)
    """
    p = pred - pred.mean()
    q = label - label.mean()
    corr = (p * q).sum() / torch.sqrt((p * p).sum() * (q * q).sum() + eps)
    return 1.0 - corr


LOSSES: dict[LossKind, LossFn] = {LossKind.WMSE: wmse, LossKind.MSE: mse, LossKind.IC: ic_loss}


def get_loss(kind: LossKind | str) -> LossFn:
    """The loss function for ``kind`` (``'wmse'``, ``'mse'`` or ``'ic'``)."""
    return LOSSES[LossKind(kind)]
