"""R3's two-stream fusion models (SPEC section 4, seeds/004 section 4): ``mticg`` (multi-scale
Transformer + indcap-GAT) and ``pinn_mticg`` (plus the physics-informed macro state u(t)).

    h_T   = MultiScaleEncoder(batch)                                  (N, D_T)  time series
    h_G   = IndcapEncoder(batch)                                      (N, D_G)  cross-section
    z     = [h_T || h_G]                                              (N, D_T + D_G)
    pinn_mticg only: u = MacroStateNet(x(t)) (a scalar for the day) joins the fusion by
          feature-wise modulation  z <- z * (1 + gamma u) + beta u    (gamma, beta in R^{D_T+D_G})
    f     = ELU(W_f z + b_f)                                          (N, F)    fusion layer
    score = w_o . f + b_o                                             (N,)

u is one number per day, so an additive u alone would shift every stock's score equally and
change neither the IC nor the ranking; the multiplicative term lets the macro state re-weight
the stock embeddings (e.g. favour high-beta names when money is loose).

Loss (R3): 1 - IC(y, y_pred) + lambda * L_physics. The trainer computes 1 - IC and adds
``auxiliary_loss(batch, scores) = lambda * L_physics`` (0 for ``mticg``); see
:mod:`alpha_core.models.pinn` for L_physics and the macro input layout of ``batch.macro``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError
from alpha_core.models.indcap_gat import IndcapEncoder, IndcapGATConfig, day_location
from alpha_core.models.multi_transformer import MultiScaleEncoder, MultiTransformerConfig
from alpha_core.models.pinn import MacroStateConfig, MacroStateNet


@dataclass(frozen=True)
class MTICGConfig:
    """Args:
    transformer: :class:`MultiTransformerConfig` (paper defaults).
    indcap: :class:`IndcapGATConfig`.
    macro: :class:`MacroStateConfig` for ``pinn_mticg``; None for ``mticg`` (no macro state,
        no physics term).
    fusion_hidden: F, width of the fusion layer (64).
    """

    transformer: MultiTransformerConfig = field(default_factory=MultiTransformerConfig)
    indcap: IndcapGATConfig = field(default_factory=IndcapGATConfig)
    macro: MacroStateConfig | None = None
    fusion_hidden: int = 64


class MTICG(nn.Module):
    """MTICG / PINN-MTICG; ``forward(batch) -> (N,)``, ``auxiliary_loss(batch, scores)`` ->
    lambda * L_physics (scalar), ``macro_state(batch)`` -> u rows (K + 1,) newest first."""

    def __init__(self, config: MTICGConfig = MTICGConfig()):
        super().__init__()
        self.config = config
        self.transformer = MultiScaleEncoder(config.transformer)
        self.indcap = IndcapEncoder(config.indcap)
        width = self.transformer.embed_dim + self.indcap.embed_dim
        if config.macro is not None:
            self.macro = MacroStateNet(config.macro)
            self.gamma = nn.Parameter(torch.empty(width))
            self.beta = nn.Parameter(torch.empty(width))
        else:
            self.macro = None
            self.gamma = self.beta = None
        self.fusion = nn.Linear(width, config.fusion_hidden)
        self.output = nn.Linear(config.fusion_hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.transformer.reset_parameters()
        self.indcap.reset_parameters()
        if self.macro is not None:
            self.macro.reset_parameters()
            # Small random modulation: u starts with a gradient path but barely moves the scores.
            gen = torch.Generator().manual_seed(0)
            with torch.no_grad():
                self.gamma.copy_(0.1 * torch.randn(self.gamma.shape, generator=gen))
                self.beta.copy_(0.1 * torch.randn(self.beta.shape, generator=gen))
        self.fusion.reset_parameters()
        self.output.reset_parameters()

    def _macro_input(self, batch: DayBatch) -> torch.Tensor:
        if batch.macro is None:
            raise DataContractError(
                "pinn_mticg needs batch.macro (drivers at t and t - dt)", day_location(batch, "macro")
            )
        if not bool(torch.isfinite(batch.macro).all()):
            raise DataContractError("batch.macro has non-finite values", day_location(batch, "macro"))
        return batch.macro

    def macro_state(self, batch: DayBatch) -> torch.Tensor:
        """u at the rows of ``batch.macro`` (newest first); u[0] = u(t) joins the fusion."""
        if self.macro is None:
            raise ValueError("mticg has no macro state (MTICGConfig.macro is None)")
        return self.macro(self._macro_input(batch))

    def fused(self, batch: DayBatch) -> torch.Tensor:
        """Fusion-layer output f (N, F)."""
        z = torch.cat([self.transformer(batch), self.indcap(batch)], dim=-1)
        if self.macro is not None:
            u = self.macro_state(batch)[0]
            z = z * (1.0 + self.gamma * u) + self.beta * u
        return F.elu(self.fusion(z))

    def forward(self, batch: DayBatch) -> torch.Tensor:
        return self.output(self.fused(batch)).squeeze(-1)

    def auxiliary_loss(self, batch: DayBatch, scores: torch.Tensor) -> torch.Tensor:
        """lambda * L_physics for ``pinn_mticg``; a zero scalar for ``mticg``."""
        if self.macro is None:
            return scores.new_zeros(())
        return self.config.macro.physics_weight * self.macro.physics_loss(self._macro_input(batch))

    def extra_repr(self) -> str:
        kind = "pinn_mticg" if self.macro is not None else "mticg"
        return f"kind={kind}, fusion_hidden={self.config.fusion_hidden}"
