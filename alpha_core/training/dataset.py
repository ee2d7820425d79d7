"""Build :class:`DayBatch` lists from long (date, code) tables.

Inputs (all long tables sorted or not, ``date`` datetime64, ``code`` canonical):
- features: date, code, one column per feature.
- labels (optional): date, code, ``label_col``. Training days drop stocks with a missing
  label (SPEC: "drop missing"). Scoring batches are built without a labels table: they keep
  every stock and carry ``y = None`` (:func:`alpha_core.training.walkforward.fold_batches`).
- universe (optional): date, code, bool ``universe_col``; only True rows enter a batch.
- adjacency (optional): the ``adjacency`` asset, columns date (effective from), graph, src,
  dst, weight. For day T each graph uses its latest version dated <= T (as of, causal).
  Graphs named in ``dense_graphs`` become bool (N, N) masks (``mask[i, j]``: edge src j ->
  dst i); others become ``edge_index`` (2, E) plus ``f"{name}_weight"`` (E,).
- groups (optional): date, code and one column per block graph (e.g. ``sector``): stocks
  with equal group labels are neighbours. As-of by date per code. The batch carries an int64
  (N,) vector of group ids (-1 = unknown), expanded to the mask inside the attention: far
  cheaper than an edge list or stored masks for block-dense graphs (5,000 stocks in 5
  sectors is 5M edges; 1,512 days of 1,000-stock masks is 1.5 GB).

Looping is per day (one batch per day); the per-stock work inside a day is vectorised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import torch

from alpha_core.batch import DayBatch
from alpha_core.errors import DataContractError, Location
from alpha_core.training.normalizer import FeatureNormalizer

log = logging.getLogger(__name__)

DENSE_GRAPHS = ("sector", "industry")


def _check(frame: pd.DataFrame, name: str, columns: Iterable[str], keys: Sequence[str] = ("date", "code")) -> None:
    for col in [*keys, *columns]:
        if col not in frame.columns:
            raise DataContractError(f"{name} table lacks a column", Location(file=name, column=col))


class _GraphIndex:
    """Edge lists of one graph, grouped by effective date, codes as global integer ids."""

    def __init__(self, edges: pd.DataFrame, code_ids: pd.Index):
        edges = edges.sort_values("date", kind="stable")
        self.dates = pd.DatetimeIndex(np.sort(edges["date"].unique()))
        self.versions: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        src = code_ids.get_indexer(edges["src"])
        dst = code_ids.get_indexer(edges["dst"])
        weight = edges["weight"].to_numpy(np.float32) if "weight" in edges else np.ones(len(edges), np.float32)
        bounds = np.searchsorted(edges["date"].to_numpy(), self.dates.to_numpy(), side="left")
        bounds = np.append(bounds, len(edges))
        for k in range(len(self.dates)):
            sl = slice(bounds[k], bounds[k + 1])
            ok = (src[sl] >= 0) & (dst[sl] >= 0)  # edges to stocks never in any batch are dropped
            self.versions.append((src[sl][ok], dst[sl][ok], weight[sl][ok]))

    def at(self, date: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        k = int(self.dates.searchsorted(date, side="right")) - 1
        return None if k < 0 else self.versions[k]


def build_day_batches(
    features: pd.DataFrame,
    feature_cols: Sequence[str],
    *,
    labels: pd.DataFrame | None = None,
    label_col: str | None = None,
    universe: pd.DataFrame | None = None,
    universe_col: str | None = None,
    adjacency: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    dense_graphs: Sequence[str] = DENSE_GRAPHS,
    dates: Iterable[pd.Timestamp] | None = None,
    normalizer: FeatureNormalizer | None = None,
    require_label: bool = True,
    min_stocks: int = 2,
) -> list[DayBatch]:
    """One :class:`DayBatch` per date (ascending) restricted to ``dates`` when given.

    ``require_label``: drop stocks without a finite label (training / validation); with
    False every universe stock is kept (scoring). Days with fewer than ``min_stocks`` stocks
    are skipped. ``x`` = ``normalizer.transform`` of the features (NaN -> 0 without one).
    """
    feature_cols = list(feature_cols)
    _check(features, "features", feature_cols)
    df = features[["date", "code", *feature_cols]]
    if dates is not None:
        df = df[df["date"].isin(pd.DatetimeIndex(list(dates)))]
    if universe is not None:
        if universe_col is None:
            raise ValueError("universe_col is required with a universe table")
        _check(universe, "universe", [universe_col])
        members = universe.loc[universe[universe_col].astype(bool), ["date", "code"]]
        df = df.merge(members, on=["date", "code"], how="inner")
    if labels is not None:
        if label_col is None:
            raise ValueError("label_col is required with a labels table")
        _check(labels, "labels", [label_col])
        df = df.merge(labels[["date", "code", label_col]], on=["date", "code"], how="left")
        if require_label:
            df = df[np.isfinite(df[label_col].to_numpy(np.float64, na_value=np.nan))]
    elif require_label:
        raise ValueError("require_label=True needs a labels table")
    if df.duplicated(["date", "code"]).any():
        bad = df.loc[df.duplicated(["date", "code"]), ["date", "code"]].iloc[0]
        raise DataContractError(
            "duplicate (date, code) rows", Location(file="features", instrument=str(bad["code"]), date=str(bad["date"]))
        )
    group_names: list[str] = []
    if groups is not None:
        group_names = [c for c in groups.columns if c not in ("date", "code")]
        g = groups.assign(date=groups["date"].astype("datetime64[ns]"), code=groups["code"].astype(object))
        left = df.assign(date=df["date"].astype("datetime64[ns]"), code=df["code"].astype(object))
        df = pd.merge_asof(
            left.sort_values("date"), g.sort_values("date"), on="date", by="code", direction="backward"
        )  # causal: latest group assignment dated <= T
    df = df.sort_values(["date", "code"], kind="stable").reset_index(drop=True)

    codes_all = pd.Index(np.sort(df["code"].unique()))
    graph_index: dict[str, _GraphIndex] = {}
    if adjacency is not None and len(adjacency):
        _check(adjacency, "adjacency", ["graph", "src", "dst"], keys=("date",))
        for name, edges in adjacency.groupby("graph", sort=True):
            graph_index[str(name)] = _GraphIndex(edges, codes_all)

    x_all = df[feature_cols].to_numpy(np.float64, na_value=np.nan)
    x_all = (normalizer or FeatureNormalizer(feature_cols)).transform(x_all)
    y_all = df[label_col].to_numpy(np.float32, na_value=np.nan) if labels is not None else None
    code_pos = codes_all.get_indexer(df["code"])
    code_arr = df["code"].to_numpy(object)
    group_codes = {
        name: pd.factorize(df[name], use_na_sentinel=True)[0] for name in group_names
    }  # NaN group -> -1, no neighbours but itself

    date_values = df["date"].to_numpy()
    starts = np.flatnonzero(np.r_[True, date_values[1:] != date_values[:-1]])
    ends = np.r_[starts[1:], len(df)]
    inv = np.full(len(codes_all), -1, dtype=np.int64)
    out: list[DayBatch] = []
    for a, b in zip(starts, ends):
        if b - a < min_stocks:
            continue
        date = pd.Timestamp(date_values[a])
        n = b - a
        graphs: dict[str, torch.Tensor] = {}
        for name in group_names:
            g = group_codes[name][a:b]
            graphs[name] = torch.from_numpy(g.astype(np.int64))  # (N,) group ids, see attention.group_mask
        if graph_index:
            pos = code_pos[a:b]
            inv[pos] = np.arange(n)
            for name, gi in graph_index.items():
                version = gi.at(date)
                if version is None:
                    continue  # no graph yet for this day: the model decides (GATResidual raises)
                src, dst, w = inv[version[0]], inv[version[1]], version[2]
                ok = (src >= 0) & (dst >= 0)
                if name in dense_graphs:
                    mask = np.zeros((n, n), dtype=bool)
                    mask[dst[ok], src[ok]] = True
                    graphs[name] = torch.from_numpy(mask)
                else:
                    graphs[name] = torch.from_numpy(np.stack([src[ok], dst[ok]]).astype(np.int64))
                    graphs[f"{name}_weight"] = torch.from_numpy(w[ok].copy())
            inv[pos] = -1
        out.append(
            DayBatch(
                date=date,
                codes=list(code_arr[a:b]),
                x=torch.from_numpy(x_all[a:b].copy()),
                y=None if y_all is None else torch.from_numpy(y_all[a:b].copy()),
                graphs=graphs,
            )
        )
    log.debug("built %d day batches from %d rows", len(out), len(df))
    return out


def fit_normalizer(
    features: pd.DataFrame, feature_cols: Sequence[str], train_dates: Iterable[pd.Timestamp], clip: float = 5.0
) -> FeatureNormalizer:
    """A :class:`FeatureNormalizer` fitted on the rows of ``train_dates`` only."""
    rows = features[features["date"].isin(pd.DatetimeIndex(list(train_dates)))]
    return FeatureNormalizer(list(feature_cols), clip).fit(
        rows[list(feature_cols)].to_numpy(np.float64, na_value=np.nan)
    )
