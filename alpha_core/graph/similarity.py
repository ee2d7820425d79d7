"""R2 fundamental-similarity graph: k nearest neighbours by cosine similarity.

On each rebuild date d (quarterly by default), for every stock take its LATEST report
announced strictly before d (``announce_date < d``, the contract's point-in-time rule),
derive the ratios of ``SimilarityConfig.features`` (``FUNDAMENTAL_RATIOS``), and
standardise them across stocks (5 x MAD winsorisation, then z-score; missing -> 0):
x_i in R^D. The similarity is the cosine

    s_ij = x_i . x_j / (||x_i|| ||x_j||),

edge i -> j for the ``k`` largest s_ij (j != i, s_ij > ``min_similarity``), then the
graph is symmetrised by union (an undirected kNN graph, weight s_ij).
Stocks with no usable report (none announced, or the newest one announced more than
``max_age_days`` calendar days before d: expired, :mod:`alpha_core.factors.pit`) are isolated nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors.pit import DEFAULT_MAX_AGE_DAYS
from alpha_core.graph.correlation import gram_edges
from alpha_core.graph.edges import GraphKind, concat_edges, edges_frame
from alpha_core.graph.nodes import Universe, universe_codes

log = logging.getLogger(__name__)


def _ratio(num: str, den: str) -> Callable[[pd.DataFrame], np.ndarray]:
    def f(df: pd.DataFrame) -> np.ndarray:
        d = df[den].to_numpy(dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(d) > 0, df[num].to_numpy(dtype=np.float64) / d, np.nan)

    return f


def _log_assets(df: pd.DataFrame) -> np.ndarray:
    a = df["total_assets"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, np.log(a), np.nan)


FUNDAMENTAL_RATIOS: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "roe": lambda df: df["roe"].to_numpy(dtype=np.float64),
    "gross_margin": _ratio("gross_profit", "revenue"),  # gross_profit / revenue
    "net_margin": _ratio("net_profit", "revenue"),  # net_profit / revenue
    "leverage": _ratio("total_liabilities", "total_assets"),
    "ocf_to_assets": _ratio("ocf", "total_assets"),
    "asset_turnover": _ratio("revenue", "total_assets"),
    "current_liab_share": _ratio("current_liabilities", "total_liabilities"),
    "log_assets": _log_assets,  # size
}
"""Ratio name -> function of one row per stock (single-quarter flows, period-end stocks)."""


@dataclass(frozen=True)
class SimilarityConfig:
    """R2 similarity graph settings.

    Args:
        k: neighbours per stock before symmetrisation (default 10).
        features: names in ``FUNDAMENTAL_RATIOS``.
        min_similarity: only keep neighbours with cosine above it (default 0).
        max_age_days: a stock's newest report expires this many calendar days after its
            announcement (default: the factor engine's :data:`~alpha_core.factors.pit.DEFAULT_MAX_AGE_DAYS`;
            None: never).
        mad_k: winsorise at median +- mad_k * MAD before the z-score.
        block_size: rows of the similarity matrix formed at once.
    """

    k: int = 10
    features: tuple[str, ...] = tuple(FUNDAMENTAL_RATIOS)
    min_similarity: float | None = 0.0
    max_age_days: int | None = DEFAULT_MAX_AGE_DAYS
    mad_k: float = 5.0
    block_size: int = 1024

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FUNDAMENTAL_RATIOS]
        if unknown:
            raise ValueError(f"unknown fundamental ratios {unknown}; choose from {sorted(FUNDAMENTAL_RATIOS)}")
        if self.k < 1:
            raise ValueError("k must be >= 1")


def latest_announced(
    fundamentals: pd.DataFrame, date: pd.Timestamp, *, max_age_days: int | None = None
) -> pd.DataFrame:
    """Per code, the report with the latest report_period among those with ``announce_date < date``,
    dropped when it was announced more than ``max_age_days`` days before ``date`` (expired).

    Raises:
        DataContractError: a contract column is missing.
    """
    for col in ("code", "report_period", "announce_date"):
        if col not in fundamentals.columns:
            raise DataContractError("fundamentals lack a column", Location(column=col))
    date = pd.Timestamp(date)
    known = fundamentals[fundamentals["announce_date"] < date]
    known = known.sort_values(["code", "report_period", "announce_date"])
    newest = known.drop_duplicates("code", keep="last")
    if max_age_days is not None:  # the newest report's age, not any report's: no fallback to older ones
        newest = newest[newest["announce_date"] >= date - pd.Timedelta(days=max_age_days)]
    return newest.reset_index(drop=True)


def standardise_cross_section(x: np.ndarray, mad_k: float = 5.0) -> np.ndarray:
    """Per column of (N, D): clip to median +- mad_k * 1.4826 * MAD, z-score, NaN -> 0.

    Columns with fewer than two finite values (e.g. a field the source lacks) are all 0.
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.zeros_like(x)
    ok = np.isfinite(x).sum(axis=0) >= 2
    if not ok.any():
        return z
    v = x[:, ok]
    med = np.nanmedian(v, axis=0)
    mad = 1.4826 * np.nanmedian(np.abs(v - med), axis=0)
    v = np.clip(v, med - mad_k * mad, med + mad_k * mad)
    mean = np.nanmean(v, axis=0)
    std = np.nanstd(v, axis=0)
    z[:, ok] = np.nan_to_num((v - mean) / np.where(std > 0, std, np.inf), nan=0.0)
    return z


