"""The one table of model specs: model key -> how to build, feed and train it (no YAML, no class paths).

:data:`MODEL_SPECS` is a read-only ``Mapping[str, ModelSpec]`` built once by
:func:`model_specs`; nothing is registered at import and nothing can be added later. A caller
that needs another table (an experiment, a test with a throwaway key) builds its own mapping,
e.g. ``{**MODEL_SPECS, "nn_x": dataclasses.replace(MODEL_SPECS["nn"], key="nn_x")}``, and
passes it where a ``specs`` argument is taken (:func:`get_spec`,
:func:`alpha_core.training.run.run_fold`, :func:`alpha_core.training.checkpoint.load_checkpoint`,
``alpha_dagster.definitions.build_definitions``). Adding a model key takes its module under
:mod:`alpha_core.models` plus one entry in :func:`model_specs`.

A :class:`ModelSpec` names the builder (torch models) or the XGBoost family, the report it
belongs to, the feature set, the label, the loss, the walk-forward lengths and what the model
reads besides ``x`` (:class:`ModelInputs`: the :class:`InputRecipe`, sequence length, node
features, ``adjacency`` graphs, macro lags and the R2 / R3 schedule).

Families (:class:`ModelFamily`), all trained by
:func:`alpha_core.training.walkforward.train_fold` and saved by
:mod:`alpha_core.training.checkpoint`:

- ``TORCH``: one torch model fitted by the one trainer (:func:`alpha_core.training.trainer.train`).
- ``XGBOOST``: :class:`~alpha_core.training.boosting.XGBScorer` on the batches' ``x``.
- ``TWO_STAGE``: stage 1 is a torch factor model (``model.factors(batch) -> (N, K)``) fitted by
  the same trainer; stage 2 is an :class:`XGBScorer` on ``[factors || batch.extras[k] ...]``
  for the keys in ``ModelSpec.stage2_extras``
  (:func:`alpha_core.training.secondary.secondary_weighting_batches`), early-stopped on the
  fold's validation days. R2's ``biagru_xgb`` ("secondary weighting").

Builders read :class:`ModelOptions`: ``n_features`` is the width of ``x`` (R1) or the per-step
width of ``batch.seq`` (R2: the 7 daily price/volume fields of
:mod:`alpha_core.factors.sequences`; R3: the 14 features of
:data:`~alpha_core.models.multi_transformer.R3_SEQ_FEATURES`) and ``hidden`` the model width.

``biagru_xgb`` (R2 "secondary weighting", family ``TWO_STAGE``): stage 1 is the orthogonal
BiAGRU (:func:`build_biagru_orthogonal`, trained like ``biagru``: same sequences, label, loss
and weekly schedule); stage 2 is XGBoost on its 32 orthogonal factors followed by the
:data:`R2_FUNDAMENTAL_FACTORS` of ``factor_table`` (attached as ``extras["r2_fundamental"]``,
preprocessed per date like the R3 node features).
"""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from torch import nn

from alpha_core.folds import R1, R1_XGB, FoldConfig
from alpha_core.graph.edges import GraphKind
from alpha_core.models.biagru import BiAGRU, BiAGRUConfig
from alpha_core.models.biagru_gat import BiAGRUGAT, BiAGRUGATConfig
from alpha_core.models.gat_residual import GATResidual, GATResidualConfig, ResidualHeads
from alpha_core.models.indcap_gat import IndcapGAT, IndcapGATConfig
from alpha_core.models.mlp import MLP, MLPConfig
from alpha_core.models.mticg import MTICG, MTICGConfig
from alpha_core.models.multi_transformer import MultiTransformer, MultiTransformerConfig
from alpha_core.models.pinn import MacroStateConfig
from alpha_core.research import Report
from alpha_core.training.losses import LossKind
from alpha_core.training.schedules import R2_WEEKLY, R3_MONTHLY, Schedule


class ModelKey(enum.StrEnum):
    """The model keys of the three reports (the built-in ``model`` partition keys).

    A spec table may hold other keys (any str); these are the ones :data:`MODEL_SPECS` holds.
    """

    GAT_RESIDUAL = "gat_residual"
    GAT_MASK = "gat_mask"
    GAT_GLOBAL = "gat_global"
    NN = "nn"
    NN_NEUTRAL = "nn_neutral"
    XGBOOST = "xgboost"
    BIAGRU = "biagru"
    BIAGRU_GAT = "biagru_gat"
    BIAGRU_XGB = "biagru_xgb"
    MULTI_TRANSFORMER = "multi_transformer"
    INDCAP_GAT = "indcap_gat"
    MTICG = "mticg"
    PINN_MTICG = "pinn_mticg"


