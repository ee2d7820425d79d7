"""Shared type aliases used across alpha_core.

Conventions (see docs/ARCHITECTURE.md):
- ``date`` columns are ``datetime64[ns]`` normalised to midnight, no time zone.
- ``code`` columns hold canonical instrument codes, e.g. ``SH600000``
  (see :func:`alpha_core.data.codes.normalize_code`).
- Long tables are sorted by (date, code).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LongFrame = pd.DataFrame
"""A long table with ``date`` and ``code`` columns plus value columns."""

WideArray = np.ndarray
"""A float array of shape (T dates, N instruments); NaN where missing."""

Weights = pd.Series
"""Portfolio weights indexed by code, summing to 1 (long-only)."""

EdgeList = pd.DataFrame
"""Graph edges: columns date, graph, src, dst, weight."""
