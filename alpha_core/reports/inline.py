"""Charts as small inline PNGs for the Dagster UI: Markdown ``![alt](data:image/png;base64,...)``.

The UI's Markdown renderer (rehype-sanitize with ``data`` added to the ``src`` protocols) shows
such images; entries over 1000 characters open behind a "[Show Markdown]" link. PNG bytes are
deterministic: the Agg canvas is quantised to a small palette and written by Pillow without text
chunks (no software name, no timestamp), so the same figure and library versions give the same
bytes and reruns leave the metadata unchanged.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image

from alpha_core.reports import plotting
from alpha_core.reports.signal_inputs import rank_ic_by_date

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DPI = 80
SIGNAL_METRICS = [
    "ic",
    "ic_ir",
    "rank_ic",
    "rank_ic_ir",
    "weighted_ic",
    "weighted_rank_ic",
    "weighted_rank_ic_ir",
    "top_precision",
    "bottom_precision",
    "long_short_ann",
    "autocorr",
    "top_turnover",
]


def figure_png(fig: Figure, width_px: int = 700, height_px: int = 300, dpi: int = DPI, colors: int = 64) -> bytes:
    """PNG bytes of ``fig`` drawn at ``width_px`` x ``height_px`` pixels with a ``colors``-entry
    palette (median cut, no dithering); the figure's size and dpi are restored after."""
    size, old_dpi = fig.get_size_inches().copy(), fig.dpi
    fig.set_dpi(dpi)
    fig.set_size_inches(width_px / dpi, height_px / dpi)
    try:
        fig.canvas.draw()
        rgb = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")
    finally:
        fig.set_dpi(old_dpi)
        fig.set_size_inches(size)
    # a palette PNG is ~1/4 of the RGBA one (charts have few colours); PIL writes no text chunks
    img = rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    img.save(buf, format="png", optimize=True)
    return buf.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown image whose source is the base64 ``data:image/png`` URI of ``png``."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not PNG bytes")
    text = alt.replace("[", "(").replace("]", ")").replace("\n", " ")
    return f"![{text}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def chart_markdown(fig: Figure, alt: str, width_px: int = 700, height_px: int = 300, dpi: int = DPI) -> str:
    """:func:`markdown_image` of :func:`figure_png` of ``fig``."""
    return markdown_image(figure_png(fig, width_px, height_px, dpi), alt)


def finite_floats(row: Mapping[str, object] | pd.Series, keys: Iterable[str]) -> dict[str, float]:
    """``{key: float(row[key])}`` for the keys present in ``row`` whose value is a finite number."""
    out: dict[str, float] = {}
    for k in keys:
        if k not in row:
            continue
        try:
            v = float(row[k])
        except (TypeError, ValueError):
            continue
        if math.isfinite(v):
            out[k] = v
    return out


def signal_evaluation_chart(
    frame: pd.DataFrame, table: pd.DataFrame, *, label: str, step: int, name: str = "", score: str = "score"
) -> tuple[str, pd.Series]:
    """(Markdown image of the cumulative RankIC and RankIC per year, the per-date RankIC series).

    ``frame``/``label``/``step`` as given to :func:`alpha_core.metrics.signal.evaluate_signal`,
    ``table`` its result (the per-year ``rank_ic`` bars; the ``all`` row is left out).
    """
    ic = rank_ic_by_date(frame, label, step=step, score=score)
    years = table.loc[[p for p in table.index if p != "all"], "rank_ic"] if "rank_ic" in table else None
    fig = plotting.plot_cumulative_ic(ic, years, title=f"{name} RankIC".strip())
    return chart_markdown(fig, f"{name} cumulative RankIC".strip(), 700, 400), ic


SPARKLINE_LIMIT = 1000  # the UI shows Markdown metadata inline only below this many characters


def sparkline_markdown(
    values: Iterable[float], alt: str, width: int = 280, height: int = 56, points: int = 60, colour: str = "#1f77b4"
) -> str:
    """A one-line SVG chart of ``values`` as a Markdown image with a ``data:image/svg+xml`` URI,
    short enough (< :data:`SPARKLINE_LIMIT` characters) for the Dagster UI to draw it inside the
    metadata table, without a click.

    ``values`` are sampled at ``points`` evenly spaced positions (first and last kept), scaled to
    the box (min at the bottom, max at the top; a flat series draws a mid line), with a dashed
    zero line when 0 lies inside the range. Non-finite values are dropped. Deterministic text.
    """
    v = np.asarray([x for x in values if math.isfinite(float(x))], dtype=float)
    if len(v) == 0:
        raise ValueError("sparkline of no finite values")
    idx = np.unique(np.linspace(0, len(v) - 1, min(points, len(v))).round().astype(int))
    s = v[idx]
    lo, hi = float(s.min()), float(s.max())
    pad = 2.0

    def y(val: float) -> float:
        return height / 2 if hi == lo else pad + (hi - val) / (hi - lo) * (height - 2 * pad)

    xs = np.linspace(pad, width - pad, len(s)) if len(s) > 1 else np.array([width / 2])
    path = "M" + "L".join(f"{x:.0f},{y(val):.0f}" for x, val in zip(xs, s, strict=True))
    zero = f"<path d='M0,{y(0.0):.0f}H{width}' stroke='%23999' stroke-dasharray='3'/>" if lo < 0 < hi else ""
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>{zero}"
        f"<path d='{path}' fill='none' stroke='{colour.replace('#', '%23')}' stroke-width='1.5'/></svg>"
    )
    text = alt.replace("[", "(").replace("]", ")").replace("\n", " ")
    md = f"![{text}](data:image/svg+xml;utf8,{svg.replace(' ', '%20').replace('<', '%3C').replace('>', '%3E')})"
    if len(md) >= SPARKLINE_LIMIT:
        raise ValueError(f"sparkline of {len(md)} characters; lower `points` (limit {SPARKLINE_LIMIT})")
    return md