class ModelFamily(enum.StrEnum):
    TORCH = "torch"  # trained by alpha_core.training.trainer.train
    XGBOOST = "xgboost"  # alpha_core.training.boosting.XGBScorer
    TWO_STAGE = "two_stage"  # torch factor model (trainer.train), then XGBScorer on its factors + extras


class FeatureSet(enum.StrEnum):
    """Which factor columns a model reads (the factor engine owns the names)."""

    R1 = "r1"  # the 42 factors of R1 table 15
    R1_NEUTRAL = "r1_neutral"  # the same, industry-neutralised (nn_neutral)
    R1_XGB = "r1_xgb"  # R1 table 32 (XGBoost), industry + size neutralised
    ALPHA158 = "alpha158"  # Qlib's Alpha158 price-volume set (no neutralisation)
    R1_ALPHA158 = "r1_alpha158"  # the R1 42 and Alpha158 side by side
    XGB_ALPHA158 = "xgb_alpha158"  # R1 table 32 and Alpha158, industry + size neutralised
    R2 = "r2"
    R3 = "r3"


class InputRecipe(enum.StrEnum):
    """How :func:`alpha_core.training.inputs.prepare_fold_inputs` builds a model's batches.

    - ``R1_FACTORS``: ``x`` = the spec's feature set of ``factor_table`` (preprocessed), block
      graphs (sector / industry group ids as of each date) from ``industry_map``.
    - ``R2_SEQUENCES``: ``seq`` (N, L, 7) of the raw bars' price / volume fields, days T-L+1 .. T;
      ``x`` = the sequence's last step.
    - ``R3_SEQUENCES``: ``seq`` (N, L, 14) of the R3 sequence features of ``factor_table``, each
      preprocessed per date; ``x`` = the same 14 values on day T.
    - ``R3_NODES``: ``x`` = the 14 R3 features on day T and no sequence (the node-feature GATs
      read ``extras``).

    Every recipe adds the spec's node features (``extras``), ``adjacency`` graphs and macro
    window (:class:`ModelInputs`).
    """

    R1_FACTORS = "r1_factors"
    R2_SEQUENCES = "r2_sequences"
    R3_SEQUENCES = "r3_sequences"
    R3_NODES = "r3_nodes"


@dataclass(frozen=True)
class ModelOptions:
    """Everything a builder may need; stored in the checkpoint's config json.

    Args: n_features (F); hidden (64; 32, 16); graph (the R1 GATs' block graph,
    :class:`~alpha_core.graph.edges.GraphKind` SECTOR or INDUSTRY); chunk_rows (global
    attention row chunk, None = whole day); residual_heads (R1 GATs:
    :class:`~alpha_core.models.gat_residual.ResidualHeads`, SHARED = the SPEC network).
    """

    n_features: int
    hidden: int = 64
    graph: GraphKind = GraphKind.SECTOR
    chunk_rows: int | None = None
    residual_heads: ResidualHeads = ResidualHeads.SHARED

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", GraphKind(self.graph))
        object.__setattr__(self, "residual_heads", ResidualHeads(self.residual_heads))


Builder = Callable[[ModelOptions], nn.Module]


@dataclass(frozen=True)
class ModelInputs:
    """What a model reads, besides the label.

    Args:
        recipe: :class:`InputRecipe` (how ``x`` and ``seq`` are built).
        seq_length: L of ``batch.seq`` (0: none).
        schedule: the R2 / R3 :class:`~alpha_core.training.schedules.Schedule` (train / valid
            days sampled every ``schedule.sample_every`` days); None for R1.
        extras: ``batch.extras`` key -> node feature columns of ``factor_table`` (in order).
        graphs: the ``adjacency`` graphs attached as ``edge_index`` (2, E) + weights. The R1 GATs'
            block graph comes from ``industry_map`` (``ModelOptions.graph``), not from here.
        macro_lags: K of ``batch.macro`` (K + 1 rows; 0: none).
    """

    recipe: InputRecipe = InputRecipe.R1_FACTORS
    seq_length: int = 0
    schedule: Schedule | None = None
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    graphs: tuple[GraphKind, ...] = ()
    macro_lags: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "extras", types.MappingProxyType({k: tuple(v) for k, v in self.extras.items()}))
        object.__setattr__(self, "graphs", tuple(GraphKind(g) for g in self.graphs))
        sequences = self.recipe in (InputRecipe.R2_SEQUENCES, InputRecipe.R3_SEQUENCES)
        if sequences != (self.seq_length > 0):
            raise ValueError(
                f"recipe {self.recipe} with seq_length {self.seq_length}: the sequence recipes "
                "need a positive length, the others none"
            )
        if (self.recipe is InputRecipe.R1_FACTORS) != (self.schedule is None):
            raise ValueError(f"recipe {self.recipe}: R1_FACTORS takes no schedule, the R2 / R3 recipes one")

    @property
    def needs_adjacency(self) -> bool:
        return bool(self.graphs)

    @property
    def needs_macro(self) -> bool:
        return self.macro_lags > 0


