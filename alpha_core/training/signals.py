"""Stitch per-fold test predictions into one out-of-sample signal per model.

Each date is taken from the fold whose test window covers it (the newest fold when test
windows overlap), so no date is scored by a model that trained or validated on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from alpha_core.folds import Fold

SIGNAL_COLUMNS = ["date", "code", "model", "fold", "score"]


def stitch_signals(predictions: Mapping[str, pd.DataFrame], folds: Sequence[Fold], model: str) -> pd.DataFrame:
    """Long (date, code, model, fold, score) frame sorted by (date, code).

    Args:
        predictions: fold id -> (date, code, score) test predictions of that fold.
        folds: the folds (their test windows decide which fold owns a date).
        model: the model key written in the ``model`` column.
    Folds missing from ``predictions`` leave their dates out (not yet trained).
    """
    frames = []
    order = sorted(folds, key=lambda f: f.test_start)
    for k, fold in enumerate(order):
        pred = predictions.get(fold.fold_id)
        if pred is None or pred.empty:
            continue
        # the window this fold owns: its test dates before the next trained fold's start
        later = [f.test_start for f in order[k + 1 :] if f.fold_id in predictions]
        end = min([fold.test_end + pd.Timedelta(days=1), *later])
        own = pred[(pred["date"] >= fold.test_start) & (pred["date"] < end) & pred["date"].isin(fold.test)]
        frames.append(own.assign(model=model, fold=fold.fold_id))
    if not frames:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=t)
                for c, t in zip(SIGNAL_COLUMNS, ["datetime64[ns]", object, object, object, np.float64])
            }
        )
    out = pd.concat(frames, ignore_index=True)[SIGNAL_COLUMNS]
    return out.sort_values(["date", "code"], kind="stable").reset_index(drop=True)
