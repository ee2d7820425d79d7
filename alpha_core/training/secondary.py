"""Secondary weighting (R2 ``biagru_xgb``): XGBoost on the orthogonal deep factors of a
stage-1 torch model and fundamental factors ("二次加权", seeds/001 section 2).

Two views of the same stage-2 data:

- :func:`secondary_weighting_batches` (what the ``biagru_xgb`` model key trains and scores on,
  through :func:`alpha_core.training.walkforward.train_fold` and
  :meth:`alpha_core.training.checkpoint.Checkpoint.predict`): day batches whose ``x`` is
  ``[model.factors(batch) || batch.extras[k] ...]``, fed to
  :meth:`alpha_core.training.boosting.XGBScorer.fit_batches` / ``predict_batches``.
- :func:`secondary_weighting_data` / :func:`fit_secondary_weighting` (analysis of long tables):
  join the factor frame of :meth:`alpha_core.models.biagru.BiAGRU.factor_frame` with
  fundamental factors and the label on (date, code) and fit an XGBScorer on it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError, Location
from alpha_core.models.orthogonal import factor_column_names
from alpha_core.training.boosting import XGBConfig, XGBScorer

log = logging.getLogger(__name__)


def secondary_weighting_columns(n_factors: int, extras_columns: Iterable[Sequence[str]]) -> list[str]:
    """Names of the stage-2 feature columns: ``dl_f00 .. dl_f{K-1}`` then each extras block's columns."""
    return [*factor_column_names(n_factors), *(c for cols in extras_columns for c in cols)]


@torch.no_grad()
def secondary_weighting_batches(model: nn.Module, batches: Iterable[DayBatch], extras: Sequence[str]) -> list[DayBatch]:
    """Stage-2 day batches of a two-stage model: the stage-1 factors and the named extras as ``x``.

    For each day batch (N stocks)::

        x2 = [ model.factors(batch)  (N, K)  ||  batch.extras[e_1] (N, F_1)  || ... ]   (N, K + sum F_k)

    computed in eval mode without gradients (the model's train/eval mode is restored). Each
    day's row only reads that day's batch (sequences up to T, extras as of T): causal. The
    returned batches keep ``date``, ``codes`` and ``y`` and drop everything else (``seq``,
    graphs, extras: stage 2 reads ``x`` only, and a fold's sequences are large).

    Args:
        model: a torch model with ``factors(batch) -> (N, K)`` (e.g. the orthogonal BiAGRU).
        batches: the day batches the stage-1 model reads.
        extras: keys of ``batch.extras`` appended after the factors, in this order.

    Raises:
        DataContractError: a batch lacks one of ``extras`` (naming the day).
    """
    was_training = model.training
    model.eval()
    out = []
    try:
        for b in batches:
            blocks = [model.factors(b).float()]
            for key in extras:
                if key not in b.extras:
                    raise DataContractError(
                        f"stage-2 features need batch.extras[{key!r}]",
                        Location(column=key, date=str(pd.Timestamp(b.date).date())),
                    )
                blocks.append(b.extras[key].float())
            out.append(dataclasses.replace(b, x=torch.cat(blocks, dim=1), seq=None, graphs={}, macro=None, extras={}))
    finally:
        model.train(was_training)
    return out


@dataclass(frozen=True)
class SecondaryWeightingData:
    """XGBoost training data of the secondary-weighting model.

    Attributes:
        frame: long table ``date, code`` + feature columns + ``label``, sorted by (date, code).
        feature_columns: deep factor columns followed by the fundamental columns.
        label_column: name of the label column.
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    label_column: str

    @property
    def x(self) -> pd.DataFrame:
        return self.frame[self.feature_columns]

    @property
    def y(self) -> pd.Series:
        return self.frame[self.label_column]


def secondary_weighting_data(
    deep_factors: pd.DataFrame,
    fundamentals: pd.DataFrame,
    labels: pd.DataFrame,
    label_column: str,
    fundamental_columns: list[str] | None = None,
) -> SecondaryWeightingData:
    """Join the deep orthogonal factors, the fundamental factors and the label.

    Every table is a long frame keyed by ``(date, code)``; all values must be known at ``date``
    (the caller passes point-in-time factor tables: nothing here looks ahead). Rows whose label
    is missing are dropped (SPEC: drop missing labels); a missing fundamental factor stays NaN
    (XGBoost routes missing values itself).

    Args:
        deep_factors: ``date, code, dl_f00..`` (from :meth:`BiAGRU.factor_frame`).
        fundamentals: ``date, code`` + fundamental factor columns.
        labels: ``date, code, label_column``.
        label_column: label name (e.g. the rank-standardised weekly label).
        fundamental_columns: which fundamental columns to use (default: all but date/code).

    Returns:
        :class:`SecondaryWeightingData`.

    Raises:
        DataContractError: a key column is missing or (date, code) is duplicated.
    """
    keys = ["date", "code"]
    for name, table, cols in (
        ("deep_factors", deep_factors, keys),
        ("fundamentals", fundamentals, keys),
        ("labels", labels, [*keys, label_column]),
    ):
        for col in cols:
            if col not in table.columns:
                raise DataContractError(f"{name} lacks column {col!r}", Location(file=name, column=col))
        dup = table.duplicated(keys)
        if dup.any():
            row = table.loc[dup].iloc[0]
            raise DataContractError(
                f"{name} has duplicated (date, code) rows",
                Location(file=name, instrument=str(row["code"]), date=str(row["date"])),
            )
    deep_cols = [c for c in deep_factors.columns if c not in keys]
    if fundamental_columns is None:
        fundamental_columns = [c for c in fundamentals.columns if c not in keys]
    clash = set(deep_cols) & set(fundamental_columns)
    if clash:
        raise DataContractError(
            f"fundamental columns clash with deep factor columns: {sorted(clash)}",
            Location(file="fundamentals", column=sorted(clash)[0]),
        )
    frame = (
        deep_factors[[*keys, *deep_cols]]
        .merge(fundamentals[[*keys, *fundamental_columns]], on=keys, how="left")
        .merge(labels[[*keys, label_column]], on=keys, how="inner")
    )
    frame = frame[np.isfinite(frame[label_column].to_numpy(dtype=float))]
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    log.info(
        "secondary weighting data: %d rows, %d deep + %d fundamental features",
        len(frame),
        len(deep_cols),
        len(fundamental_columns),
    )
    return SecondaryWeightingData(frame, [*deep_cols, *fundamental_columns], label_column)


def fit_secondary_weighting(
    train: SecondaryWeightingData, valid: SecondaryWeightingData, config: XGBConfig | None = None
) -> XGBScorer:
    """``biagru_xgb``: XGBoost on [deep orthogonal factors || fundamental factors] -> label,
    early-stopped on ``valid`` (R1's XGBoost settings by default, :class:`XGBConfig`).

    Score new days with ``scorer.predict(data.x.to_numpy(np.float32))`` on a
    :func:`secondary_weighting_data` frame built the same way (same feature columns).
    """
    if train.feature_columns != valid.feature_columns:
        raise DataContractError(
            "train and valid secondary-weighting features differ",
            Location(column=",".join(sorted(set(train.feature_columns) ^ set(valid.feature_columns)))),
        )
    return XGBScorer(config or XGBConfig()).fit(
        train.x.to_numpy(np.float32),
        train.y.to_numpy(np.float32),
        valid.x.to_numpy(np.float32),
        valid.y.to_numpy(np.float32),
    )
