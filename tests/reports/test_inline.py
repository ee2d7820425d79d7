"""Inline chart PNGs (base64 Markdown) for the Dagster UI and the RankIC series behind them."""

from __future__ import annotations

import base64
import re
import struct

import numpy as np
import pandas as pd
import pytest

from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.reports import plotting
from alpha_core.reports.inline import (
    PNG_SIGNATURE,
    chart_markdown,
    figure_png,
    finite_floats,
    markdown_image,
    signal_evaluation_chart,
)
from alpha_core.reports.signal_inputs import rank_ic_by_date


def png_of(md: str) -> bytes:
    m = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", md)
    assert m, md[:80]
    return base64.b64decode(m.group(1), validate=True)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def _daily(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r, b = rng.normal(0.001, 0.01, n), rng.normal(0, 0.01, n)
    return pd.DataFrame(
        {
            "date": pd.bdate_range("2021-01-04", periods=n),
            "ret": r,
            "bench_ret": b,
            "excess_ret": r - b,
            "turnover": np.where(np.arange(n) % 5 == 0, 0.3, 0.0),
        }
    )


def _frame(t: int = 60, n: int = 40, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-11-02", periods=t)
    y = rng.normal(size=(t, n))
    score = y + rng.normal(0, 1.5, (t, n))
    return pd.DataFrame(
        {
            "date": np.repeat(dates, n),
            "code": np.tile([f"c{i}" for i in range(n)], t),
            "score": score.ravel(),
            "label": y.ravel(),
            "ret": 0.01 * y.ravel(),
        }
    )


def test_figure_png_is_small_sized_and_deterministic():
    daily = _daily()
    fig = plotting.plot_cumulative_excess(daily, "s")
    before = tuple(fig.get_size_inches())
    a = figure_png(fig, 700, 400)
    assert tuple(fig.get_size_inches()) == before  # the file-sized figure is left as it was
    b = figure_png(plotting.plot_cumulative_excess(daily, "s"), 700, 400)
    assert a == b and png_size(a) == (700, 400) and 2_000 < len(a) < 60_000
    assert b"tEXt" not in a and b"iTXt" not in a and b"tIME" not in a
    c = figure_png(plotting.plot_cumulative_excess(_daily(seed=1), "s"), 700, 400)
    assert c != a  # a different input draws a different chart


def test_markdown_image_round_trips_the_png():
    png = figure_png(plotting.plot_turnover(_daily()), 700, 300)
    md = markdown_image(png, "turnover [per rebalance]")
    assert md.startswith("![turnover (per rebalance)](data:image/png;base64,")
    assert png_of(md) == png
    assert png_of(chart_markdown(plotting.plot_turnover(_daily()), "turnover", 700, 300)) == png
    try:
        markdown_image(b"GIF89a", "x")
    except ValueError:
        pass
    else:
        raise AssertionError("non-PNG bytes accepted")


def test_finite_floats_keeps_finite_numbers_only():
    row = pd.Series({"a": 0.5, "b": np.nan, "c": np.inf, "d": "text", "e": np.float32(2.0), "f": 3})
    assert finite_floats(row, ["a", "b", "c", "d", "e", "f", "missing"]) == {"a": 0.5, "e": 2.0, "f": 3.0}


def test_rank_ic_by_date_is_the_series_behind_evaluate_signal():
    frame = _frame()
    table = evaluate_signal(frame, config=SignalEvalConfig(step=5))
    ic = rank_ic_by_date(frame, "label", step=5)
    assert len(ic) == table.loc["all", "n_dates"] == 12
    assert ic.index[0] == frame["date"].min() and (ic.index[1] - ic.index[0]).days == 7  # 5 business days
    np.testing.assert_allclose(ic.mean(), table.loc["all", "rank_ic"], rtol=1e-12)
    for year, block in ic.groupby(ic.index.year):
        np.testing.assert_allclose(block.mean(), table.loc[str(year), "rank_ic"], rtol=1e-12)


def test_signal_evaluation_chart_markdown_is_a_decodable_png():
    frame = _frame()
    table = evaluate_signal(frame, config=SignalEvalConfig(step=5))
    md, ic = signal_evaluation_chart(frame, table, label="label", step=5, name="m1")
    png = png_of(md)
    assert png_size(png) == (700, 400) and len(png) < 60_000 and md.startswith("![m1 cumulative RankIC]")
    assert signal_evaluation_chart(frame, table, label="label", step=5, name="m1")[0] == md
    assert len(ic) == 12


def test_sparkline_is_short_enough_to_draw_inline_and_scales_to_the_box():
    from urllib.parse import unquote

    from alpha_core.reports.inline import SPARKLINE_LIMIT, sparkline_markdown

    md = sparkline_markdown([0.0, -1.0, 1.0, 3.0], "x", width=100, height=20, points=60)
    assert md.startswith("![x](data:image/svg+xml;utf8,") and len(md) < SPARKLINE_LIMIT
    svg = unquote(md[len("![x](data:image/svg+xml;utf8,") : -1])
    # 4 points over x in [2, 98]; y: max 3 at the top (pad 2), min -1 at the bottom (20 - 2)
    # 0 -> 2 + 3/4 * 16 = 14; 1 -> 2 + 2/4 * 16 = 10
    assert "d='M2,14L34,18L66,10L98,2'" in svg
    assert "d='M0,14H100'" in svg  # the zero line: 0 lies inside the range
    long = sparkline_markdown(np.cumsum(np.random.default_rng(0).normal(size=5000)), "y")
    assert len(long) < SPARKLINE_LIMIT and long.count("L") == 59  # sampled to 60 points
    with pytest.raises(ValueError):
        sparkline_markdown([float("nan")], "z")