def similarity_vectors(
    fundamentals: pd.DataFrame, date: pd.Timestamp, codes: np.ndarray | None, config: SimilarityConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardised fundamental vectors of one date.

    Returns:
        codes (N,), x (N, D) float64 (rows of stocks without a report are 0), has_report (N,) bool.
    """
    rows = latest_announced(fundamentals, date, max_age_days=config.max_age_days)
    if codes is None:
        codes = np.sort(rows["code"].astype(str).unique()).astype(object)
    try:
        raw = (
            np.column_stack([FUNDAMENTAL_RATIOS[f](rows) for f in config.features])
            if len(rows)
            else np.zeros((0, len(config.features)))
        )
    except KeyError as exc:
        raise DataContractError("fundamentals lack a column a ratio needs", Location(column=str(exc.args[0]))) from None
    pos = pd.Index(rows["code"].astype(str)).get_indexer(pd.Index(codes))
    has = pos >= 0
    x = np.full((len(codes), len(config.features)), np.nan)
    x[has] = raw[pos[has]]
    has &= np.isfinite(x).any(axis=1)
    z = np.zeros_like(x)
    if has.any():
        z[has] = standardise_cross_section(x[has], config.mad_k)
    return codes, z, has


def similarity_graph(
    fundamentals: pd.DataFrame,
    rebuild_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    *,
    config: SimilarityConfig = SimilarityConfig(),
    universe: Universe = None,
    member_column: str | None = None,
) -> pd.DataFrame:
    """R2 fundamental-similarity kNN graph on each rebuild date (see module docstring).

    Args:
        fundamentals: contract table (point in time by ``announce_date``).
        rebuild_dates: build dates (quarterly for R2: :func:`.schedule.rebuild_dates`).
        universe: node set per date (default: codes with a usable report).

    Returns:
        Edge list with graph = ``r2_similarity`` and weight = cosine similarity.
    """
    missing = [c for c in ("code", "report_period", "announce_date") if c not in fundamentals.columns]
    if missing:
        raise DataContractError("fundamentals lack a column", Location(column=missing[0]))
    frames = []
    for date in pd.DatetimeIndex(rebuild_dates):
        codes = universe_codes(universe, date, member_column=member_column)
        codes, z, has = similarity_vectors(fundamentals, date, codes, config)
        norm = np.linalg.norm(z, axis=1)
        ok = has & (norm > 0)
        idx = np.flatnonzero(ok)
        zv = np.ascontiguousarray((z[idx] / norm[idx, None]).T)  # (D, M) unit columns
        src, dst, w = gram_edges(zv, threshold=config.min_similarity, top_k=config.k, block_size=config.block_size)
        if (~ok).any():
            log.info(
                "r2_similarity %s: %d of %d nodes without usable fundamentals (isolated)",
                pd.Timestamp(date).date(),
                int((~ok).sum()),
                len(codes),
            )
        frames.append(edges_frame(date, GraphKind.R2_SIMILARITY, codes, idx[src], idx[dst], w))
    return concat_edges(frames)
