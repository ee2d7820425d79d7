"""Registry entries of the R2 / R3 models and how their extra inputs reach a :class:`DayBatch`.

``r2r3_specs()`` returns the :class:`~alpha_core.models.registry.ModelSpec` of the seven R2 / R3
keys; ``register_r2r3()`` adds them to the registry through its public ``register`` and runs
when this module is imported (so ``import alpha_core.models.r2r3_specs`` registers them).

Builders read :class:`~alpha_core.models.registry.ModelOptions`:
``n_features`` is the per-step width of ``batch.seq`` (R2: 7 daily price/volume fields of
:mod:`alpha_core.factors.sequences`; R3: the 14 features of
:data:`~alpha_core.models.multi_transformer.R3_SEQ_FEATURES`) and ``hidden`` the model width.
``x`` (the flat factor matrix) is not read by these models.

``biagru_xgb`` (R2 "secondary weighting", family ``TWO_STAGE``): stage 1 is the orthogonal
BiAGRU (:func:`build_biagru_orthogonal`, trained like ``biagru``: same sequences, label, loss
and weekly schedule); stage 2 is XGBoost on its 32 orthogonal factors followed by the
:data:`R2_FUNDAMENTAL_FACTORS` of ``factor_table`` (attached as ``extras["r2_fundamental"]``,
preprocessed per date like the R3 node features).

What each model needs in the batch (:data:`MODEL_INPUTS`, :class:`ModelInputs`) and the helpers
that attach it to the batches built by :func:`alpha_core.training.dataset.build_day_batches`:

- :func:`attach_sequences`: ``seq`` (N, L, S) from a wide :class:`~alpha_core.data.panel.Panel`
  of daily features, the L trading days ending at T (causal).
- :func:`attach_node_features`: ``extras[key]`` (N, F) from a long (date, code) table at T.
- :func:`attach_macro`: ``macro`` (K + 1, 3) from the ``macro_series`` table (as of T).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location
from alpha_core.models.biagru import BiAGRU, BiAGRUConfig
from alpha_core.models.biagru_gat import BiAGRUGAT, BiAGRUGATConfig
from alpha_core.models.indcap_gat import IndcapGAT, IndcapGATConfig
from alpha_core.models.losses import LossKind
from alpha_core.models.mticg import MTICG, MTICGConfig
from alpha_core.models.multi_transformer import MultiTransformer, MultiTransformerConfig
from alpha_core.models.pinn import MacroStateConfig, macro_window
from alpha_core.models.registry import (
    FeatureSet,
    ModelFamily,
    ModelKey,
    ModelOptions,
    ModelSpec,
    register,
)
from alpha_core.training.batch import DayBatch
from alpha_core.training.schedules import R2_WEEKLY, R3_MONTHLY, Schedule

LABEL_R2 = "y_vwap5_rank"
"""R2 label: rank-standardised 5-day return, T+1 vwap -> T+6 vwap (:mod:`alpha_core.labels`)."""
LABEL_R3 = "y_month_rank"
"""R3 label: rank-standardised next-month return, T+1 vwap -> T+22 vwap."""

R2_GRAPH = "r2_similarity"
R3_INDUSTRY_GRAPH = "r3_industry"
R3_FLOW_GRAPH = "r3_flow"

R3_SHARED_NODE = (
    "ret_20", "ret_60", "mom_120_20", "retstd_20", "retstd_60", "turnstd_10", "turnstd_20",
    "turn_10", "turn_20", "turn_60", "posistd_20", "posistd_60", "negstd_20", "negstd_60",
    "pct_vol_cor_20", "pct_vol_cor_60",
)
"""R3 table 5 node features shared by both graphs (:mod:`alpha_core.factors.r3_nodes`)."""
R2_FUNDAMENTAL = "r2_fundamental"
"""``batch.extras`` key of :data:`R2_FUNDAMENTAL_FACTORS` (read by stage 2 of ``biagru_xgb``)."""
R2_FUNDAMENTAL_FACTORS = (
    "bp_lf", "ep_ttm", "ocfp_ttm", "dyr12",
    "roe_ttm", "roa_ttm", "roic_ttm", "gp_ttm", "np_ttm",
    "sales_g_q", "profit_g_q", "ocf_g_q", "roe_g_q",
)
"""The fundamental factors of R2's secondary weighting (``biagru_xgb`` stage 2).

