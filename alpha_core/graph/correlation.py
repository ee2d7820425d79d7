"""Correlation graphs over rolling windows, computed blockwise (never an N x N frame).

For F feature series observed on a window of W trading days ending at the rebuild date
(inclusive), the edge score of stocks i and j is the equal-weighted mean of their
per-feature Pearson correlations (R3 section 3.1):

    c_ij = (1/F) sum_f corr(x_f[:, i], x_f[:, j]),
    corr(a, b) = sum_t za_t zb_t,   za = (a - mean(a)) / ||a - mean(a)||  (over the window).

Implementation: each feature window (W, N) is centred and scaled to unit norm per
column, the F blocks are stacked along time into Z (F*W, N) scaled by 1/sqrt(F), so that
C = Z^T Z; C is formed ``block_size`` rows at a time, (B, F*W) @ (F*W, N), and only the
edges kept (``c_ij > threshold`` and/or the ``top_k`` largest per row) leave the block.
Peak memory is about 4 * (F*W*N + 2*B*N) bytes (float32).

Missing values: means and norms use the valid observations of each column and missing
entries contribute 0 to the dot products (exact Pearson when nothing is missing; a
shrunk correlation otherwise). A stock needs ``min_obs_frac * W`` valid, non-constant
observations in EVERY feature to get edges; otherwise it is an isolated node.

Causality: the window ends at the rebuild date itself (data up to and including it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location
from alpha_core.graph.edges import GraphKind, concat_edges, edges_frame, symmetrise
from alpha_core.graph.nodes import Universe, universe_codes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorrelationGraphConfig:
    """How a correlation graph is thresholded.

    Args:
        window: trading days per window (80, R3).
        threshold: keep edges with mean correlation strictly above it (None: no threshold).
        top_k: keep at most the k largest per node, then symmetrise by union (None: all).
        min_obs_frac: fraction of the window a stock must have valid in a feature.
        min_features: None (default) = a stock needs every feature valid, and c_ij is the
            mean over all F features; an int m = the mean runs over the features valid for
            BOTH stocks, and needs at least m of them (slow fundamentals-based series are
            often constant over 80 days, which leaves their correlation undefined).
        block_size: rows of C computed at once (memory ~ 4 * block_size * N bytes).
    """

    window: int = 80
    threshold: float | None = 0.5
    top_k: int | None = None
    min_obs_frac: float = 0.8
    min_features: int | None = None
    block_size: int = 1024

    def __post_init__(self) -> None:
        if self.threshold is None and self.top_k is None:
            raise ValueError("CorrelationGraphConfig needs a threshold, a top_k or both")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError("top_k must be >= 1")
        if self.window < 3:
            raise ValueError("window must be >= 3")
        if self.min_features is not None and self.min_features < 1:
            raise ValueError("min_features must be >= 1 (or None: all features)")


def standardise_columns(x: np.ndarray, min_obs: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre and unit-normalise each column of a (W, N) window over its valid entries.

    Returns:
        z: (W, N) float32, NaN -> 0, columns with unit L2 norm (zero for invalid columns);
        valid: (N,) bool, at least ``min_obs`` finite values and non-zero spread.
    """
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    count = finite.sum(axis=0)
    xs = np.where(finite, x, 0.0)
    mean = xs.sum(axis=0) / np.maximum(count, 1)
    centred = np.where(finite, x - mean, 0.0)
    norm = np.sqrt((centred**2).sum(axis=0))
    scale = np.maximum(np.abs(mean), 1.0)
    valid = (count >= min_obs) & (norm > 1e-12 * scale * np.sqrt(np.maximum(count, 1)))
    z = np.where(valid, centred / np.where(norm > 0, norm, 1.0), 0.0)
    return z.astype(np.float32), valid


