"""Cross-sectional orthogonalisation of learned factors (R2 "orthogonal layer") and the
"secondary weighting" data set built from the orthogonal factors (R2 ``biagru_xgb``).

R2 (seeds/001, section 2): a BiAGRU over daily price/volume sequences is topped with an
orthogonalisation layer that emits K = 32 mutually orthogonal factors; those factors and the
existing fundamental factors are then re-weighted by XGBoost ("二次加权").

Orthogonality is across the day's cross-section: for the (N, K) factor matrix F of one day,
centre each column, then make the columns uncorrelated with unit variance,

    F_c = F - 1 mean(F)                                  (N, K)
    C   = F_c^T F_c / N = V diag(lambda) V^T             (K, K), the factor covariance
    Lowdin (symmetric):  F_o = F_c V diag(max(lambda, eps lambda_max))^{-1/2} V^T
                                                         => F_o^T F_o / N = I
    QR (Gram-Schmidt):   F_c / sqrt(N) = Q R,  F_o = sqrt(N) Q diag(sign(diag R))

Lowdin is the default: among all orthonormal bases of span(F_c) it is the closest to F_c in
Frobenius norm, so factor i of F_o stays "factor i" and no factor is privileged by its
position (QR keeps factor 1 intact and strips the others in order). ``C^{-1/2}`` comes from a
float64 eigendecomposition. Eigenvalues are floored at ``eps`` times the largest one (a
relative floor, default 1e-12: the result does not depend on the factors' scale, and factors
with cross-sectional variances of 1e-6 .. 1e-12, as the R2 BiAGRU's are on raw price/volume
sequences, still come out orthonormal); only directions below the floor, i.e. a rank-deficient
day, are left un-normalised, so such a day does not explode.

Secondary weighting, two views of the same stage-2 data:

- :func:`secondary_weighting_batches` (what the ``biagru_xgb`` model key trains and scores on,
  through :func:`alpha_core.training.walkforward.train_fold` and
  :meth:`alpha_core.training.checkpoint.Checkpoint.predict`): day batches whose ``x`` is
  ``[model.factors(batch) || batch.extras[k] ...]``, fed to
  :meth:`alpha_core.models.xgb.XGBScorer.fit_batches` / ``predict_batches``.
- :func:`secondary_weighting_data` / :func:`fit_secondary_weighting` (analysis of long tables):
  join the factor frame of :meth:`alpha_core.models.biagru.BiAGRU.factor_frame` with
  fundamental factors and the label on (date, code) and fit an XGBScorer on it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
import torch
from torch import nn

from alpha_core.errors import DataContractError, Location
from alpha_core.models.xgb import XGBConfig, XGBScorer
from alpha_core.training.batch import DayBatch

log = logging.getLogger(__name__)


class OrthoMethod(StrEnum):
    """How to orthogonalise the factor columns."""

    LOWDIN = "lowdin"  # symmetric: F C^{-1/2}
    QR = "qr"  # Gram-Schmidt order: factor 1 kept, later ones made orthogonal to earlier


def orthogonalize(factors: torch.Tensor, method: OrthoMethod = OrthoMethod.LOWDIN,
                  eps: float = 1e-12) -> torch.Tensor:
    """Centred, cross-sectionally orthonormal version of ``factors``.

    Args:
        factors: (N, K) factor exposures of one day's N stocks, N > K.
        method: :class:`OrthoMethod` (default Lowdin).
        eps: Lowdin eigenvalue floor relative to the largest eigenvalue (default 1e-12).

    Returns:
        (N, K) tensor ``F_o`` with column means 0 and ``F_o^T F_o / N = I`` (differentiable;
        same dtype as the input, computed in float64 internally).
    """
    if factors.dim() != 2:
        raise ValueError(f"factors must be (N, K), got shape {tuple(factors.shape)}")
    n, k = factors.shape
    if n <= k:
        raise DataContractError(
            f"orthogonalising {k} factors needs more than {k} stocks, got {n}",
            Location(column="factors"))
    f = factors.double()
    fc = f - f.mean(dim=0, keepdim=True)
    if method == OrthoMethod.LOWDIN:
        cov = fc.T @ fc / n
        evals, evecs = torch.linalg.eigh(cov)  # ascending
        floor = (eps * evals[-1].detach()).clamp_min(torch.finfo(torch.float64).tiny)  # a constant day -> zeros
        inv_sqrt = evecs @ torch.diag(evals.clamp_min(floor).rsqrt()) @ evecs.T
        out = fc @ inv_sqrt
    elif method == OrthoMethod.QR:
        q, r = torch.linalg.qr(fc / n**0.5)
        # Fix QR's sign ambiguity so factor j keeps the sign of its raw exposure.
        sign = torch.sign(torch.diagonal(r))
        sign = torch.where(sign == 0, torch.ones_like(sign), sign)
        out = q * sign * n**0.5
    else:  # pragma: no cover - StrEnum exhausts the options
        raise ValueError(f"unknown method {method!r}")
    return out.to(factors.dtype)


class OrthogonalLayer(nn.Module):
    r"""Module wrapper of :func:`orthogonalize` (no parameters).

    Args:
        method: :class:`OrthoMethod` (default ``lowdin``).
        eps: eigenvalue floor relative to the largest (default 1e-12).

    Shapes:
        input (N, K) -> output (N, K), centred and with ``F^T F / N = I``.
    """

    def __init__(self, method: OrthoMethod = OrthoMethod.LOWDIN, eps: float = 1e-12):
        super().__init__()
        self.method = OrthoMethod(method)
        self.eps = eps

    def forward(self, factors: torch.Tensor) -> torch.Tensor:
        return orthogonalize(factors, self.method, self.eps)

    def extra_repr(self) -> str:
        return f"method={self.method.value}, eps={self.eps:g}"


# --------------------------------------------------------------------------------------
# Secondary weighting ("biagru_xgb"): the 32 deep factors + fundamental factors -> XGBoost.
# --------------------------------------------------------------------------------------

def factor_column_names(k: int, prefix: str = "dl_f") -> list[str]:
    """Column names of the K deep orthogonal factors: ``dl_f00 .. dl_f{K-1}``."""
    return [f"{prefix}{i:02d}" for i in range(k)]


def secondary_weighting_columns(n_factors: int, extras_columns: Iterable[Sequence[str]]) -> list[str]:
    """Names of the stage-2 feature columns: ``dl_f00 .. dl_f{K-1}`` then each extras block's columns."""
    return [*factor_column_names(n_factors), *(c for cols in extras_columns for c in cols)]


