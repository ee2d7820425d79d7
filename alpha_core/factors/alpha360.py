"""Qlib's Alpha360 (``qlib.contrib.data.loader.Alpha360DL``): the last 60 days of normalised OHLCV.

For lag i in 59 .. 0 and field F in (close, open, high, low, vwap), with ADJUSTED prices:

    a360_<F><i>      = F_{t-i} / C_t                  (Qlib: Ref($F, i)/$close)
    a360_volume<i>   = V_{t-i} / (V_t + 1e-12)        (Qlib: Ref($volume, i)/($volume+1e-12))

360 fields, in Qlib's order (CLOSE59 .. CLOSE0, OPEN59 .., HIGH, LOW, VWAP, VOLUME); :data:`QLIB_NAMES`
maps ``a360_close59`` -> ``CLOSE59``. A day t-i on which the stock was suspended reads as a flat
bar at the last traded close with volume 0 (what Qlib reads from a dump that carries the close
forward; the same convention as :class:`alpha_core.factors.sequences.SequenceBuilder`); before
the stock's first bar the field is NaN. The field is NaN on a suspended day t itself. Only rows
up to t are read.

Memory: each field is one (T, N) array, but all 360 as float32 columns of a long table cost
1.44 kB per (date, stock) row: 3.2 GB for 706 stocks x 3,159 days, ~27 GB for a 5,000-stock
market over 15 years. Every field is computable by name through ``compute_factors`` (pick the
few you need); sequence models should NOT materialise the table but read one date at a time
with :class:`Alpha360Sequences`, which returns the (N, 60, 6) tensor Qlib's sequence models
build by reshaping the 360 columns (6 features x 60 days, oldest day first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors.base import Factor
from alpha_core.factors.inputs import FactorContext, FactorInputs

PREFIX = "a360_"
LAGS = 60
PRICE_FIELDS: tuple[str, ...] = ("close", "open", "high", "low", "vwap")
FIELDS: tuple[str, ...] = PRICE_FIELDS + ("volume",)
EPS = 1e-12


def filled_field(ctx: FactorContext, field: str) -> np.ndarray:
    """(T, N) field on every row since the stock's first bar: suspended days read as a flat bar at
    the last traded close (prices) or 0 (volume); NaN before the first bar."""

    def build():
        cff = ctx.close_ff
        if field == "close":
            return cff
        if field == "volume":
            v = np.where(ctx.active, ctx.field("volume"), 0.0)
            return np.where(np.isnan(cff), np.nan, v)
        return np.where(ctx.active, ctx.adjusted(field), cff)

    return ctx._cache(f"a360_filled_{field}", build)


def _field(field: str, i: int):
    def fn(ctx: FactorContext) -> np.ndarray:
        src = filled_field(ctx, field)
        past = src if i == 0 else np.vstack([np.full((i, src.shape[1]), np.nan), src[:-i]])[: src.shape[0]]
        den = ctx.field("volume") + EPS if field == "volume" else ctx.adjusted("close")  # NaN on suspended t
        with np.errstate(invalid="ignore", divide="ignore"):
            return past / den

    return fn


_SPECS = [(f"{f.upper()}{i}", _field(f, i)) for f in FIELDS for i in range(LAGS - 1, -1, -1)]
QLIB_NAMES: dict[str, str] = {PREFIX + q.lower(): q for q, _ in _SPECS}
ALPHA360_FACTORS: tuple[str, ...] = tuple(QLIB_NAMES)
FACTORS: tuple[Factor, ...] = tuple(Factor(PREFIX + q.lower(), fn, "alpha360") for q, fn in _SPECS)


class Alpha360Sequences:
    """Alpha360 as (N, 60, 6) float32 per date, for sequence models (no 360-column table).

    ``out[n, l, f]`` = field f in :data:`FIELDS` order (close, open, high, low, vwap, volume) of
    day t-59+l, normalised by C_t (prices) or V_t + 1e-12 (volume): the same numbers as the
    ``a360_*`` columns (``out[n, 59 - i, 0]`` is ``a360_close<i>``). NaN where the fields are NaN
    (before a stock's first bar, or a source without vwap); fill or mask in the model's
    preprocessing, fitted on the training window only.
    """

    def __init__(self, inputs: FactorInputs | FactorContext):
        self.ctx = inputs if isinstance(inputs, FactorContext) else FactorContext(inputs)
        self._fields = np.stack([filled_field(self.ctx, f) for f in FIELDS], axis=-1)  # (T, N, 6)

    def __call__(self, date: pd.Timestamp | str, codes: list[str] | None = None) -> tuple[list[str], np.ndarray]:
        """(codes, (N, 60, 6) float32) for ``date``; codes default: the stocks traded that day."""
        ctx = self.ctx
        t = ctx.dates.get_indexer([pd.Timestamp(date)])[0]
        if t < 0:
            raise DataContractError("date is not a trading day of the bars", Location(date=str(date)))
        if t + 1 < LAGS:
            raise DataContractError(
                f"fewer than {LAGS} trading days of history before the date",
                Location(date=str(pd.Timestamp(date).date())),
            )
        if codes is None:
            cols = np.flatnonzero(ctx.active[t])
        else:
            cols = ctx.codes.get_indexer(codes)
            if (cols < 0).any():
                bad = [c for c, i in zip(codes, cols, strict=True) if i < 0][0]
                raise DataContractError("code not in bars", Location(instrument=bad, date=str(date)))
        win = self._fields[t - LAGS + 1 : t + 1][:, cols]  # (60, N, 6)
        den = np.empty((len(cols), len(FIELDS)))
        den[:, :-1] = ctx.adjusted("close")[t, cols][:, None]
        den[:, -1] = ctx.field("volume")[t, cols] + EPS
        with np.errstate(invalid="ignore", divide="ignore"):
            out = win.transpose(1, 0, 2) / den[:, None, :]
        return list(ctx.codes[cols]), out.astype(np.float32)
