"""Scoring new days with a trained checkpoint (the live path of the weekly rebalance)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from alpha_core.training.checkpoint import META, Checkpoint
from alpha_core.training.walkforward import FoldInputs, fold_batches


def model_dir(root: Path, model: str) -> Path:
    """The folder of every fold checkpoint of ``model`` under ``root``: ``model=<m>``."""
    return Path(root) / f"model={model}"


def checkpoint_path(root: Path, model: str, fold: str) -> Path:
    """Where the checkpoint of ``model`` trained on ``fold`` lives under ``root``: ``model=<m>/fold=<f>``."""
    return model_dir(root, model) / f"fold={fold}"


def latest_checkpoint_dir(root: Path, model: str, as_of: pd.Timestamp) -> Path | None:
    """The newest ``root/model=<model>/fold=<id>`` whose fold id (first test date) is <= ``as_of``:
    the model that was trained on data before ``as_of`` (never one trained for a later window)."""
    base = model_dir(root, model)
    if not base.exists():
        return None
    folds = sorted(
        p
        for p in base.glob("fold=*")
        if p.is_dir() and (p / META).exists() and pd.Timestamp(p.name.split("=", 1)[1]) <= as_of
    )
    return folds[-1] if folds else None


MEMBERS = "members"  # <checkpoint>/members/seed=<s>/: the seed-ensemble members of a fold


def member_path(path: Path, seed: int) -> Path:
    """Where seed ``seed``'s member of the ensemble checkpoint at ``path`` lives."""
    return Path(path) / MEMBERS / f"seed={seed}"


def member_dirs(path: Path) -> list[Path]:
    """The member checkpoint directories of an ensemble checkpoint, by seed ([] for one seed)."""
    base = Path(path) / MEMBERS
    if not base.exists():
        return []
    found = [p for p in base.glob("seed=*") if p.is_dir() and (p / META).exists()]
    return sorted(found, key=lambda p: int(p.name.split("=", 1)[1]))


def score_days(checkpoint: Checkpoint, inputs: FoldInputs, days: Sequence[pd.Timestamp]) -> pd.DataFrame:
    """[date, code, score] for ``days`` with the checkpoint's own feature list and train-fitted normaliser.

    Every family goes through :meth:`Checkpoint.predict` (a two-stage ``biagru_xgb``: the stage-1
    BiAGRU's factors + the batches' fundamental extras, then the booster); ``inputs`` come from
    :func:`alpha_core.training.inputs.prepare_fold_inputs` of the checkpoint's model key.
    """
    batches = fold_batches(inputs, list(days), checkpoint.normalizer, labelled=False)
    return checkpoint.predict(batches)


def score_days_ensemble(
    path: Path, inputs: FoldInputs, days: Sequence[pd.Timestamp], checkpoint: Checkpoint | None = None
) -> pd.DataFrame:
    """[date, code, score] of the checkpoint at ``path``: the rank ensemble of its seed members
    (:func:`alpha_core.training.ensemble.ensemble_scores`) when it has them, else its own scores
    (``checkpoint``: the one at ``path`` when the caller has loaded it already)."""
    from alpha_core.training.checkpoint import load_checkpoint
    from alpha_core.training.ensemble import EnsembleMethod, ensemble_scores

    members = member_dirs(path)
    if not members:
        return score_days(checkpoint or load_checkpoint(path), inputs, days)
    per_seed = [score_days(load_checkpoint(m), inputs, days) for m in members]
    return ensemble_scores(per_seed, EnsembleMethod.RANK)[["date", "code", "score"]]
