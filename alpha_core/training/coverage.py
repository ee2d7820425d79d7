"""Vanishing features: a feature the model was trained on that the scoring days no longer deliver.

When a vendor stops delivering a column, its values become missing, the preprocessing fills them
(0 after the z-score) and a model would score a constant where it learnt a signal, silently. The
rule (:class:`CoverageRule`): with coverage = share of the universe rows of a window that have a
finite value,

    vanished(f)  <=>  coverage_train(f) >= trained_min (0.5)  and  coverage_score(f) < scoring_max (0.1)

The training coverage is measured on the fold's train days when the checkpoint is written (stored in
its metadata), the scoring coverage on the days being scored; scores with a vanished feature are not
published (the ``model_checkpoint`` / ``target_orders`` steps fail naming the features).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location


@dataclass(frozen=True)
class CoverageRule:
    """Args: trained_min: a feature counts as learnt at this train coverage (0.5); scoring_max:
    below this scoring coverage it has vanished (0.1)."""

    trained_min: float = 0.5
    scoring_max: float = 0.1


def feature_coverage(
    table: pd.DataFrame, features: Sequence[str], dates: Iterable[pd.Timestamp], members: pd.DataFrame | None = None
) -> dict[str, float]:
    """Share of the rows of ``dates`` (restricted to ``members``' (date, code) rows when given) with a
    finite value, per feature; a feature absent from ``table`` has coverage 0."""
    present = [f for f in dict.fromkeys(features) if f in table.columns]
    rows = table.loc[table["date"].isin(pd.DatetimeIndex(list(dates))), ["date", "code", *present]]
    if members is not None:
        rows = rows.merge(members[["date", "code"]], on=["date", "code"], how="inner")
    n = len(rows)
    out = {}
    for f in features:
        if f not in rows.columns or n == 0:
            out[f] = 0.0
            continue
        vals = rows[f].to_numpy(np.float64, na_value=np.nan)
        out[f] = float(np.isfinite(vals).sum() / n)
    return out


def vanished_features(
    train: Mapping[str, float], scoring: Mapping[str, float], rule: CoverageRule = CoverageRule()
) -> dict[str, tuple[float, float]]:
    """feature -> (train coverage, scoring coverage) for every feature that vanished under ``rule``."""
    return {
        f: (float(c), float(scoring.get(f, 0.0)))
        for f, c in train.items()
        if c >= rule.trained_min and scoring.get(f, 0.0) < rule.scoring_max
    }


def require_features(
    train: Mapping[str, float], scoring: Mapping[str, float], *, where: str, rule: CoverageRule = CoverageRule()
) -> None:
    """Raise a :class:`DataContractError` naming the vanished features (see the module docstring)."""
    gone = vanished_features(train, scoring, rule)
    if gone:
        detail = ", ".join(f"{f} (train {a:.0%}, now {b:.0%})" for f, (a, b) in sorted(gone.items()))
        raise DataContractError(
            f"{where}: {len(gone)} feature(s) the model was trained on are (nearly) absent on the scoring days: "
            f"{detail}; scores not published (a vendor stopped delivering them?)",
            Location(file="factor_table", column=sorted(gone)[0]),
        )
