"""Multi-seed ensembles and the seed spread (R1 never tested seed sensitivity: we do).

Ensemble score of stock i on day t: mean over seeds s of z_s,t(i), the seed's score
z-scored across the day's stocks (so seeds with different scales weigh equally).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def zscore_by_date(scores: pd.DataFrame, column: str = "score") -> pd.Series:
    """Cross-sectional z-score of ``column`` per date (std ddof 0; constant day -> 0)."""
    g = scores.groupby("date")[column]
    std = g.transform("std", ddof=0)
    return ((scores[column] - g.transform("mean")) / std.where(std > 0)).fillna(0.0)


def ensemble_scores(per_seed: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Average of the seeds' per-date z-scored scores.

    Args: per_seed: (date, code, score) frames, one per seed.
    Returns: (date, code, score, seed_std): score = mean z, seed_std = std (ddof 0) of the
    seeds' z-scores of that stock, sorted by (date, code). Stocks scored by only some seeds
    average over those.
    """
    if not per_seed:
        raise ValueError("no seeds")
    z = [df[["date", "code"]].assign(z=zscore_by_date(df).to_numpy(), seed=k) for k, df in enumerate(per_seed)]
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
    from alpha_core.training.walkforward import train_fold  # late: walkforward imports the models

    outcomes = [train_fold(spec, fold, inputs, seed=s, **kwargs) for s in seeds]
    scores = ensemble_scores([o.test_scores for o in outcomes])
    spread = seed_spread([o.valid_metrics for o in outcomes])
    return outcomes, scores, spread