def correlation_edges(
    windows: Sequence[np.ndarray],
    config: CorrelationGraphConfig,
    *,
    exclude_labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the mean-correlation graph of one date.

    Args:
        windows: F arrays of shape (W, N), one per feature, same stocks in the same order.
        config: threshold / top-k / block settings.
        exclude_labels: optional (N,) int labels; pairs with the same label >= 0 are not
            candidates (R3 adds its same-industry edges separately).

    Returns:
        (src, dst, weight): int64, int64, float64 arrays; both directions; no self loops.
    """
    if not windows:
        raise ValueError("correlation_edges needs at least one feature window")
    shapes = {np.shape(w) for w in windows}
    if len(shapes) != 1:
        raise DataContractError(f"feature windows differ in shape: {sorted(shapes)}", Location(column="features"))
    w_len, n = next(iter(shapes))
    min_obs = int(np.ceil(config.min_obs_frac * w_len))
    f = len(windows)
    zs, vs = [], []
    for x in windows:
        z, v = standardise_columns(x, min_obs)
        zs.append(z)
        vs.append(v)
    valid_f = np.stack(vs)  # (F, N)
    if config.min_features is None:
        valid = valid_f.all(axis=0)
        z = np.concatenate(zs, axis=0) / np.float32(np.sqrt(f))  # (F*W, N): C = Z^T Z = mean corr
        counts, min_count = None, None
    else:
        valid = valid_f.sum(axis=0) >= config.min_features
        z = np.concatenate(zs, axis=0)  # (F*W, N): Z^T Z = sum of the valid correlations
        counts, min_count = valid_f.astype(np.float32), config.min_features
    vidx = np.flatnonzero(valid)
    if len(vidx) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    zv = np.ascontiguousarray(z[:, vidx])  # only valid stocks enter the products
    labels = None if exclude_labels is None else np.asarray(exclude_labels, dtype=np.int64)[vidx]
    src, dst, wt = gram_edges(
        zv,
        threshold=config.threshold,
        top_k=config.top_k,
        block_size=config.block_size,
        exclude_labels=labels,
        counts=None if counts is None else np.ascontiguousarray(counts[:, vidx]),
        min_count=min_count,
    )
    return vidx[src], vidx[dst], wt


def gram_edges(
    zv: np.ndarray,
    *,
    threshold: float | None,
    top_k: int | None,
    block_size: int = 1024,
    exclude_labels: np.ndarray | None = None,
    counts: np.ndarray | None = None,
    min_count: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the Gram matrix G = Z^T Z of column vectors, formed ``block_size`` rows at a time.

    With ``counts`` (F, M) 0/1 indicators, G_ij is divided by K_ij = sum_f counts_fi counts_fj
    (a mean over the F terms valid for both) and pairs with K_ij < ``min_count`` are dropped.

    Keeps (i, j), i != j, with G_ij > ``threshold`` (when given) and, when ``top_k`` is
    given, only the k largest of row i, then symmetrises by union (max weight).

    Args:
        zv: (D, M) float array; column j is stock j's (normalised) vector.
        exclude_labels: optional (M,) int labels; pairs sharing a label >= 0 are dropped.

    Returns:
        (src, dst, weight) with positions in 0..M-1, sorted by (src, dst), both directions.
    """
    m = zv.shape[1]
    if m < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    labels = exclude_labels
    k = None if top_k is None else min(top_k, m - 1)
    srcs, dsts, ws = [], [], []
    for lo in range(0, m, block_size):
        hi = min(lo + block_size, m)
        c = zv[:, lo:hi].T @ zv  # (B, M)
        if counts is not None:
            k_ij = counts[:, lo:hi].T @ counts  # (B, M) features valid for both
            with np.errstate(divide="ignore", invalid="ignore"):
                c = np.where(k_ij >= (min_count or 1), c / np.maximum(k_ij, 1), -np.inf).astype(np.float32)
        rows = np.arange(hi - lo)
        c[rows, lo + rows] = -np.inf  # no self loops
        if labels is not None:
            same = (labels[lo:hi, None] == labels[None, :]) & (labels[lo:hi, None] >= 0)
            c[same] = -np.inf
        if threshold is not None:
            c[c <= threshold] = -np.inf
        if k is not None:
            part = np.argpartition(-c, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(c, part, axis=1)
            ok = np.isfinite(vals)
            r = np.broadcast_to(rows[:, None], part.shape)[ok]
            srcs.append(lo + r)
            dsts.append(part[ok])
            ws.append(vals[ok])
        else:
            r, col = np.nonzero(np.isfinite(c))
            srcs.append(lo + r)
            dsts.append(col)
            ws.append(c[r, col])
    src = np.concatenate(srcs).astype(np.int64)
    dst = np.concatenate(dsts).astype(np.int64)
    wt = np.concatenate(ws).astype(np.float64)
    if k is not None:
        return symmetrise(src, dst, wt, m)  # kNN is directed: keep the union
    order = np.lexsort((dst, src))
    return src[order], dst[order], wt[order]


def window_arrays(
    panel: Panel, date: pd.Timestamp, codes: np.ndarray, fields: Sequence[str], window: int
) -> list[np.ndarray] | None:
    """The (window, len(codes)) slices of ``fields`` ending at the last panel date <= ``date``.

    Codes absent from the panel get all-NaN columns (hence no edges). None when the
    panel has fewer than ``window`` dates up to ``date``.
    """
    end = panel.dates.searchsorted(pd.Timestamp(date), side="right")
    if end < window:
        return None
    cols = panel.codes.get_indexer(pd.Index(codes))
    present = cols >= 0
    out = []
    for name in fields:
        if name not in panel.fields:
            raise DataContractError("correlation feature missing from the panel", Location(column=name))
        block = np.full((window, len(codes)), np.nan)
        block[:, present] = panel.fields[name][end - window : end, cols[present]]
        out.append(block)
    return out


def as_panel(features: Panel | pd.DataFrame, fields: Sequence[str] | None = None) -> tuple[Panel, list[str]]:
    """Accept a :class:`Panel` of (T, N) arrays or a long (date, code, *features) table."""
    if isinstance(features, Panel):
        names = list(features.fields) if fields is None else list(fields)
        return features, names
    if not isinstance(features, pd.DataFrame) or not {"date", "code"} <= set(features.columns):
        raise DataContractError("features must be a Panel or a long table with date and code", Location(column="date"))
    names = [c for c in features.columns if c not in ("date", "code")] if fields is None else list(fields)
    for name in names:
        if name not in features.columns:
            raise DataContractError("feature column missing", Location(column=name))
    return Panel.from_long(features, names), names


def rolling_correlation_graph(
    features: Panel | pd.DataFrame,
    rebuild_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    *,
    kind: GraphKind | str,
    config: CorrelationGraphConfig = CorrelationGraphConfig(),
    fields: Sequence[str] | None = None,
    universe: Universe = None,
    member_column: str | None = None,
) -> pd.DataFrame:
    """Mean-correlation graph of ``fields`` on each rebuild date (window ending that day).

    Args:
        features: (T, N) :class:`Panel` or long (date, code, feature...) table.
        rebuild_dates: build dates; a date with fewer than ``config.window`` panel dates
            up to it yields no edges (logged).
        kind: the :class:`GraphKind` label of the output.
        fields: feature names to average over (default: all).
        universe: node set per date (default: every panel code).

    Returns:
        Edge list (date, graph, src, dst, weight = mean correlation).
    """
    panel, names = as_panel(features, fields)
    frames, skipped = [], []
    for date in pd.DatetimeIndex(rebuild_dates):
        codes = universe_codes(universe, date, member_column=member_column)
        codes = panel.codes.to_numpy(dtype=object) if codes is None else codes
        wins = window_arrays(panel, date, codes, names, config.window)
        if wins is None:
            skipped.append(pd.Timestamp(date))
            continue
        src, dst, w = correlation_edges(wins, config)
        frames.append(edges_frame(date, kind, codes, src, dst, w))
    log_skipped_dates(
        f"{kind} graph", skipped, len(rebuild_dates), f"fewer than {config.window} days of data, no edges"
    )
    return concat_edges(frames)


def log_skipped_dates(what: str, skipped: Sequence[pd.Timestamp], total: int, why: str) -> None:
    """One INFO line for all the rebuild dates a builder skipped (one per date would flood a
    monthly backfill: a partition range is rebuilt date by date)."""
    if not skipped:
        return
    span = f"{skipped[0].date()}" if len(skipped) == 1 else f"{skipped[0].date()}..{skipped[-1].date()}"
    log.info("%s: %d of %d rebuild dates (%s): %s", what, len(skipped), total, span, why)