R2 (seeds/001, table 2 and figure 3) weighs the 32 deep factors with "existing fundamental
factors" and reads the result against BP, EP, profitability, growth and SUE. The factor
engine's point-in-time fundamental families that match: value (``bp_lf``, ``ep_ttm``,
``ocfp_ttm``, ``dyr12``), profitability (``roe_ttm``, ``roa_ttm``, ``roic_ttm``, ``gp_ttm``,
``np_ttm``) and growth (``sales_g_q``, ``profit_g_q``, ``ocf_g_q``, ``roe_g_q``; the engine has
no SUE, quarterly profit growth is the closest). All 13 are in R1's table 32 list
(``XGB_FACTORS``), so ``factor_table`` carries them whenever the source has fundamentals;
consensus (``con_*``) and the variability / quality columns are left out (not named by R2).
"""
R3_INDUSTRY_NODE = (*R3_SHARED_NODE, "pe_ind", "qroe", "deltapb")
R3_FLOW_NODE = (*R3_SHARED_NODE, "aavg", "illiq", "stda")


@dataclass(frozen=True)
class ModelInputs:
    """What a model reads besides ``x``.

    Args:
        seq_length: L of ``batch.seq`` (0: none).
        extras: ``batch.extras`` key -> node feature columns (in order).
        graphs: graph names in ``batch.graphs``.
        macro_lags: K of ``batch.macro`` (K + 1 rows; 0: none).
        schedule: the R2 / R3 :class:`~alpha_core.training.schedules.Schedule`.
    """

    seq_length: int
    schedule: Schedule
    extras: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    graphs: tuple[str, ...] = ()
    macro_lags: int = 0


_R3_EXTRAS = {"r3_node_industry": R3_INDUSTRY_NODE, "r3_node_flow": R3_FLOW_NODE}

MODEL_INPUTS: dict[ModelKey, ModelInputs] = {
    ModelKey.BIAGRU: ModelInputs(40, R2_WEEKLY),
    ModelKey.BIAGRU_GAT: ModelInputs(40, R2_WEEKLY, graphs=(R2_GRAPH,)),
    ModelKey.BIAGRU_XGB: ModelInputs(40, R2_WEEKLY, {R2_FUNDAMENTAL: R2_FUNDAMENTAL_FACTORS}),
    ModelKey.MULTI_TRANSFORMER: ModelInputs(80, R3_MONTHLY),
    ModelKey.INDCAP_GAT: ModelInputs(0, R3_MONTHLY, _R3_EXTRAS, (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH)),
    ModelKey.MTICG: ModelInputs(80, R3_MONTHLY, _R3_EXTRAS, (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH)),
    ModelKey.PINN_MTICG: ModelInputs(80, R3_MONTHLY, _R3_EXTRAS, (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH),
                                     macro_lags=1),
}


def _indcap_config(o: ModelOptions) -> IndcapGATConfig:
    return IndcapGATConfig(len(R3_INDUSTRY_NODE), len(R3_FLOW_NODE), hidden=o.hidden,
                           industry_graph=R3_INDUSTRY_GRAPH, flow_graph=R3_FLOW_GRAPH)


def build_biagru(o: ModelOptions) -> nn.Module:
    return BiAGRU(BiAGRUConfig(o.n_features, hidden=o.hidden))


def build_biagru_orthogonal(o: ModelOptions) -> nn.Module:
    """The 32-orthogonal-factor BiAGRU: stage 1 of ``biagru_xgb`` (its factors feed stage 2)."""
    return BiAGRU(BiAGRUConfig(o.n_features, hidden=o.hidden, orthogonal=True))


def build_biagru_gat(o: ModelOptions) -> nn.Module:
    return BiAGRUGAT(BiAGRUGATConfig(BiAGRUConfig(o.n_features, hidden=o.hidden), graph=R2_GRAPH,
                                     hidden=o.hidden))


def build_multi_transformer(o: ModelOptions) -> nn.Module:
    return MultiTransformer(MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden))


def build_indcap_gat(o: ModelOptions) -> nn.Module:
    return IndcapGAT(_indcap_config(o))


def build_mticg(o: ModelOptions) -> nn.Module:
    return MTICG(MTICGConfig(MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden),
                             _indcap_config(o), None, fusion_hidden=o.hidden))


def build_pinn_mticg(o: ModelOptions) -> nn.Module:
    return MTICG(MTICGConfig(MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden),
                             _indcap_config(o), MacroStateConfig(), fusion_hidden=o.hidden))


def r2r3_specs() -> list[ModelSpec]:
    """The ModelSpecs of biagru, biagru_gat, biagru_xgb, multi_transformer, indcap_gat, mticg, pinn_mticg.

    R2 does not state its loss; its label is rank-standardised, so plain MSE is used (also for
    stage 1 of ``biagru_xgb``, whose stage 2 is XGBoost's squared error). R3 uses 1 - IC (SPEC). Folds are the schedules' FoldConfigs; note that with ``Retrain.YEARLY``
    the fold list must come from :func:`alpha_core.training.schedules.schedule_folds`.
    """
    torch_ = ModelFamily.TORCH
    r2, r3 = R2_WEEKLY.folds, R3_MONTHLY.folds
    return [
        ModelSpec(ModelKey.BIAGRU, torch_, FeatureSet.R2, LABEL_R2, LossKind.MSE, r2, build_biagru),
        ModelSpec(ModelKey.BIAGRU_GAT, torch_, FeatureSet.R2, LABEL_R2, LossKind.MSE, r2, build_biagru_gat,
                  (R2_GRAPH,)),
        ModelSpec(ModelKey.BIAGRU_XGB, ModelFamily.TWO_STAGE, FeatureSet.R2, LABEL_R2, LossKind.MSE, r2,
                  build_biagru_orthogonal, stage2_extras=(R2_FUNDAMENTAL,)),
        ModelSpec(ModelKey.MULTI_TRANSFORMER, torch_, FeatureSet.R3, LABEL_R3, LossKind.IC, r3,
                  build_multi_transformer),
        ModelSpec(ModelKey.INDCAP_GAT, torch_, FeatureSet.R3, LABEL_R3, LossKind.IC, r3, build_indcap_gat,
                  (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH)),
        ModelSpec(ModelKey.MTICG, torch_, FeatureSet.R3, LABEL_R3, LossKind.IC, r3, build_mticg,
                  (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH)),
        ModelSpec(ModelKey.PINN_MTICG, torch_, FeatureSet.R3, LABEL_R3, LossKind.IC, r3, build_pinn_mticg,
                  (R3_INDUSTRY_GRAPH, R3_FLOW_GRAPH)),
    ]


def register_r2r3() -> list[ModelSpec]:
    """Add the R2 / R3 specs to :data:`alpha_core.models.registry.REGISTRY` (idempotent)."""
    return [register(spec) for spec in r2r3_specs()]


# --------------------------------------------------------------------------------------
# Feeding: attach seq / extras / macro to day batches (one vectorised gather per day).
# --------------------------------------------------------------------------------------

def attach_sequences(batches: Sequence[DayBatch], panel: Panel, fields: Sequence[str], length: int,
                     fill: float = 0.0) -> list[DayBatch]:
    """Batches with ``seq`` (N, length, S): ``panel``'s ``fields`` on the ``length`` trading days
    of ``panel.dates`` ending at the batch date (causal: nothing after T is read).

    Steps before the panel starts and missing values are ``fill`` (zero padding, like
    :class:`alpha_core.factors.sequences.SequenceBuilder`). A stock absent from the panel
    raises DataContractError naming it and the date.
    """
    fields = list(fields)
    for f in fields:
        if f not in panel.fields:
            raise DataContractError(f"sequence panel lacks field {f!r}", Location(column=f))
    arrays = [panel.fields[f] for f in fields]  # (T, N_all) each; no (T, N_all, S) copy
    out = []
    for b in batches:
        t = int(panel.dates.searchsorted(pd.Timestamp(b.date), side="right")) - 1
        if t < 0 or panel.dates[t] != pd.Timestamp(b.date):
            raise DataContractError("sequence panel has no row for the batch date",
                                    Location(column="seq", date=str(pd.Timestamp(b.date).date())))
        cols = panel.codes.get_indexer(pd.Index(b.codes))
        if (cols < 0).any():
            raise DataContractError("stock missing from the sequence panel",
                                    Location(column="seq", instrument=b.codes[int(np.argmax(cols < 0))],
                                             date=str(pd.Timestamp(b.date).date())))
        lo = max(0, t - length + 1)  # days t-L+1..t, zero-padded before the panel starts
        window = np.full((b.n, length, len(fields)), fill, dtype=np.float32)
        for k, arr in enumerate(arrays):
            window[:, length - (t + 1 - lo):, k] = arr[lo : t + 1, cols].T
        window = np.nan_to_num(window, nan=fill, posinf=fill, neginf=fill)
        out.append(dataclasses.replace(b, seq=torch.from_numpy(window)))
    return out


def attach_node_features(batches: Sequence[DayBatch], table: pd.DataFrame, columns: Sequence[str], key: str,
                         fill: float = 0.0) -> list[DayBatch]:
    """Batches with ``extras[key]`` (N, F): ``columns`` of the long (date, code) ``table`` on the
    batch date (preprocessed upstream); missing stocks / values become ``fill``."""
    columns = list(columns)
    for c in ["date", "code", *columns]:
        if c not in table.columns:
            raise DataContractError(f"node feature table lacks column {c!r}", Location(column=c))
    by_date = {pd.Timestamp(d): g for d, g in table.groupby("date", sort=False)}
    out = []
    for b in batches:
        g = by_date.get(pd.Timestamp(b.date))
        values = np.full((b.n, len(columns)), fill, dtype=np.float32)
        if g is not None:
            pos = pd.Index(g["code"]).get_indexer(pd.Index(b.codes))
            have = pos >= 0
            values[have] = g[columns].to_numpy(np.float32, na_value=np.nan)[pos[have]]
        values = np.nan_to_num(values, nan=fill, posinf=fill, neginf=fill)
        out.append(dataclasses.replace(b, extras={**b.extras, key: torch.from_numpy(values)}))
    return out


def attach_macro(batches: Sequence[DayBatch], macro_series: pd.DataFrame, step: int = 21,
                 n_lags: int = 1) -> list[DayBatch]:
    """Batches with ``macro`` (n_lags + 1, 3) from :func:`alpha_core.models.pinn.macro_window`."""
    return [dataclasses.replace(b, macro=macro_window(macro_series, b.date, step, n_lags)) for b in batches]


# Self-registration on import, so that ``registry.py`` only needs a bare
# ``import alpha_core.models.r2r3_specs`` at its bottom (a bare import is safe in both import
# orders of this registry <-> specs cycle; ``from ... import name`` would not be).
register_r2r3()
