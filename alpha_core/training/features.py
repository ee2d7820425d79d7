"""Model inputs from the raw ``factor_table``: each model's feature set, preprocessed per date.

SPEC section 2 preprocessing, cross-sectional per date (causal: each date uses only its own
cross-section): 5x MAD winsorisation, z-score, missing -> 0 under the coverage gate
(:mod:`alpha_core.factors.preprocess`); then the feature set's :class:`FeatureRecipe`
neutralisation:
- none (``r1``, ``alpha158``, ``r1_alpha158``);
- industry (``r1_neutral``, nn_neutral): residuals on industry dummies, re-z-scored;
- industry + size (``r1_xgb``, ``xgb_alpha158``): residuals on industry dummies + log total
  market cap, re-z-scored.
Any R1-family model key (the GATs, nn, xgboost) trains on any of these sets
(``model_checkpoint``'s ``feature_set`` option). Factors absent from the table (the source lacks
their inputs) are left out and logged.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors.preprocess import Neutralize, PreprocessConfig, neutralize, preprocess, zscore
from alpha_core.factors.registry import FACTOR_SETS, R1_FACTORS, XGB_FACTORS, FactorSet
from alpha_core.training.specs import FeatureSet

log = logging.getLogger(__name__)


class Neutralisation(enum.StrEnum):
    """What a feature set is neutralised on after the z-score."""

    NONE = "none"
    INDUSTRY = "industry"
    INDUSTRY_SIZE = "industry_size"


@dataclass(frozen=True)
class FeatureRecipe:
    """A feature set: its factor columns (in order) and its neutralisation."""

    columns: tuple[str, ...]
    neutralisation: Neutralisation = Neutralisation.NONE


def _union(*sets: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for s in sets for c in s))


ALPHA158_FACTORS: tuple[str, ...] = FACTOR_SETS[FactorSet.ALPHA158]

FEATURE_RECIPES: dict[FeatureSet, FeatureRecipe] = {
    FeatureSet.R1: FeatureRecipe(R1_FACTORS),
    FeatureSet.R1_NEUTRAL: FeatureRecipe(R1_FACTORS, Neutralisation.INDUSTRY),
    FeatureSet.R1_XGB: FeatureRecipe(XGB_FACTORS, Neutralisation.INDUSTRY_SIZE),
    FeatureSet.ALPHA158: FeatureRecipe(ALPHA158_FACTORS),
    FeatureSet.R1_ALPHA158: FeatureRecipe(_union(R1_FACTORS, ALPHA158_FACTORS)),
    FeatureSet.XGB_ALPHA158: FeatureRecipe(_union(XGB_FACTORS, ALPHA158_FACTORS), Neutralisation.INDUSTRY_SIZE),
}


def needs_exposures(feature_set: FeatureSet | str) -> bool:
    """Whether ``feature_set`` is neutralised (and so needs industry / cap exposures)."""
    recipe = FEATURE_RECIPES.get(FeatureSet(feature_set))
    return recipe is not None and recipe.neutralisation is not Neutralisation.NONE


def model_features(
    factor_table: pd.DataFrame, feature_set: FeatureSet | str, *, exposures: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """(date, code, *features) preprocessed for ``feature_set`` and the feature names used.

    ``exposures``: DataFrame[date, code, industry, total_mcap]
    (:func:`alpha_core.factors.preprocess.exposures_from`), required for r1_neutral / r1_xgb.
    """
    fs = FeatureSet(feature_set)
    if fs not in FEATURE_RECIPES:
        raise KeyError(f"feature set {fs} has no R1 preprocessing here (R2/R3 sets are built by their modules)")
    recipe = FEATURE_RECIPES[fs]
    cols = tuple(c for c in recipe.columns if c in factor_table.columns)
    missing = [c for c in recipe.columns if c not in factor_table.columns]
    if missing:
        log.warning(
            "feature set %s: %d factors absent from factor_table: %s",
            fs,
            len(missing),
            missing if len(missing) <= 12 else [*missing[:12], "..."],
        )
    if not cols:
        raise DataContractError(f"factor_table has none of the {fs} factors", Location(file="factor_table"))
    df = factor_table[["date", "code", *cols]]
    if recipe.neutralisation is Neutralisation.NONE:
        out = preprocess(df, list(cols))
    else:
        if exposures is None:
            raise DataContractError(
                f"feature set {fs} needs exposures (industry, total_mcap)", Location(column="industry")
            )
        if recipe.neutralisation is Neutralisation.INDUSTRY_SIZE:
            out = preprocess(df, list(cols), PreprocessConfig(neutralize=Neutralize.INDUSTRY_SIZE), exposures)
        else:  # industry only: a constant cap makes the size column vanish
            out = preprocess(df, list(cols))
            out = neutralize(out, exposures.assign(total_mcap=1.0), list(cols))
            out = zscore(out, list(cols))
            out[list(cols)] = out[list(cols)].fillna(0.0)
    return out[["date", "code", *cols]], cols
