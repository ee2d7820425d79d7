"""Model inputs from the raw ``factor_table``: each model's feature set, preprocessed per date.

SPEC section 2 preprocessing, cross-sectional per date (causal: each date uses only its own
cross-section): 5x MAD winsorisation, z-score, missing -> 0; then
- ``r1``: nothing more (R1: no neutralisation);
- ``r1_neutral`` (nn_neutral): residuals on industry dummies, re-z-scored;
- ``r1_xgb``: residuals on industry dummies + log total market cap, re-z-scored.
Factors absent from the table (the source lacks their inputs) are left out and logged.
"""

from __future__ import annotations

import logging

import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors.preprocess import Neutralize, PreprocessConfig, neutralize, preprocess, zscore
from alpha_core.factors.registry import R1_FACTORS, XGB_FACTORS
from alpha_core.models.registry import FeatureSet

log = logging.getLogger(__name__)

FEATURE_COLUMNS: dict[FeatureSet, tuple[str, ...]] = {
    FeatureSet.R1: R1_FACTORS,
    FeatureSet.R1_NEUTRAL: R1_FACTORS,
    FeatureSet.R1_XGB: XGB_FACTORS,
}


def model_features(
    factor_table: pd.DataFrame, feature_set: FeatureSet | str, *, exposures: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """(date, code, *features) preprocessed for ``feature_set`` and the feature names used.

    ``exposures``: DataFrame[date, code, industry, total_mcap]
    (:func:`alpha_core.factors.preprocess.exposures_from`), required for r1_neutral / r1_xgb.
    """
    fs = FeatureSet(feature_set)
    if fs not in FEATURE_COLUMNS:
        raise KeyError(f"feature set {fs} has no R1 preprocessing here (R2/R3 sets are built by their modules)")
    cols = tuple(c for c in FEATURE_COLUMNS[fs] if c in factor_table.columns)
    missing = [c for c in FEATURE_COLUMNS[fs] if c not in factor_table.columns]
    if missing:
        log.warning("feature set %s: %d factors absent from factor_table: %s", fs, len(missing), missing)
    if not cols:
        raise DataContractError(f"factor_table has none of the {fs} factors", Location(file="factor_table"))
    df = factor_table[["date", "code", *cols]]
    if fs is FeatureSet.R1:
        out = preprocess(df, list(cols))
    else:
        if exposures is None:
            raise DataContractError(f"feature set {fs} needs exposures (industry, total_mcap)", Location(column="industry"))
        if fs is FeatureSet.R1_XGB:
            out = preprocess(df, list(cols), PreprocessConfig(neutralize=Neutralize.INDUSTRY_SIZE), exposures)
        else:  # industry only: a constant cap makes the size column vanish
            out = preprocess(df, list(cols))
            out = neutralize(out, exposures.assign(total_mcap=1.0), list(cols))
            out = zscore(out, list(cols))
            out[list(cols)] = out[list(cols)].fillna(0.0)
    return out[["date", "code", *cols]], cols