@dataclass(frozen=True)
class ModelSpec:
    """How to build, feed and train one model key.

    ``key``: the model partition key (a :class:`ModelKey` for the built-in specs).
    ``report``: the report the model comes from. ``strategy``: the Dagster definitions build a
    strategy (this model x its report's portfolio preset) for it.
    ``universe``: the bool column of the ``universe`` table (:mod:`alpha_core.universe`).
    ``stage2_extras`` (``TWO_STAGE`` only): the ``batch.extras`` keys whose (N, F_k) columns are
    appended to the stage-1 factors in the stage-2 XGBoost features, in this order.
    """

    key: str
    family: ModelFamily
    report: Report
    feature_set: FeatureSet
    label: str
    loss: LossKind = LossKind.WMSE
    folds: FoldConfig = R1
    build: Builder | None = None
    inputs: ModelInputs = ModelInputs()
    universe: str = "r1"
    stage2_extras: tuple[str, ...] = ()
    strategy: bool = False

    def __post_init__(self) -> None:
        if (self.family is ModelFamily.XGBOOST) != (self.build is None):
            raise ValueError(f"{self.key}: torch and two-stage specs need a builder, XGBOOST ones none")
        if self.stage2_extras and self.family is not ModelFamily.TWO_STAGE:
            raise ValueError(f"{self.key}: stage2_extras only apply to TWO_STAGE specs")
        missing = [k for k in self.stage2_extras if k not in self.inputs.extras]
        if missing:
            raise ValueError(f"{self.key}: stage2_extras {missing} are not among the inputs' extras")

    def build_model(self, options: ModelOptions) -> nn.Module:
        if self.build is None:
            raise TypeError(f"{self.key} is not a torch model")
        return self.build(options)


LABEL_R1 = "y_vwap10_rank"
"""R1 label column: rank-standardised return from T+1 vwap to T+11 vwap (labels engineer)."""
LABEL_R1_XGB = "y_close10_rank"
"""R1 XGBoost label: the same on close prices."""
LABEL_R2 = "y_vwap5_rank"
"""R2 label: rank-standardised 5-day return, T+1 vwap -> T+6 vwap (:mod:`alpha_core.labels`)."""
LABEL_R3 = "y_month_rank"
"""R3 label: rank-standardised next-month return, T+1 vwap -> T+22 vwap."""

