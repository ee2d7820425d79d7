"""R3's multi-scale Transformer (SPEC section 4, seeds/004 section 2.1).

Input: the 14 R3 daily features (pvo, sse, liq, skew, gap, vts, vcll, rvr, csl, rev, vclb,
kurtosis, lip, breadth) over the last 80 days, ``batch.seq`` (N, 80, 14). For each scale
w in (20, 40, 80), using the last w steps:

    e_w   = W_in x[:, -w:] + PE                                       (N, w, D)   PE sinusoidal
    z_w   = TransformerEncoder_w(e_w)                                 (N, w, D)
    u_w   = interpolate_linear(z_w, 80)                               (N, 80, D)  upsampled
    g     = softmax_over_scales(W_g [u_20 || u_40 || u_80] + b_g)     (N, 80, 3)  gate
    f     = sum_w g_w * u_w                                           (N, 80, D)  gated fusion
    h     = mean_t f                                                  (N, D)      pooled
    score = w_o . h + b_o                                             (N,)

The gate is learnable and input dependent (per stock and time step), so the mix of short,
medium and long horizons can change with the state of the stock. Loss 1 - IC (R3), trained
with the shared trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError
from alpha_core.models.base import LinearHeadScorer
from alpha_core.models.indcap_gat import checked_tensor, day_location

R3_SEQ_FEATURES = (
    "pvo",
    "sse",
    "liq",
    "skew",
    "gap",
    "vts",
    "vcll",
    "rvr",
    "csl",
    "rev",
    "vclb",
    "kurtosis",
    "lip",
    "breadth",
)
"""The 14 R3 daily features (table 1 of seeds/004), in ``seq``'s last-axis order."""


@dataclass(frozen=True)
class MultiTransformerConfig:
    """Args:
    n_features: S, daily features (14).
    scales: window lengths, one encoder each ((20, 40, 80)); the longest is the fusion length.
    d_model: D (64).
    n_heads: attention heads per layer (4).
    n_layers: encoder layers per scale (2).
    dim_feedforward: FFN width (128).
    dropout: dropout inside the encoders (0.1).
    """

    n_features: int = len(R3_SEQ_FEATURES)
    scales: tuple[int, ...] = (20, 40, 80)
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    dim_feedforward: int = 128
    dropout: float = 0.1

    @property
    def length(self) -> int:
        return max(self.scales)


def sinusoidal_encoding(length: int, dim: int) -> torch.Tensor:
    """PE[t, 2k] = sin(t / 10000^(2k/D)), PE[t, 2k+1] = cos(...): (length, dim)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return pe


class ScaleEncoder(nn.Module):
    """One scale: input projection + positional encoding + TransformerEncoder.

    Shapes: x (N, w, S) -> (N, w, D).
    """

    def __init__(self, config: MultiTransformerConfig, window: int):
        super().__init__()
        c = config
        self.window = window
        self.input = nn.Linear(c.n_features, c.d_model)
        self.register_buffer("pe", sinusoidal_encoding(window, c.d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(c.d_model, c.n_heads, c.dim_feedforward, c.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c.n_layers, enable_nested_tensor=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.input.reset_parameters()
        for layer in self.encoder.layers:
            layer.self_attn._reset_parameters()
            for mod in (layer.linear1, layer.linear2, layer.norm1, layer.norm2):
                mod.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.input(x) + self.pe)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(window={self.window}, layers={len(self.encoder.layers)})"


class MultiScaleEncoder(nn.Module):
    """The multi-scale Transformer up to the pooled fused sequence: ``forward(batch) -> (N, D)``."""

    def __init__(self, config: MultiTransformerConfig = MultiTransformerConfig()):
        super().__init__()
        self.config = config
        c = config
        if c.d_model % c.n_heads:
            raise ValueError(f"d_model={c.d_model} must be divisible by n_heads={c.n_heads}")
        self.scales = nn.ModuleList(ScaleEncoder(c, w) for w in c.scales)
        self.gate = nn.Linear(len(c.scales) * c.d_model, len(c.scales))
        self.reset_parameters()

    @property
    def embed_dim(self) -> int:
        return self.config.d_model

    def reset_parameters(self) -> None:
        for enc in self.scales:
            enc.reset_parameters()
        self.gate.reset_parameters()

    def sequences(self, batch: DayBatch) -> torch.Tensor:
        """Upsampled per-scale encodings (N, 80, n_scales, D)."""
        c = self.config
        seq = checked_tensor(batch, batch.seq, "seq", 3, c.n_features)
        if seq.shape[1] < c.length:
            raise DataContractError(
                f"seq has {seq.shape[1]} steps, multi_transformer needs {c.length}", day_location(batch, "seq")
            )
        ups = []
        for enc in self.scales:
            z = enc(seq[:, -enc.window :, :])  # (N, w, D)
            if enc.window != c.length:
                # Linear interpolation along time: (N, D, w) -> (N, D, 80).
                z = F.interpolate(z.transpose(1, 2), size=c.length, mode="linear", align_corners=True).transpose(1, 2)
            ups.append(z)
        return torch.stack(ups, dim=2)

    def gate_weights(self, ups: torch.Tensor) -> torch.Tensor:
        """Gate g (N, 80, n_scales), softmax over scales."""
        n, t = ups.shape[:2]
        return torch.softmax(self.gate(ups.reshape(n, t, -1)), dim=-1)

    def forward(self, batch: DayBatch) -> torch.Tensor:
        ups = self.sequences(batch)
        fused = (self.gate_weights(ups).unsqueeze(-1) * ups).sum(dim=2)  # (N, 80, D)
        return fused.mean(dim=1)

    def extra_repr(self) -> str:
        c = self.config
        return f"scales={c.scales}, d_model={c.d_model}, heads={c.n_heads}, layers={c.n_layers}"


class MultiTransformer(LinearHeadScorer):
    """Multi-scale Transformer scorer (``multi_transformer``): encoder + linear head,
    ``forward -> (N,)``; ``embed(batch) -> (N, D)``."""

    def __init__(self, config: MultiTransformerConfig = MultiTransformerConfig()):
        super().__init__(MultiScaleEncoder(config), config.d_model)
        self.config = config
