"""A-share daily price limits: the one implementation of the board percentages.

The limit fraction ``pct`` of a stock on a day:

=================  ==================================================
board              pct
=================  ==================================================
main (SH 60, SZ 00)  10%
ChiNext (SZ 30)      10% before :data:`CHINEXT_REFORM` (2020-08-24), 20% from it
STAR (SH 688)        20%
BSE (BJ)             30%
index                NaN (no limit)
=================  ==================================================

An ST stock on a 10% board has 5%. Limit prices from the reference (previous, ex-rights)
close ``ref``: ``limit_up = round_cent(round_cent(ref) * (1 + pct))``,
``limit_down = round_cent(round_cent(ref) * (1 - pct))``, rounded half-up to the cent.
Used by the Qlib and file sources and by the synthetic market.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.contract import Board

CHINEXT_REFORM = pd.Timestamp("2020-08-24")
"""First day of ChiNext's 20% limit (10% before)."""


def round_cent(x: np.ndarray) -> np.ndarray:
    """Round half-up to 0.01 (exchange rule for limit prices); the 1e-7 absorbs float noise:
    ``floor(100 x + 0.5 + 1e-7) / 100``."""
    return np.floor(x * 100.0 + 0.5 + 1e-7) / 100.0


def limit_pct(boards: np.ndarray, dates: np.ndarray, is_st: np.ndarray) -> np.ndarray:
    """Daily price-limit fraction (module table); arguments broadcast against each other (e.g.
    (1, N), (T, 1), (T, N)). ``boards``: :class:`~alpha_core.data.contract.Board` values."""
    boards = np.asarray(boards, dtype=object)
    after = np.asarray(dates, dtype="datetime64[ns]") >= np.datetime64(CHINEXT_REFORM)
    star, bse, chinext = boards == Board.STAR.value, boards == Board.BSE.value, boards == Board.CHINEXT.value
    index = boards == Board.INDEX.value
    base = np.where(star, 0.20, np.where(bse, 0.30, np.where(chinext & after, 0.20, 0.10)))
    base = np.where(index, np.nan, base)
    return np.where(np.asarray(is_st, dtype=bool) & (base == 0.10), 0.05, base)


def limit_prices(
    ref: np.ndarray, boards: np.ndarray, dates: np.ndarray, is_st: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(limit_up, limit_down) = round_cent(round_cent(ref) x (1 +/- :func:`limit_pct`)).

    ``ref`` is the reference (previous, ex-rights) raw close; NaN ref gives NaN limits.
    """
    pct = limit_pct(boards, dates, is_st)
    ref = round_cent(np.asarray(ref, dtype=np.float64))
    return round_cent(ref * (1 + pct)), round_cent(ref * (1 - pct))
