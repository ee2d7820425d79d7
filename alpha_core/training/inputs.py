"""Per-model input preparation: the long tables of the pipeline -> the :class:`FoldInputs` of a model.

One entry point, :func:`prepare_fold_inputs`, feeds every key of a spec table
(:data:`alpha_core.training.specs.MODEL_SPECS`), by the spec's
:class:`~alpha_core.training.specs.InputRecipe`:

- ``R1_FACTORS``: the preprocessed factor columns of
  :func:`alpha_core.training.features.model_features` (industry-neutralised for nn_neutral /
  xgboost) and the sector / industry block graphs as group labels (as of each date).
- the R2 / R3 recipes: what each model reads besides ``x`` (``ModelSpec.inputs``), attached to
  the day batches by ``FoldInputs.batch_hook`` (train, valid and test batches alike) with the
  helpers of :mod:`alpha_core.training.recipes`:

  * ``R2_SEQUENCES`` ``seq`` (N, 40, 7): :class:`~alpha_core.factors.sequences.SequenceBuilder` over the raw
    bars (prices / last close, volume / window mean volume, turnover), days T-39 .. T.
    ``x`` (the F = 7 columns ``seq_<field>``) is the sequence's last step (day T); days with
    fewer than 40 trading days of bars are left out.
  * ``R3_SEQUENCES`` ``seq`` (N, 80, 14): the 14 :data:`~alpha_core.models.multi_transformer.R3_SEQ_FEATURES`
    of ``factor_table`` on days T-79 .. T, each cross-sectionally preprocessed per date
    (5 MAD winsorisation, z-score, missing -> 0); ``breadth`` is market-wide (one value per
    day) so it is kept raw (a per-date z-score would zero it). Zero padded before the table
    starts. ``x`` = the same 14 values on day T (``R3_NODES``: this ``x`` and no ``seq``).
  * R3 ``extras`` ``r3_node_industry`` (N, 19) / ``r3_node_flow`` (N, 19): table-5 node
    features on day T, preprocessed per date like the R1 factors.
  * R2 ``extras`` ``r2_fundamental`` (N, 13) (``biagru_xgb`` only, read by its XGBoost stage):
    :data:`~alpha_core.training.specs.R2_FUNDAMENTAL_FACTORS` of ``factor_table`` on day T,
    preprocessed per date the same way.
  * ``graphs``: the spec's sparse graphs of the ``adjacency`` asset as ``edge_index`` (2, E) +
    ``<name>_weight`` (E,), each the latest version dated <= T (as of).
  * ``macro`` (K + 1, 3): :func:`alpha_core.training.recipes.macro_window` on ``macro_series``
    (as of T, K lags of 21 trading days); days whose window is incomplete (HP trend not yet
    defined, gaps) are left out.

Causality: everything attached to day T is computed from rows dated <= T (per-date
preprocessing, windows ending at T, as-of graph and macro lookups); tested by perturbing the
future. The sequences are gathered lazily, one day at a time, when the trainer reads the batch
(``LazyBatches``): a real-data R3 fold holds ~650 days of (4500, 80, 14) float32 windows,
13 GB if materialised at once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from alpha_core.batch import DayBatch
from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location
from alpha_core.factors.inputs import FactorInputs
from alpha_core.factors.preprocess import exposures_from, preprocess
from alpha_core.factors.sequences import SEQUENCE_FIELDS, SequenceBuilder
from alpha_core.folds import Fold, FoldConfig
from alpha_core.models.multi_transformer import R3_SEQ_FEATURES
from alpha_core.models.pinn import MACRO_DRIVERS
from alpha_core.training.features import model_features, needs_exposures
from alpha_core.training.recipes import attach_macro, attach_node_features, attach_sequences
from alpha_core.training.schedules import sample_days
from alpha_core.training.specs import InputRecipe, ModelFamily, ModelInputs, ModelSpec
from alpha_core.training.walkforward import FoldInputs

log = logging.getLogger(__name__)

R2_X_COLUMNS: tuple[str, ...] = tuple(f"seq_{f}" for f in SEQUENCE_FIELDS)
"""``x`` columns of the R2 models: the last step (day T) of the 7 sequence fields."""
R3_MARKET_FEATURES: tuple[str, ...] = ("breadth",)
"""R3 sequence features with one value per day for all stocks: not z-scored across stocks."""
MACRO_STEP = 21
"""Trading days between the rows of ``batch.macro`` (one M2 month, see :mod:`alpha_core.models.pinn`)."""


@dataclass(frozen=True)
class ModelTables:
    """The long tables of the pipeline a model may read (the Dagster assets of the same names).

    ``labels`` are read for the train and valid days only (None: a scoring-only caller, e.g.
    the weekly rebalance). ``adjacency`` (date, graph, src, dst, weight) and ``macro_series``
    (date, dln_m, ln_m_gap, r_gap, ...) are only read by models whose ``ModelSpec.inputs`` name
    graphs / macro lags.
    """

    factor_table: pd.DataFrame
    labels: pd.DataFrame | None
    universe: pd.DataFrame
    raw_bars: pd.DataFrame
    industry_map: pd.DataFrame
    adjacency: pd.DataFrame | None = None
    macro_series: pd.DataFrame | None = None


def model_fold_config(spec: ModelSpec, plan: FoldConfig, *, per_model_lengths: bool) -> FoldConfig | None:
    """The ``model_folds`` argument of :func:`~alpha_core.folds.plan_folds` for ``spec``.

    ``per_model_lengths``: the spec's own lengths (its schedule's for R2 / R3). Otherwise the
    plan's lengths, except that an R2 / R3 model's purge is raised to its label horizon (R3's
    label spans 21 days; a plan purging 10 would leak the next segment's returns); None when
    the plan is used unchanged.
    """
    if per_model_lengths:
        return spec.folds
    if spec.inputs.recipe is InputRecipe.R1_FACTORS or plan.purge_days >= spec.folds.label_horizon:
        return None
    horizon = max(plan.label_horizon, spec.folds.label_horizon)
    return dataclasses.replace(
        plan, purge_days=max(plan.purge_days, spec.folds.purge_days, horizon), label_horizon=horizon
    )


def sampled_fold(spec: ModelSpec, fold: Fold, train_day_step: int = 1) -> Fold:
    """``fold`` with thinned training days.

    R1 torch keys: every ``train_day_step``-th train day (``[::step]``); XGBoost trains on every
    day (its rows are cheap and a thinned window costs it signal). R2 / R3: train and
    valid days every ``schedule.sample_every`` days anchored at the window's last day
    (:func:`~alpha_core.training.schedules.sample_days`); a larger ``train_day_step`` thins
    the train days further (step = max of the two). Test days are never thinned.
    """
    schedule = spec.inputs.schedule
    if schedule is None:
        step = 1 if spec.family is ModelFamily.XGBOOST else train_day_step
        return dataclasses.replace(fold, train=fold.train[::step]) if step > 1 else fold
    every = schedule.sample_every
    return dataclasses.replace(
        fold, train=sample_days(fold.train, max(every, train_day_step)), valid=sample_days(fold.valid, every)
    )


class LazyBatches(Sequence[DayBatch]):
    """A read-only sequence of day batches whose ``attach(batch)`` runs on every access.

    Used for inputs too large to hold for every day at once (sequences); the trainer only
    needs ``len`` and indexing.
    """

    def __init__(self, batches: Sequence[DayBatch], attach: Callable[[DayBatch], DayBatch]):
        self._batches = list(batches)
        self._attach = attach

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return LazyBatches(self._batches[i], self._attach)
        return self._attach(self._batches[int(i)])


def prepare_fold_inputs(spec: ModelSpec, tables: ModelTables, fold: Fold | None = None) -> FoldInputs:
    """The :class:`FoldInputs` of ``spec`` (see the module docstring for what each model gets).

    ``fold``: restrict the per-day work to the fold's train / valid / test days (pass the
    already thinned fold, :func:`sampled_fold`); None = every day of ``factor_table``. R1
    keys ignore it (their features are the whole table, as before).

    Raises DataContractError when a needed table, column or graph is absent.
    """
    m = spec.inputs
    if m.recipe is InputRecipe.R1_FACTORS:
        return _r1_inputs(spec, tables)
    days = _needed_days(tables.factor_table, fold)
    adjacency = _graphs(spec, m, tables.adjacency)
    if m.needs_macro:
        days = days[_macro_available(_require(tables.macro_series, "macro_series"), days, m.macro_lags)]
    if m.recipe is InputRecipe.R2_SEQUENCES:
        features, cols, attach_seq = _r2_sequences(tables.raw_bars, days, m.seq_length)
    else:  # R3_SEQUENCES, R3_NODES (seq_length 0: x only)
        features, cols, attach_seq = _r3_sequences(tables.factor_table, days, m.seq_length)
    node_tables = {key: _node_table(tables.factor_table, columns, days) for key, columns in m.extras.items()}
    macro = tables.macro_series if m.needs_macro else None
    hook = _make_hook(m, node_tables, macro, attach_seq)
    return FoldInputs(
        features,
        tables.labels,
        cols,
        spec.label,
        universe=tables.universe,
        universe_col=spec.universe,
        adjacency=adjacency,
        dense_graphs=(),
        batch_hook=hook,
        extras_columns=dict(m.extras),
    )


# --------------------------------------------------------------------------------------
# R1
# --------------------------------------------------------------------------------------


def _r1_inputs(spec: ModelSpec, tables: ModelTables) -> FoldInputs:
    exposures = None
    if needs_exposures(spec.feature_set):
        exposures = exposures_from(tables.raw_bars, tables.industry_map)
    feats, cols = model_features(tables.factor_table, spec.feature_set, exposures=exposures)
    groups = None
    im = tables.industry_map
    if len(im):
        groups = im.assign(date=pd.to_datetime(im["start_date"]).fillna(pd.Timestamp("1900-01-01")))[
            ["date", "code", "sector", "industry"]
        ]
    return FoldInputs(
        feats, tables.labels, cols, spec.label, universe=tables.universe, universe_col=spec.universe, groups=groups
    )


# --------------------------------------------------------------------------------------
# R2 / R3 pieces
# --------------------------------------------------------------------------------------


def _require(table: pd.DataFrame | None, name: str) -> pd.DataFrame:
    if table is None or not len(table):
        raise DataContractError(f"the {name} table is needed by this model but is absent or empty", Location(file=name))
    return table


def _needed_days(factor_table: pd.DataFrame, fold: Fold | None) -> pd.DatetimeIndex:
    if fold is None:
        return pd.DatetimeIndex(np.sort(factor_table["date"].unique()))
    return pd.DatetimeIndex(fold.train.append([fold.valid, fold.test])).unique().sort_values()


def _graphs(spec: ModelSpec, m: ModelInputs, adjacency: pd.DataFrame | None) -> pd.DataFrame | None:
    if not m.graphs:
        return None
    adj = _require(adjacency, "adjacency")
    for col in ("date", "graph", "src", "dst"):
        if col not in adj.columns:
            raise DataContractError("adjacency table lacks a column", Location(file="adjacency", column=col))
    have = set(adj["graph"].astype(str).unique())
    names = [str(g) for g in m.graphs]
    for g in names:
        if g not in have:
            raise DataContractError(
                f"{spec.key} needs graph {g!r}, absent from adjacency (graphs: {sorted(have)})",
                Location(file="adjacency", column="graph"),
            )
    return adj[adj["graph"].astype(str).isin(names)]


def _macro_available(macro_series: pd.DataFrame, days: pd.DatetimeIndex, n_lags: int) -> np.ndarray:
    """(len(days),) bool: :func:`~alpha_core.training.recipes.macro_window` has all rows and finite drivers for the day.

    Mirrors its as-of rule: row of day T = last row dated <= T, lags ``MACRO_STEP`` rows apart.
    """
    for c in ("date", *MACRO_DRIVERS):
        if c not in macro_series.columns:
            raise DataContractError("macro_series lacks a column", Location(file="macro_series", column=c))
    ms = macro_series.sort_values("date", kind="stable")
    finite = np.isfinite(ms[list(MACRO_DRIVERS)].to_numpy(np.float64, na_value=np.nan)).all(axis=1)
    pos = pd.DatetimeIndex(ms["date"]).searchsorted(days, side="right") - 1
    ok = np.ones(len(days), dtype=bool)
    for k in range(n_lags + 1):
        rows = pos - k * MACRO_STEP
        ok &= rows >= 0
        ok &= finite[np.maximum(rows, 0)]
    dropped = int((~ok).sum())
    if dropped:
        log.warning(
            "macro: %d of %d days lack a complete macro window (%d lags of %d days); left out",
            dropped,
            len(days),
            n_lags,
            MACRO_STEP,
        )
    return ok


def _r2_sequences(bars: pd.DataFrame, days: pd.DatetimeIndex, length: int):
    """R2: (features (date, code, seq_*), columns, attach) from the raw bars."""
    builder = SequenceBuilder(FactorInputs(bars), length)
    pos = builder.ctx.dates.get_indexer(days)
    keep = (pos >= 0) & (pos + 1 >= length)  # a full window of bars before T
    if (~keep).any():
        log.warning(
            "R2 sequences: %d of %d days lack %d trading days of bars; left out", int((~keep).sum()), len(days), length
        )
    frames = []
    for day in days[keep]:  # one vectorised (N, L, 7) gather per day
        codes, seq = builder(day)
        frames.append(pd.DataFrame(seq[:, -1, :], columns=list(R2_X_COLUMNS)).assign(date=day, code=codes))
    if frames:
        features = pd.concat(frames, ignore_index=True)[["date", "code", *R2_X_COLUMNS]]
    else:
        features = pd.DataFrame(columns=["date", "code", *R2_X_COLUMNS])
    features["date"] = pd.to_datetime(features["date"]).astype("datetime64[ns]")

    def attach(b: DayBatch) -> DayBatch:
        _, seq = builder(b.date, list(b.codes))
        return dataclasses.replace(b, seq=torch.from_numpy(seq))

    return features, R2_X_COLUMNS, attach


def _preprocess_r3(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    cs = [c for c in columns if c not in R3_MARKET_FEATURES]
    out = preprocess(table[["date", "code", *columns]], cs)  # per date: MAD winsorise, z-score, NaN -> 0
    market = [c for c in columns if c in R3_MARKET_FEATURES]
    if market:
        out[market] = out[market].fillna(0.0)
    return out


def _r3_sequences(factor_table: pd.DataFrame, days: pd.DatetimeIndex, length: int):
    """R3: (features (date, code, 14 R3 features), columns, attach or None) from factor_table."""
    cols = list(R3_SEQ_FEATURES)
    missing = [c for c in cols if c not in factor_table.columns]
    if missing:
        raise DataContractError(
            f"factor_table lacks R3 sequence features {missing}", Location(file="factor_table", column=missing[0])
        )
    calendar = pd.DatetimeIndex(np.sort(factor_table["date"].unique()))
    keep = calendar.get_indexer(days) >= 0
    days = days[keep]
    if not len(days):
        return pd.DataFrame(columns=["date", "code", *cols]), tuple(cols), None
    lo = max(0, int(calendar.get_indexer([days[0]])[0]) - max(length - 1, 0))
    window = calendar[lo : int(calendar.get_indexer([days[-1]])[0]) + 1]
    rows = factor_table[factor_table["date"].isin(window)]
    pre = _preprocess_r3(rows, cols)
    features = pre[pre["date"].isin(days)].reset_index(drop=True)
    if length <= 0:
        return features, tuple(cols), None
    panel = _panel32(pre, cols)

    def attach(b: DayBatch) -> DayBatch:
        return attach_sequences([b], panel, cols, length)[0]

    return features, tuple(cols), attach


def _panel32(df: pd.DataFrame, columns: Sequence[str]) -> Panel:
    """:class:`Panel` of ``columns`` as float32 (T, N) arrays (half the memory of from_long)."""
    dates = pd.DatetimeIndex(np.sort(df["date"].unique()))
    codes = pd.Index(np.sort(df["code"].unique()))
    ti, ni = dates.get_indexer(df["date"]), codes.get_indexer(df["code"])
    fields = {}
    for c in columns:
        arr = np.full((len(dates), len(codes)), np.nan, dtype=np.float32)
        arr[ti, ni] = df[c].to_numpy(np.float32, na_value=np.nan)
        fields[c] = arr
    return Panel(dates, codes, fields)


def _node_table(factor_table: pd.DataFrame, columns: Iterable[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    columns = list(columns)
    missing = [c for c in columns if c not in factor_table.columns]
    if missing:
        raise DataContractError(
            f"factor_table lacks node features {missing} (the source may lack their input table, e.g. fundamentals)",
            Location(file="factor_table", column=missing[0]),
        )
    rows = factor_table.loc[factor_table["date"].isin(days), ["date", "code", *columns]]
    return preprocess(rows, columns)  # per date, like the R1 factors


def _empty_graph(batches: Sequence[DayBatch], graphs: Sequence[str]) -> list[DayBatch]:
    """Batches dated before a graph's first version get an empty edge list (self-loops only)."""
    out, empty, names = [], 0, set()
    for b in batches:
        lack = [g for g in graphs if g not in b.graphs]
        if lack:
            empty += 1
            names.update(lack)
            add = {}
            for g in lack:
                add[g] = torch.zeros((2, 0), dtype=torch.int64)
                add[f"{g}_weight"] = torch.zeros(0, dtype=torch.float32)
            b = dataclasses.replace(b, graphs={**b.graphs, **add})
        out.append(b)
    if empty:
        log.warning(
            "%d day batches predate the first version of graph(s) %s: empty edge list used", empty, sorted(names)
        )
    return out


def _make_hook(
    m: ModelInputs,
    node_tables: dict[str, pd.DataFrame],
    macro: pd.DataFrame | None,
    attach_seq: Callable[[DayBatch], DayBatch] | None,
):
    def hook(batches: list[DayBatch]) -> Sequence[DayBatch]:
        out = _empty_graph(batches, [str(g) for g in m.graphs]) if m.graphs else list(batches)
        for key, table in node_tables.items():
            out = attach_node_features(out, table, m.extras[key], key)
        if macro is not None:
            out = attach_macro(out, macro, step=MACRO_STEP, n_lags=m.macro_lags)
        return LazyBatches(out, attach_seq) if attach_seq is not None else out

    return hook
