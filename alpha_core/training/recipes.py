"""Input recipes: how what a model reads besides ``x`` reaches its :class:`DayBatch`.

One helper per input kind, each a causal gather (only rows dated <= the batch date are read),
applied to the batches of :func:`alpha_core.training.dataset.build_day_batches` by the batch
hook that :func:`alpha_core.training.inputs.prepare_fold_inputs` builds from a spec's
:class:`~alpha_core.training.specs.InputRecipe` and inputs:

- :func:`attach_sequences`: ``seq`` (N, L, S) from a wide :class:`~alpha_core.data.panel.Panel`
  of daily features, the L trading days ending at T.
- :func:`attach_node_features`: ``extras[key]`` (N, F) from a long (date, code) table at T.
- :func:`attach_macro`: ``macro`` (K + 1, 3) from the ``macro_series`` table (as of T), one
  :func:`macro_window` per batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from alpha_core.batch import DayBatch
from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location
from alpha_core.models.pinn import MACRO_DRIVERS


def macro_window(macro_series: pd.DataFrame, date: pd.Timestamp, step: int = 21, n_lags: int = 1) -> torch.Tensor:
    """The day's macro input (n_lags + 1, 3) for ``batch.macro``: the
    :data:`~alpha_core.models.pinn.MACRO_DRIVERS` row of
    ``date`` and of the rows ``step``, 2 ``step``, ... rows earlier (newest first).

    ``macro_series`` has one row per trading day (a ``date`` column or a DatetimeIndex,
    ascending) with the driver columns known at the close of that day; the row used for
    ``date`` is the last one on or before it (as-of), so only past rows are read.

    Raises DataContractError (naming the date / column) when the history is too short or a
    driver is missing.
    """
    drivers = macro_series.set_index("date") if "date" in macro_series.columns else macro_series
    missing = [c for c in MACRO_DRIVERS if c not in drivers.columns]
    if missing:
        raise DataContractError(
            f"macro series lacks driver columns {missing}", Location(file="macro_series", column=missing[0])
        )
    idx = pd.DatetimeIndex(drivers.index)
    if not idx.is_monotonic_increasing:
        raise DataContractError("macro series dates must be ascending", Location(file="macro_series", column="date"))
    pos = int(idx.searchsorted(pd.Timestamp(date), side="right")) - 1
    rows = [pos - k * step for k in range(n_lags + 1)]
    if rows[-1] < 0:
        raise DataContractError(
            f"macro history too short for {n_lags} lags of {step} days",
            Location(file="macro_series", date=str(pd.Timestamp(date).date())),
        )
    values = drivers[list(MACRO_DRIVERS)].to_numpy(dtype=np.float64)[rows]
    bad = ~np.isfinite(values)
    if bad.any():
        k, j = np.argwhere(bad)[0]
        raise DataContractError(
            f"macro driver is missing at lag {k}",
            Location(file="macro_series", column=MACRO_DRIVERS[j], date=str(idx[rows[k]].date())),
        )
    return torch.as_tensor(values, dtype=torch.float32)


def attach_sequences(
    batches: Sequence[DayBatch], panel: Panel, fields: Sequence[str], length: int, fill: float = 0.0
) -> list[DayBatch]:
    """Batches with ``seq`` (N, length, S): ``panel``'s ``fields`` on the ``length`` trading days
    of ``panel.dates`` ending at the batch date (causal: nothing after T is read).

    Steps before the panel starts and missing values are ``fill`` (zero padding, like
    :class:`alpha_core.factors.sequences.SequenceBuilder`). A stock absent from the panel
    raises DataContractError naming it and the date.
    """
    fields = list(fields)
    for f in fields:
        if f not in panel.fields:
            raise DataContractError(f"sequence panel lacks field {f!r}", Location(column=f))
    arrays = [panel.fields[f] for f in fields]  # (T, N_all) each; no (T, N_all, S) copy
    out = []
    for b in batches:
        t = int(panel.dates.searchsorted(pd.Timestamp(b.date), side="right")) - 1
        if t < 0 or panel.dates[t] != pd.Timestamp(b.date):
            raise DataContractError(
                "sequence panel has no row for the batch date",
                Location(column="seq", date=str(pd.Timestamp(b.date).date())),
            )
        cols = panel.codes.get_indexer(pd.Index(b.codes))
        if (cols < 0).any():
            raise DataContractError(
                "stock missing from the sequence panel",
                Location(
                    column="seq", instrument=b.codes[int(np.argmax(cols < 0))], date=str(pd.Timestamp(b.date).date())
                ),
            )
        lo = max(0, t - length + 1)  # days t-L+1..t, zero-padded before the panel starts
        window = np.full((b.n, length, len(fields)), fill, dtype=np.float32)
        for k, arr in enumerate(arrays):
            window[:, length - (t + 1 - lo) :, k] = arr[lo : t + 1, cols].T
        window = np.nan_to_num(window, nan=fill, posinf=fill, neginf=fill)
        out.append(dataclasses.replace(b, seq=torch.from_numpy(window)))
    return out


def attach_node_features(
    batches: Sequence[DayBatch], table: pd.DataFrame, columns: Sequence[str], key: str, fill: float = 0.0
) -> list[DayBatch]:
    """Batches with ``extras[key]`` (N, F): ``columns`` of the long (date, code) ``table`` on the
    batch date (preprocessed upstream); missing stocks / values become ``fill``."""
    columns = list(columns)
    for c in ["date", "code", *columns]:
        if c not in table.columns:
            raise DataContractError(f"node feature table lacks column {c!r}", Location(column=c))
    by_date = {pd.Timestamp(d): g for d, g in table.groupby("date", sort=False)}
    out = []
    for b in batches:
        g = by_date.get(pd.Timestamp(b.date))
        values = np.full((b.n, len(columns)), fill, dtype=np.float32)
        if g is not None:
            pos = pd.Index(g["code"]).get_indexer(pd.Index(b.codes))
            have = pos >= 0
            values[have] = g[columns].to_numpy(np.float32, na_value=np.nan)[pos[have]]
        values = np.nan_to_num(values, nan=fill, posinf=fill, neginf=fill)
        out.append(dataclasses.replace(b, extras={**b.extras, key: torch.from_numpy(values)}))
    return out


def attach_macro(
    batches: Sequence[DayBatch], macro_series: pd.DataFrame, step: int = 21, n_lags: int = 1
) -> list[DayBatch]:
    """Batches with ``macro`` (n_lags + 1, 3) from :func:`macro_window` (as of each batch date)."""
    return [dataclasses.replace(b, macro=macro_window(macro_series, b.date, step, n_lags)) for b in batches]
