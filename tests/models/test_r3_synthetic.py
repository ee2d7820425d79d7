"""A small planted cross-section for the R2 / R3 model tests (imported by the other
``test_r2_*`` / ``test_r3_*`` files), and checks of the plant itself.

Per day, N stocks in 8 industries:
    seq (N, L, S) ~ N(0, 1); node features (N, F) ~ N(0, 1); macro drivers x (2, 3) ~ N(0, 1)
    ts_i    = mean of seq[i, -10:, 0]                      (time-series part, last 10 steps)
    graph_i = mean of node_industry[j, 0] over i's industry (graph part)
    macro_i = u(t) * node_flow[i, 1],  u(t) = x(t)[0] - x(t)[2]        (macro part)
    y       = z(w_ts ts + w_g graph + w_m macro + noise)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.batch import DayBatch
from alpha_core.training.losses import LossKind, get_loss
from alpha_core.training.trainer import Monitor, TrainConfig, evaluate, seeded, train

N_GROUPS = 8


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small models on a shared 2-core box: intra-op threading costs 20x more than it saves."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def zscore(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def planted_days(
    n_days: int,
    *,
    n: int = 64,
    seq_len: int = 80,
    n_seq: int = 14,
    n_node: int = 19,
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    noise: float = 0.5,
    seed: int = 0,
    start: str = "2020-01-02",
) -> list[DayBatch]:
    rng = np.random.default_rng(seed)
    group = np.arange(n) % N_GROUPS
    mask = group[:, None] == group[None, :]
    # flow graph: a ring over a fixed permutation (each stock linked to 2 + 2 neighbours)
    perm = rng.permutation(n)
    src = np.concatenate([perm, perm, np.roll(perm, 1), np.roll(perm, 2)])
    dst = np.concatenate([np.roll(perm, 1), np.roll(perm, 2), perm, perm])
    edge_index = torch.from_numpy(np.stack([src, dst]).astype(np.int64))
    codes = [f"SZ{i:06d}" for i in range(n)]
    dates = pd.bdate_range(start, periods=n_days)
    out = []
    for d in dates:
        seq = rng.standard_normal((n, seq_len, n_seq)).astype(np.float32)
        node_ind = rng.standard_normal((n, n_node)).astype(np.float32)
        node_flow = rng.standard_normal((n, n_node)).astype(np.float32)
        macro = rng.standard_normal((2, 3)).astype(np.float32)
        ts = seq[:, -10:, 0].mean(axis=1)
        graph = (mask @ node_ind[:, 0]) / mask.sum(axis=1)
        u = macro[0, 0] - macro[0, 2]
        part_macro = u * node_flow[:, 1]
        y = (
            weights[0] * zscore(ts)
            + weights[1] * zscore(graph)
            + weights[2] * part_macro
            + noise * rng.standard_normal(n)
        )
        out.append(
            DayBatch(
                date=d,
                codes=codes,
                x=torch.zeros(n, 1),
                y=torch.from_numpy(zscore(y).astype(np.float32)),
                seq=torch.from_numpy(seq),
                graphs={
                    "r3_industry": torch.from_numpy(mask),
                    "r3_flow": edge_index,
                    "r2_similarity": torch.from_numpy(mask),
                },
                macro=torch.from_numpy(macro),
                extras={"r3_node_industry": torch.from_numpy(node_ind), "r3_node_flow": torch.from_numpy(node_flow)},
            )
        )
    return out


def fit_lowers_valid_loss(
    build,
    loss: LossKind,
    *,
    n_train: int = 16,
    n_valid: int = 6,
    epochs: int = 8,
    lr: float = 3e-3,
    seed: int = 0,
    **plant,
) -> tuple[float, float]:
    """(valid loss before, after) a short run of the shared trainer on the plant."""
    days = planted_days(n_train + n_valid, seed=seed, **plant)
    with seeded(seed):
        model = build()
    loss_fn = get_loss(loss)
    before, _ = evaluate(model, days[n_train:], loss_fn)
    train(
        model,
        days[:n_train],
        days[n_train:],
        TrainConfig(lr=lr, max_epochs=epochs, patience=epochs, monitor=Monitor.LOSS, seed=seed, loss=loss),
        progress=False,
    )
    after, _ = evaluate(model, days[n_train:], loss_fn)
    return before, after


def test_plant_is_learnable_by_the_oracle():
    """The oracle (noise-free combination) has a high IC with the label: the plant is sound."""
    days = planted_days(3, weights=(1.0, 1.0, 1.0), noise=0.5)
    for b in days:
        seq, ind, flow, macro = (
            b.seq.numpy(),
            b.extras["r3_node_industry"].numpy(),
            b.extras["r3_node_flow"].numpy(),
            b.macro.numpy(),
        )
        mask = b.graphs["r3_industry"].numpy()
        oracle = (
            zscore(seq[:, -10:, 0].mean(axis=1))
            + zscore(mask @ ind[:, 0] / mask.sum(axis=1))
            + (macro[0, 0] - macro[0, 2]) * flow[:, 1]
        )
        assert np.corrcoef(oracle, b.y.numpy())[0, 1] > 0.7
