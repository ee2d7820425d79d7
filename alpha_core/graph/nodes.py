"""The node set of a graph on one date (the day's universe)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alpha_core.data.contract import Board
from alpha_core.errors import DataContractError, Location

Universe = pd.DataFrame | Sequence[str] | pd.Index | None
"""Either a long (date, code[, member flag]) table, a fixed list of codes, or None (all known)."""


def universe_codes(universe: Universe, date: pd.Timestamp, *, member_column: str | None = None) -> np.ndarray | None:
    """Sorted codes of ``universe`` on ``date``; None when ``universe`` is None.

    A long table gives the codes with a row on ``date`` (and ``member_column`` True when
    given). A table with no row on ``date`` raises: a graph for a day outside the
    universe table would silently be empty.
    """
    if universe is None:
        return None
    if isinstance(universe, pd.DataFrame):
        for col in ("date", "code"):
            if col not in universe.columns:
                raise DataContractError("universe table lacks a column", Location(column=col))
        rows = universe[universe["date"] == pd.Timestamp(date)]
        if member_column is not None:
            rows = rows[rows[member_column].astype(bool)]
        if len(rows) == 0:
            raise DataContractError(
                "universe table has no member on a rebuild date",
                Location(column="date", date=str(pd.Timestamp(date).date())),
            )
        return np.sort(rows["code"].astype(str).unique()).astype(object)
    return np.sort(np.unique(np.asarray(list(universe), dtype=object).astype(str))).astype(object)


def listed_stocks(instruments: pd.DataFrame, day: pd.Timestamp) -> list[str]:
    """Sorted codes of the stocks listed on ``day``: ``list_date <= day < delist_date`` (NaT: still
    listed), board not :attr:`~alpha_core.data.contract.Board.INDEX`. The node set that exposes
    isolated stocks in :func:`alpha_core.graph.stats.edge_list_stats`."""
    day = pd.Timestamp(day)
    live = (
        (instruments["list_date"] <= day)
        & (instruments["delist_date"].isna() | (instruments["delist_date"] > day))
        & (instruments["board"] != Board.INDEX)
    )
    return sorted(instruments.loc[live, "code"].astype(str).unique())