R3_SHARED_NODE = (
    "ret_20",
    "ret_60",
    "mom_120_20",
    "retstd_20",
    "retstd_60",
    "turnstd_10",
    "turnstd_20",
    "turn_10",
    "turn_20",
    "turn_60",
    "posistd_20",
    "posistd_60",
    "negstd_20",
    "negstd_60",
    "pct_vol_cor_20",
    "pct_vol_cor_60",
)
"""R3 table 5 node features shared by both graphs (:mod:`alpha_core.factors.r3_nodes`)."""
R3_INDUSTRY_NODE = (*R3_SHARED_NODE, "pe_ind", "qroe", "deltapb")
R3_FLOW_NODE = (*R3_SHARED_NODE, "aavg", "illiq", "stda")
R3_NODE_INDUSTRY = "r3_node_industry"
"""``batch.extras`` key of :data:`R3_INDUSTRY_NODE` (the industry graph's node features)."""
R3_NODE_FLOW = "r3_node_flow"
"""``batch.extras`` key of :data:`R3_FLOW_NODE` (the capital-flow graph's node features)."""
R2_FUNDAMENTAL = "r2_fundamental"
"""``batch.extras`` key of :data:`R2_FUNDAMENTAL_FACTORS` (read by stage 2 of ``biagru_xgb``)."""
R2_FUNDAMENTAL_FACTORS = (
    "bp_lf",
    "ep_ttm",
    "ocfp_ttm",
    "dyr12",
    "roe_ttm",
    "roa_ttm",
    "roic_ttm",
    "gp_ttm",
    "np_ttm",
    "sales_g_q",
    "profit_g_q",
    "ocf_g_q",
    "roe_g_q",
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


# --------------------------------------------------------------------------------------
# Builders (ModelOptions -> nn.Module)
# --------------------------------------------------------------------------------------


def _gat(use_mask: bool, use_global: bool) -> Builder:
    def build(o: ModelOptions) -> nn.Module:
        return GATResidual(
            GATResidualConfig(
                o.n_features, o.hidden, str(o.graph), use_mask, use_global, o.chunk_rows, heads=o.residual_heads
            )
        )

    return build


def build_mlp(o: ModelOptions) -> nn.Module:
    return MLP(MLPConfig(o.n_features, o.hidden))


def _indcap_config(o: ModelOptions) -> IndcapGATConfig:
    return IndcapGATConfig(
        len(R3_INDUSTRY_NODE),
        len(R3_FLOW_NODE),
        hidden=o.hidden,
        industry_graph=str(GraphKind.R3_INDUSTRY),
        flow_graph=str(GraphKind.R3_FLOW),
    )


def build_biagru(o: ModelOptions) -> nn.Module:
    return BiAGRU(BiAGRUConfig(o.n_features, hidden=o.hidden))


def build_biagru_orthogonal(o: ModelOptions) -> nn.Module:
    """The 32-orthogonal-factor BiAGRU: stage 1 of ``biagru_xgb`` (its factors feed stage 2)."""
    return BiAGRU(BiAGRUConfig(o.n_features, hidden=o.hidden, orthogonal=True))


def build_biagru_gat(o: ModelOptions) -> nn.Module:
    return BiAGRUGAT(
        BiAGRUGATConfig(
            BiAGRUConfig(o.n_features, hidden=o.hidden), graph=str(GraphKind.R2_SIMILARITY), hidden=o.hidden
        )
    )


def build_multi_transformer(o: ModelOptions) -> nn.Module:
    return MultiTransformer(MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden))


def build_indcap_gat(o: ModelOptions) -> nn.Module:
    return IndcapGAT(_indcap_config(o))


def build_mticg(o: ModelOptions) -> nn.Module:
    return MTICG(
        MTICGConfig(
            MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden),
            _indcap_config(o),
            None,
            fusion_hidden=o.hidden,
        )
    )


def build_pinn_mticg(o: ModelOptions) -> nn.Module:
    return MTICG(
        MTICGConfig(
            MultiTransformerConfig(n_features=o.n_features, d_model=o.hidden),
            _indcap_config(o),
            MacroStateConfig(),
            fusion_hidden=o.hidden,
        )
    )


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------