@torch.no_grad()
def secondary_weighting_batches(model: nn.Module, batches: Iterable[DayBatch],
                                extras: Sequence[str]) -> list[DayBatch]:
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
                    raise DataContractError(f"stage-2 features need batch.extras[{key!r}]",
                                            Location(column=key, date=str(pd.Timestamp(b.date).date())))
                blocks.append(b.extras[key].float())
            out.append(dataclasses.replace(b, x=torch.cat(blocks, dim=1), seq=None, graphs={}, macro=None,
                                           extras={}))
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


def secondary_weighting_data(deep_factors: pd.DataFrame, fundamentals: pd.DataFrame,
                             labels: pd.DataFrame, label_column: str,
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
    for name, table, cols in (("deep_factors", deep_factors, keys),
                              ("fundamentals", fundamentals, keys),
                              ("labels", labels, [*keys, label_column])):
        for col in cols:
            if col not in table.columns:
                raise DataContractError(f"{name} lacks column {col!r}", Location(file=name, column=col))
        dup = table.duplicated(keys)
        if dup.any():
            row = table.loc[dup].iloc[0]
            raise DataContractError(f"{name} has duplicated (date, code) rows",
                                    Location(file=name, instrument=str(row["code"]), date=str(row["date"])))
    deep_cols = [c for c in deep_factors.columns if c not in keys]
    if fundamental_columns is None:
        fundamental_columns = [c for c in fundamentals.columns if c not in keys]
    clash = set(deep_cols) & set(fundamental_columns)
    if clash:
        raise DataContractError(f"fundamental columns clash with deep factor columns: {sorted(clash)}",
                                Location(file="fundamentals", column=sorted(clash)[0]))
    frame = (deep_factors[[*keys, *deep_cols]]
             .merge(fundamentals[[*keys, *fundamental_columns]], on=keys, how="left")
             .merge(labels[[*keys, label_column]], on=keys, how="inner"))
    frame = frame[np.isfinite(frame[label_column].to_numpy(dtype=float))]
    frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    log.info("secondary weighting data: %d rows, %d deep + %d fundamental features",
             len(frame), len(deep_cols), len(fundamental_columns))
    return SecondaryWeightingData(frame, [*deep_cols, *fundamental_columns], label_column)


def fit_secondary_weighting(train: SecondaryWeightingData, valid: SecondaryWeightingData,
                            config: XGBConfig | None = None) -> XGBScorer:
    """``biagru_xgb``: XGBoost on [deep orthogonal factors || fundamental factors] -> label,
    early-stopped on ``valid`` (R1's XGBoost settings by default, :class:`XGBConfig`).

    Score new days with ``scorer.predict(data.x.to_numpy(np.float32))`` on a
    :func:`secondary_weighting_data` frame built the same way (same feature columns).
    """
    if train.feature_columns != valid.feature_columns:
        raise DataContractError("train and valid secondary-weighting features differ",
                                Location(column=",".join(sorted(set(train.feature_columns) ^ set(valid.feature_columns)))))
    return XGBScorer(config or XGBConfig()).fit(
        train.x.to_numpy(np.float32), train.y.to_numpy(np.float32),
        valid.x.to_numpy(np.float32), valid.y.to_numpy(np.float32))
