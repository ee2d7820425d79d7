"""R3's indcap-GAT (SPEC section 4, seeds/004 section 3): one GAT over the industry(+cross-
industry) graph and one over the capital-flow graph, with R3 table-5 node features, fused.

Per graph g in {industry, capital flow}, with node features x_g (N, F_g):

    h_g   = GATEncoder_g(x_g, G_g)                                    (N, H)
    z     = ELU(W_f [h_industry || h_flow] + b_f)                     (N, H)   fusion
    score = w_o . z + b_o                                             (N,)

:class:`GATEncoder` (also used by BiAGRU-GAT) is a residual multi-head graph-attention block
built from :class:`alpha_core.models.attention.GraphAttention` heads (GAT coefficients
``alpha_ij = softmax_{j in N(i)} LeakyReLU(a . [W h_i || W h_j])``, self-loops included):

    h     = W_in x                                                    (N, H)
    h'    = h + ELU(concat_k sum_j alpha^k_ij W^k h_j)                (N, H),  K heads of H/K

Graphs come from ``batch.graphs[name]``: a dense bool mask (N, N) or an edge_index (2, E).
Node features come from ``batch.extras[key]`` (N, F_g) (the loader builds them from R3 table 5:
shared momentum / volatility / turnover / up-down volatility / price-volume correlation
features, plus PE-industry, ROE-quantile, PB-deviation for the industry graph and amount
level, Amihud, amount volatility for the flow graph).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError, Location
from alpha_core.models.attention import GraphAttention
from alpha_core.models.base import LinearHeadScorer


def day_location(batch: DayBatch, column: str, row: int | None = None) -> Location:
    """Location of a bad model input: the batch date, the input name and, when a row is known,
    its instrument."""
    code = batch.codes[row] if row is not None and 0 <= row < len(batch.codes) else None
    date = batch.date.strftime("%Y-%m-%d") if hasattr(batch.date, "strftime") else str(batch.date)
    return Location(column=column, instrument=code, date=date)


def checked_tensor(
    batch: DayBatch, value: torch.Tensor | None, name: str, ndim: int, last_dim: int | None = None
) -> torch.Tensor:
    """``value`` validated: present, ``ndim`` dims, N rows, last dim ``last_dim``, all finite.

    Raises DataContractError naming the day, the input and the first bad instrument.
    """
    if value is None:
        raise DataContractError(f"model input {name!r} is missing", day_location(batch, name))
    if value.dim() != ndim or value.shape[0] != batch.n:
        raise DataContractError(
            f"{name} has shape {tuple(value.shape)}, expected {ndim} dims with {batch.n} rows",
            day_location(batch, name),
        )
    if last_dim is not None and value.shape[-1] != last_dim:
        raise DataContractError(
            f"{name} has {value.shape[-1]} features, model expects {last_dim}", day_location(batch, name)
        )
    finite = torch.isfinite(value).reshape(value.shape[0], -1).all(dim=1)
    if not bool(finite.all()):
        row = int((~finite).nonzero()[0, 0])
        raise DataContractError(f"{name} has non-finite values", day_location(batch, name, row))
    return value


def checked_graph(batch: DayBatch, name: str) -> torch.Tensor:
    """``batch.graphs[name]`` validated: bool (N, N) mask or long (2, E) in-range edge_index."""
    graph = batch.graphs.get(name)
    if graph is None:
        raise DataContractError(f"graph {name!r} is missing from the batch", day_location(batch, name))
    if graph.dtype == torch.bool:
        if tuple(graph.shape) != (batch.n, batch.n):
            raise DataContractError(
                f"graph mask {name!r} has shape {tuple(graph.shape)}, expected ({batch.n}, {batch.n})",
                day_location(batch, name),
            )
    elif graph.dim() != 2 or graph.shape[0] != 2 or graph.dtype not in (torch.int64, torch.int32):
        raise DataContractError(
            f"graph {name!r} is neither a bool mask nor a (2, E) edge_index", day_location(batch, name)
        )
    elif graph.numel() and (int(graph.min()) < 0 or int(graph.max()) >= batch.n):
        raise DataContractError(
            f"edge_index {name!r} points outside the day's {batch.n} stocks", day_location(batch, name)
        )
    return graph if graph.dtype != torch.int32 else graph.long()


class GATEncoder(nn.Module):
    r"""Residual multi-head graph attention: ``h' = W_in x + ELU(concat_k GAT_k(W_in x))``.

    Args:
        in_dim: F, input feature size.
        hidden: H, output size (default 64); must be divisible by ``heads``.
        heads: K attention heads of size H/K (default 4).
        dropout: dropout on the attention output (default 0.0).

    Shapes:
        x (N, F), graph: bool (N, N) mask or LongTensor (2, E) -> (N, H).
    """

    def __init__(self, in_dim: int, hidden: int = 64, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden={hidden} must be divisible by heads={heads}")
        self.in_dim, self.hidden, self.heads = in_dim, hidden, heads
        self.input = nn.Linear(in_dim, hidden)
        self.attention = nn.ModuleList(GraphAttention(hidden, hidden // heads) for _ in range(heads))
        self.dropout = nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.input.reset_parameters()
        for head in self.attention:
            head.reset_parameters()

    def forward(self, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
        h = self.input(x)
        agg = torch.cat([head(h, graph) for head in self.attention], dim=-1)
        return h + self.dropout(F.elu(agg))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_dim}, {self.hidden}, heads={self.heads})"


@dataclass(frozen=True)
class IndcapGATConfig:
    """Args:
    n_industry_features: F_ind, node features of the industry graph (table 5: 16 shared with
        the paper's windows + PEind, qroe, deltapb = 19).
    n_flow_features: F_flow, node features of the capital-flow graph (16 shared + aavg, illiq,
        stda = 19).
    hidden: H, embedding size (64).
    heads: attention heads per GAT (4).
    dropout: dropout on attention outputs (0.1).
    industry_graph / flow_graph: names in ``batch.graphs`` (``GraphKind`` values
        ``r3_industry`` / ``r3_flow``).
    industry_key / flow_key: names of the node-feature matrices in ``batch.extras``.
    """

    n_industry_features: int = 19
    n_flow_features: int = 19
    hidden: int = 64
    heads: int = 4
    dropout: float = 0.1
    industry_graph: str = "r3_industry"
    flow_graph: str = "r3_flow"
    industry_key: str = "r3_node_industry"
    flow_key: str = "r3_node_flow"


class IndcapEncoder(nn.Module):
    """The two graph encoders and their fusion: ``forward(batch) -> (N, H)``."""

    def __init__(self, config: IndcapGATConfig = IndcapGATConfig()):
        super().__init__()
        self.config = config
        c = config
        self.industry = GATEncoder(c.n_industry_features, c.hidden, c.heads, c.dropout)
        self.flow = GATEncoder(c.n_flow_features, c.hidden, c.heads, c.dropout)
        self.fusion = nn.Linear(2 * c.hidden, c.hidden)
        self.reset_parameters()

    @property
    def embed_dim(self) -> int:
        return self.config.hidden

    def reset_parameters(self) -> None:
        self.industry.reset_parameters()
        self.flow.reset_parameters()
        self.fusion.reset_parameters()

    def forward(self, batch: DayBatch) -> torch.Tensor:
        c = self.config
        x_ind = checked_tensor(batch, batch.extras.get(c.industry_key), c.industry_key, 2, c.n_industry_features)
        x_flow = checked_tensor(batch, batch.extras.get(c.flow_key), c.flow_key, 2, c.n_flow_features)
        h_ind = self.industry(x_ind, checked_graph(batch, c.industry_graph))
        h_flow = self.flow(x_flow, checked_graph(batch, c.flow_graph))
        return F.elu(self.fusion(torch.cat([h_ind, h_flow], dim=-1)))

    def extra_repr(self) -> str:
        c = self.config
        return f"graphs=({c.industry_graph!r}, {c.flow_graph!r}), hidden={c.hidden}"


class IndcapGAT(LinearHeadScorer):
    """indcap-GAT scorer (``indcap_gat``): :class:`IndcapEncoder` + linear head,
    ``forward -> (N,)``; ``embed(batch) -> (N, H)``."""

    def __init__(self, config: IndcapGATConfig = IndcapGATConfig()):
        super().__init__(IndcapEncoder(config), config.hidden)
        self.config = config