def model_specs() -> Mapping[str, ModelSpec]:
    """The specs of the three reports' 13 model keys, read-only, in report order.

    R1: the GATs (R1 table 19 ablations), nn, nn_neutral and XGBoost; every R1 model trades.
    XGBoost reads the R1 42 WITHOUT SPEC's industry + size neutralisation (table 32
    neutralised stays available as feature set ``r1_xgb``): on the real data's validation
    folds (tests 2018, before the leaderboard's 2019-2022) the neutralised set scored test
    RankIC .035 / .042, the plain R1 set .070 / .069 (benchmarks/RESULTS.md, "Training
    defaults (issue 14)").

    R2 / R3: R2 does not state its loss; its label is rank-standardised, so plain MSE is used
    (also for stage 1 of ``biagru_xgb``, whose stage 2 is XGBoost's squared error). R3 uses
    1 - IC (SPEC). Their lengths are their schedules' FoldConfigs; note that with
    ``Retrain.YEARLY`` the fold list must come from
    :func:`alpha_core.training.schedules.schedule_folds`. The headline models biagru_gat (R2)
    and pinn_mticg (R3) trade.
    """
    torch_, r1, r2, r3 = ModelFamily.TORCH, Report.R1, Report.R2, Report.R3
    r2_seq = ModelInputs(InputRecipe.R2_SEQUENCES, 40, R2_WEEKLY)
    r3_extras = {R3_NODE_INDUSTRY: R3_INDUSTRY_NODE, R3_NODE_FLOW: R3_FLOW_NODE}
    r3_graphs = (GraphKind.R3_INDUSTRY, GraphKind.R3_FLOW)
    mticg = ModelInputs(InputRecipe.R3_SEQUENCES, 80, R3_MONTHLY, r3_extras, r3_graphs)
    r2_loss, r2_folds = LossKind.MSE, R2_WEEKLY.folds
    r3_loss, r3_folds = LossKind.IC, R3_MONTHLY.folds
    specs = [
        ModelSpec(ModelKey.GAT_RESIDUAL, torch_, r1, FeatureSet.R1, LABEL_R1, build=_gat(True, True), strategy=True),
        ModelSpec(ModelKey.GAT_MASK, torch_, r1, FeatureSet.R1, LABEL_R1, build=_gat(True, False), strategy=True),
        ModelSpec(ModelKey.GAT_GLOBAL, torch_, r1, FeatureSet.R1, LABEL_R1, build=_gat(False, True), strategy=True),
        ModelSpec(ModelKey.NN, torch_, r1, FeatureSet.R1, LABEL_R1, build=build_mlp, strategy=True),
        ModelSpec(ModelKey.NN_NEUTRAL, torch_, r1, FeatureSet.R1_NEUTRAL, LABEL_R1, build=build_mlp, strategy=True),
        ModelSpec(
            ModelKey.XGBOOST,
            ModelFamily.XGBOOST,
            r1,
            FeatureSet.R1,
            LABEL_R1_XGB,
            folds=R1_XGB,
            universe="r1_xgb",
            strategy=True,
        ),
        ModelSpec(ModelKey.BIAGRU, torch_, r2, FeatureSet.R2, LABEL_R2, r2_loss, r2_folds, build_biagru, r2_seq),
        ModelSpec(
            ModelKey.BIAGRU_GAT,
            torch_,
            r2,
            FeatureSet.R2,
            LABEL_R2,
            r2_loss,
            r2_folds,
            build_biagru_gat,
            dataclasses.replace(r2_seq, graphs=(GraphKind.R2_SIMILARITY,)),
            strategy=True,
        ),
        ModelSpec(
            ModelKey.BIAGRU_XGB,
            ModelFamily.TWO_STAGE,
            r2,
            FeatureSet.R2,
            LABEL_R2,
            r2_loss,
            r2_folds,
            build_biagru_orthogonal,
            dataclasses.replace(r2_seq, extras={R2_FUNDAMENTAL: R2_FUNDAMENTAL_FACTORS}),
            stage2_extras=(R2_FUNDAMENTAL,),
        ),
        ModelSpec(
            ModelKey.MULTI_TRANSFORMER,
            torch_,
            r3,
            FeatureSet.R3,
            LABEL_R3,
            r3_loss,
            r3_folds,
            build_multi_transformer,
            ModelInputs(InputRecipe.R3_SEQUENCES, 80, R3_MONTHLY),
        ),
        ModelSpec(
            ModelKey.INDCAP_GAT,
            torch_,
            r3,
            FeatureSet.R3,
            LABEL_R3,
            r3_loss,
            r3_folds,
            build_indcap_gat,
            ModelInputs(InputRecipe.R3_NODES, 0, R3_MONTHLY, r3_extras, r3_graphs),
        ),
        ModelSpec(ModelKey.MTICG, torch_, r3, FeatureSet.R3, LABEL_R3, r3_loss, r3_folds, build_mticg, mticg),
        ModelSpec(
            ModelKey.PINN_MTICG,
            torch_,
            r3,
            FeatureSet.R3,
            LABEL_R3,
            r3_loss,
            r3_folds,
            build_pinn_mticg,
            dataclasses.replace(mticg, macro_lags=1),
            strategy=True,
        ),
    ]
    return types.MappingProxyType({str(s.key): s for s in specs})


MODEL_SPECS: Mapping[str, ModelSpec] = model_specs()
"""The built-in spec table (read-only; see the module docstring for using another one)."""


def get_spec(key: str, specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> ModelSpec:
    """The spec of ``key`` in ``specs``; KeyError naming the table's keys when absent."""
    spec = specs.get(str(key))
    if spec is None:
        raise KeyError(f"model {key!r} is not in the spec table (keys: {sorted(specs)})")
    return spec


def models_of(report: Report, specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> list[str]:
    """The keys of ``specs`` that come from ``report``, in table order."""
    return [k for k, s in specs.items() if s.report is Report(report)]
