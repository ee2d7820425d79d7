"""Multi-seed ensembles and the seed spread (R1 never tested seed sensitivity: we do).

Ensemble score of stock i on day t, by :class:`EnsembleMethod`:

- ``RANK`` (the ``model_checkpoint`` option ``seeds``): mean over seeds s of p_s,t(i), the
  seed's cross-sectional percentile rank (average ranks for ties, divided by the day's count),
  so neither a seed's scale nor its outliers weigh;
- ``ZSCORE``: mean over seeds of z_s,t(i), the seed's score z-scored across the day's stocks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def zscore_by_date(scores: pd.DataFrame, column: str = "score") -> pd.Series:
    """Cross-sectional z-score of ``column`` per date (std ddof 0; constant day -> 0)."""
    g = scores.groupby("date")[column]
    std = g.transform("std", ddof=0)
    return ((scores[column] - g.transform("mean")) / std.where(std > 0)).fillna(0.0)


class EnsembleMethod(enum.StrEnum):
    """How the seeds' scores are put on one scale before averaging (module docstring)."""

    RANK = "rank"
    ZSCORE = "zscore"


def rank_by_date(scores: pd.DataFrame, column: str = "score") -> pd.Series:
    """Cross-sectional percentile rank of ``column`` per date (average ranks / count, in (0, 1])."""
    return scores.groupby("date")[column].rank(method="average", pct=True)


def ensemble_scores(per_seed: Sequence[pd.DataFrame], method: EnsembleMethod = EnsembleMethod.ZSCORE) -> pd.DataFrame:
    """Average of the seeds' per-date standardised scores (``method``: z-scores or percentile ranks).

    Args: per_seed: (date, code, score) frames, one per seed.
    Returns: (date, code, score, seed_std): score = mean of the standardised scores, seed_std =
    their std (ddof 0) for that stock, sorted by (date, code). Stocks scored by only some seeds
    average over those.
    """
    if not per_seed:
        raise ValueError("no seeds")
    scale = rank_by_date if EnsembleMethod(method) is EnsembleMethod.RANK else zscore_by_date
    z = [df[["date", "code"]].assign(z=scale(df).to_numpy(), seed=k) for k, df in enumerate(per_seed)]
    allz = pd.concat(z, ignore_index=True)
    out = allz.groupby(["date", "code"], sort=True)["z"].agg(score="mean", seed_std=lambda s: float(np.std(s)))
    return out.reset_index()


def seed_spread(metrics: Sequence[Mapping[str, float]]) -> pd.DataFrame:
    """Per metric across seeds: mean, std (ddof 1), min, max, n. Rows = metric names."""
    frame = pd.DataFrame(list(metrics))
    return pd.DataFrame(
        {"mean": frame.mean(), "std": frame.std(ddof=1), "min": frame.min(), "max": frame.max(), "n": frame.count()}
    )


def train_fold_ensemble(spec, fold, inputs, seeds: Sequence[int], **kwargs):
    """Train ``spec`` on ``fold`` once per seed (:func:`~alpha_core.training.walkforward.train_fold`
    keyword arguments pass through) and combine.

    Returns (outcomes, scores, spread): the per-seed :class:`FoldOutcome` list, the ensemble
    (date, code, score, seed_std) of the test window, and :func:`seed_spread` of the seeds'
    validation metrics.
    """
    from alpha_core.training.walkforward import train_fold  # late: keeps this module free of torch

    outcomes = [train_fold(spec, fold, inputs, seed=s, **kwargs) for s in seeds]
    scores = ensemble_scores([o.test_scores for o in outcomes])
    spread = seed_spread([o.valid_metrics for o in outcomes])
    return outcomes, scores, spread
