"""The factor engine: named factor families computed on wide (T, N) arrays.

Entry points: :func:`compute_factors` (long table of named factors), the lists in
:mod:`alpha_core.factors.registry`, :mod:`alpha_core.factors.preprocess`, and
:class:`alpha_core.factors.sequences.SequenceBuilder` for R2's daily sequences.
"""

from alpha_core.factors.inputs import FactorContext, FactorInputs
from alpha_core.factors.registry import (
    FACTOR_SETS,
    FACTORS,
    R1_FACTORS,
    R3_EDGE_FEATURES,
    R3_FLOW_FEATURES,
    R3_NODE_FEATURES,
    R3_TS_FEATURES,
    XGB_FACTORS,
    FactorSet,
    absent_factors,
    compute_factor_sets,
    compute_factors,
    factor_coverage,
)

__all__ = [
    "FACTORS",
    "FACTOR_SETS",
    "R1_FACTORS",
    "R3_EDGE_FEATURES",
    "R3_FLOW_FEATURES",
    "R3_NODE_FEATURES",
    "R3_TS_FEATURES",
    "XGB_FACTORS",
    "FactorContext",
    "FactorInputs",
    "FactorSet",
    "absent_factors",
    "compute_factor_sets",
    "compute_factors",
    "factor_coverage",
]
