"""R2's daily price/volume sequence inputs (BiAGRU): an (N, L, S) array per date.

For date T and the L trading days s = T-L+1 .. T, with adjusted prices (forward-filled
over suspensions, so a suspended day repeats the last close):

    open_s / close_T, high_s / close_T, low_s / close_T, close_s / close_T, vwap_s / close_T
    volume_s / mean(volume over the L days)       (0 on no-trade days)
    turnover_s                                     (fraction; 0 on no-trade days)

S = len(SEQUENCE_FIELDS) = 7. Only data up to T is read. Days before a stock's first bar
are filled with 0 (the model sees a zero-padded prefix); stocks without a price at T are
dropped. Normalising by the window's own last close / mean volume makes the inputs
scale-free across stocks without any cross-date statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors.inputs import FactorContext, FactorInputs, ffill_rows
from alpha_core.factors.rolling import safe_div

SEQUENCE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "vwap", "volume", "turnover")


class SequenceBuilder:
    """Builds (N, L, S) daily sequences for any date of ``inputs.bars`` (arrays cached once)."""

    def __init__(self, inputs: FactorInputs | FactorContext, length: int = 40):
        self.ctx = inputs if isinstance(inputs, FactorContext) else FactorContext(inputs)
        self.length = length
        ctx = self.ctx
        close = ctx.close_ff
        fill = {f: ffill_rows(np.where(ctx.active, ctx.adjusted(f), close)) for f in ("open", "high", "low", "vwap")}
        self._prices = np.stack([fill["open"], fill["high"], fill["low"], close, fill["vwap"]], axis=-1)
        self._volume = np.nan_to_num(ctx.field("volume"), nan=0.0)
        self._turnover = np.nan_to_num(ctx.field("turnover"), nan=0.0)

    def __call__(self, date: pd.Timestamp | str, codes: list[str] | None = None) -> tuple[list[str], np.ndarray]:
        """Returns (codes, float32 array (N, L, S)) for ``date`` (codes default: all with a price at T)."""
        ctx, L = self.ctx, self.length
        t = ctx.dates.get_indexer([pd.Timestamp(date)])[0]
        if t < 0:
            raise DataContractError("date is not a trading day of the bars", Location(date=str(date)))
        if t + 1 < L:
            raise DataContractError(
                f"fewer than L={L} trading days of history before the date",
                Location(date=str(pd.Timestamp(date).date())),
            )
        last_close = ctx.close_ff[t]
        if codes is None:
            cols = np.flatnonzero(~np.isnan(last_close) & ctx.present[t])
        else:
            cols = ctx.codes.get_indexer(codes)
            if (cols < 0).any():
                bad = [c for c, i in zip(codes, cols, strict=True) if i < 0][0]
                raise DataContractError("code not in bars", Location(instrument=bad, date=str(date)))
        win = slice(t - L + 1, t + 1)
        prices = self._prices[win][:, cols] / last_close[cols][None, :, None]  # (L, N, 5)
        vol = self._volume[win][:, cols]
        vol = safe_div(vol, vol.mean(axis=0, keepdims=True))
        out = np.concatenate([prices, vol[..., None], self._turnover[win][:, cols][..., None]], axis=-1)
        out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).transpose(1, 0, 2)
        return list(ctx.codes[cols]), out.astype(np.float32)


def daily_sequences(
    inputs: FactorInputs, date: pd.Timestamp | str, length: int = 40, codes: list[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """One-shot :class:`SequenceBuilder` call: (codes, (N, L, 7) float32) for ``date``."""
    return SequenceBuilder(inputs, length)(date, codes)
