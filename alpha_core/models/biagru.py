"""R2's BiAGRU: a bidirectional GRU with attention pooling over daily price/volume sequences
(SPEC section 3, seeds/001 section 2), and its orthogonal-factor variant.

For one day's N stocks with sequences x (N, L, S) (the last ``window`` days up to T):

    h_t      = [GRU_fwd(x)_t || GRU_bwd(x)_t]                         (N, L, 2H)
    e_t      = v . tanh(W_a h_t + b_a)                                (N, L)
    a_t      = softmax_t(e_t)                                         attention over time
    z        = sum_t a_t h_t                                          (N, 2H)   the embedding
    score    = w . z + b                                              (N,)

Orthogonal variant (``orthogonal=True``): K = 32 factors f = W_f z (N, K) are orthogonalised
across the cross-section (:mod:`alpha_core.models.orthogonal`, f^T f / N = I) and
score = w . f_orth + b. ``factors(batch)`` returns f_orth, the input of the "secondary
weighting" XGBoost (``biagru_xgb``, see :func:`alpha_core.training.secondary.secondary_weighting_data`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError
from alpha_core.models.indcap_gat import checked_tensor, day_location
from alpha_core.models.orthogonal import OrthogonalLayer, OrthoMethod, factor_column_names


@dataclass(frozen=True)
class BiAGRUConfig:
    """Args:
    n_inputs: S, daily price/volume features per step.
    window: L, days of history used (40; the batch may carry more, the last L are used).
    hidden: H, GRU hidden size per direction (64; embedding is 2H).
    num_layers: stacked GRU layers (1).
    dropout: dropout between GRU layers and on the embedding (0.0).
    orthogonal: emit K orthogonal factors before the head (the ``biagru_xgb`` variant).
    n_factors: K (32).
    ortho_method: :class:`OrthoMethod` (lowdin).
    """

    n_inputs: int
    window: int = 40
    hidden: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    orthogonal: bool = False
    n_factors: int = 32
    ortho_method: OrthoMethod = OrthoMethod.LOWDIN


class AttentionPool(nn.Module):
    """Additive attention over time: ``z = sum_t softmax_t(v . tanh(W h_t + b)) h_t``.

    Shapes: h (N, L, D) -> z (N, D); ``weights(h)`` -> (N, L) summing to 1 over L.
    """

    def __init__(self, dim: int, attn_dim: int | None = None):
        super().__init__()
        self.dim, self.attn_dim = dim, attn_dim or dim
        self.proj = nn.Linear(dim, self.attn_dim)
        self.score = nn.Linear(self.attn_dim, 1, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.proj.reset_parameters()
        self.score.reset_parameters()

    def weights(self, h: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.score(torch.tanh(self.proj(h))).squeeze(-1), dim=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nl,nld->nd", self.weights(h), h)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dim}, attn_dim={self.attn_dim})"


class BiAGRUEncoder(nn.Module):
    """BiGRU + attention pooling: ``seq (N, L, S) -> z (N, 2H)`` (last ``window`` steps)."""

    def __init__(self, config: BiAGRUConfig):
        super().__init__()
        self.config = config
        c = config
        self.gru = nn.GRU(
            c.n_inputs,
            c.hidden,
            num_layers=c.num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=c.dropout if c.num_layers > 1 else 0.0,
        )
        self.pool = AttentionPool(2 * c.hidden)
        self.dropout = nn.Dropout(c.dropout)
        self.reset_parameters()

    @property
    def embed_dim(self) -> int:
        return 2 * self.config.hidden

    def reset_parameters(self) -> None:
        self.gru.reset_parameters()
        self.pool.reset_parameters()

    def window(self, batch: DayBatch) -> torch.Tensor:
        """The last ``window`` steps of ``batch.seq``, validated: (N, window, S)."""
        c = self.config
        seq = checked_tensor(batch, batch.seq, "seq", 3, c.n_inputs)
        if seq.shape[1] < c.window:
            raise DataContractError(
                f"seq has {seq.shape[1]} steps, BiAGRU needs {c.window}", day_location(batch, "seq")
            )
        return seq[:, -c.window :, :]

    def forward(self, batch: DayBatch) -> torch.Tensor:
        h, _ = self.gru(self.window(batch))
        return self.dropout(self.pool(h))


class BiAGRU(nn.Module):
    """R2 BiAGRU scorer (``biagru``); with ``orthogonal=True`` the 32-factor variant.

    ``forward(batch) -> (N,)``; ``embed(batch) -> (N, 2H)``; ``factors(batch) -> (N, K)``
    (orthogonal variant only).
    """

    def __init__(self, config: BiAGRUConfig):
        super().__init__()
        self.config = config
        self.encoder = BiAGRUEncoder(config)
        if config.orthogonal:
            self.factor_proj = nn.Linear(self.encoder.embed_dim, config.n_factors)
            self.ortho = OrthogonalLayer(config.ortho_method)
            self.output = nn.Linear(config.n_factors, 1)
        else:
            self.factor_proj = None
            self.ortho = None
            self.output = nn.Linear(self.encoder.embed_dim, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        if self.factor_proj is not None:
            self.factor_proj.reset_parameters()
        self.output.reset_parameters()

    def embed(self, batch: DayBatch) -> torch.Tensor:
        return self.encoder(batch)

    def factors(self, batch: DayBatch) -> torch.Tensor:
        """The K cross-sectionally orthonormal factors (N, K) of the orthogonal variant."""
        if self.factor_proj is None:
            raise ValueError("factors() needs BiAGRUConfig(orthogonal=True)")
        if batch.n <= self.config.n_factors:
            raise DataContractError(
                f"{self.config.n_factors} orthogonal factors need more than "
                f"{self.config.n_factors} stocks, the day has {batch.n}",
                day_location(batch, "seq"),
            )
        return self.ortho(self.factor_proj(self.embed(batch)))

    def forward(self, batch: DayBatch) -> torch.Tensor:
        h = self.factors(batch) if self.factor_proj is not None else self.embed(batch)
        return self.output(h).squeeze(-1)

    @torch.no_grad()
    def factor_frame(self, batches: Iterable[DayBatch]) -> pd.DataFrame:
        """Long table ``date, code, dl_f00 .. dl_f{K-1}`` of the orthogonal factors (eval mode).

        Each day's factors use only that day's batch (sequences up to T): no look-ahead.
        """
        was_training = self.training
        self.eval()
        cols = factor_column_names(self.config.n_factors)
        frames = []
        for batch in batches:
            f = self.factors(batch).double().cpu().numpy()
            frame = pd.DataFrame(f, columns=cols)
            frame.insert(0, "code", list(batch.codes))
            frame.insert(0, "date", pd.Timestamp(batch.date).normalize())
            frames.append(frame)
        self.train(was_training)
        if not frames:
            return pd.DataFrame(columns=["date", "code", *cols])
        out = pd.concat(frames, ignore_index=True)
        out["date"] = out["date"].astype("datetime64[ns]")
        return out.sort_values(["date", "code"], kind="stable").reset_index(drop=True)

    def extra_repr(self) -> str:
        c = self.config
        ortho = f", orthogonal={c.n_factors}({c.ortho_method.value})" if c.orthogonal else ""
        return f"window={c.window}, hidden={c.hidden}{ortho}"
