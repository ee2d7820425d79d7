from __future__ import annotations

import base64
import re
import struct

import numpy as np
import pandas as pd

from alpha_core.reports.tears import markdown_table, write_tear_sheet


def png_of(md: str) -> bytes:
    m = re.fullmatch(r"!\[[^\]]*\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", md)
    assert m, md[:80]
    return base64.b64decode(m.group(1), validate=True)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_tear_sheet_files_written(tmp_path):
    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2020-11-02", periods=120)
    r, b = rng.normal(0.001, 0.01, 120), rng.normal(0, 0.01, 120)
    t = np.where(np.arange(120) % 5 == 0, 0.3, 0.0)
    daily = pd.DataFrame({"date": dates, "ret": r, "bench_ret": b, "excess_ret": r - b, "turnover": t})
    ic = pd.Series(rng.normal(0.05, 0.1, 24), index=dates[::5])
    deciles = pd.Series(np.linspace(-0.1, 0.2, 10), index=range(1, 11))
    sheet = write_tear_sheet(tmp_path / "ts", daily, name="gat_residual", ic=ic, deciles=deciles)
    assert set(sheet.charts) == {"cumulative_excess", "monthly_excess", "turnover", "ic", "deciles"}
    for p in [*sheet.charts.values(), sheet.html, sheet.markdown]:
        assert p.exists() and p.stat().st_size > 100
        if p.suffix == ".png":
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = sheet.html.read_text()
    assert "cumulative_excess.png" in page and "gat_residual" in page
    md = sheet.markdown.read_text()
    assert "| 2020 |" in md and "| all |" in md and "annual_excess_return" in md


def test_markdown_table_formats_percent():
    t = pd.DataFrame({"annual_return": [0.1234], "sharpe": [1.5]}, index=pd.Index(["all"], name="period"))
    assert markdown_table(t).splitlines()[-1] == "| all | 12.34% | 1.50 |"


def test_signal_diagnostics_perfect_foresight():
    from alpha_core.data.panel import Panel
    from alpha_core.reports.signal_inputs import (
        forward_vwap_returns,
        signal_diagnostics,
    )

    rng = np.random.default_rng(1)
    t, n = 40, 30
    dates = pd.bdate_range("2021-01-04", periods=t)
    codes = pd.Index([f"SH60{i:04d}" for i in range(n)])
    vwap = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, n)), axis=0))
    panel = Panel(dates, codes, {"vwap": vwap, "adj_factor": np.ones((t, n))})
    fwd = forward_vwap_returns(panel, 5)
    assert fwd[0, 0] == vwap[6, 0] / vwap[1, 0] - 1 and np.isnan(fwd[-6:]).all()
    long = pd.DataFrame({"date": np.repeat(dates, n), "code": np.tile(codes, t), "score": fwd.ravel()})
    ic, dec = signal_diagnostics(long.dropna(), panel)
    np.testing.assert_allclose(ic.dropna(), 1.0)
    assert dec.index.tolist() == list(range(1, 11)) and dec.iloc[-1] > dec.iloc[0]


def _short_first_year_daily() -> pd.DataFrame:
    # starts on the year's last trading day: the first year has one day (no volatility, no
    # Sharpe) and eleven months before the backtest
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-12-31", periods=80)
    r, b = rng.normal(0.001, 0.01, 80), rng.normal(0, 0.01, 80)
    return pd.DataFrame(
        {
            "date": dates,
            "ret": r,
            "bench_ret": b,
            "excess_ret": r - b,
            "turnover": np.where(np.arange(80) % 5 == 0, 0.3, 0.0),
        }
    )


def test_format_value_and_table():
    from alpha_core.reports.tears import NA, format_table, format_value

    assert format_value(0.4943, percent=True) == "49.43%"
    assert format_value(-0.0005, percent=True) == "-0.05%"
    assert format_value(1.23456) == "1.23" and format_value(2, digits=4) == "2.0000"
    assert format_value(np.nan) == NA == "\u2013" and format_value(np.inf, na="") == "" and format_value(None) == NA
    assert format_value("all") == "all" and format_value(True) == "True"
    t = pd.DataFrame(
        {"annual_return": [0.4943, np.nan], "sharpe": [1.5, np.nan]}, index=pd.Index(["2020", "all"], name="period")
    )
    shown = format_table(t)
    assert shown.loc["2020"].tolist() == ["49.43%", "1.50"] and shown.loc["all"].tolist() == [NA, NA]
    assert shown.index.name == "period"


def test_html_tear_sheet_is_formatted_without_nan(tmp_path):
    from alpha_core.metrics.performance import performance_table

    daily = _short_first_year_daily()
    summary = performance_table(daily)
    assert summary.loc["2020"].isna().any()  # the case: NaN cells exist in the numbers
    sheet = write_tear_sheet(tmp_path / "ts", daily, name="s")
    page = sheet.html.read_text(encoding="utf-8")
    assert re.search(r"nan", page, flags=re.IGNORECASE) is None
    assert "overflow-x: auto" in page and page.count('<div class="table-wrap">') == 2 and "viewport" in page
    all_row = summary.loc["all"]
    assert f"{all_row['annual_excess_return'] * 100:.2f}%" in page
    assert f"{all_row['tracking_error'] * 100:.2f}%" in page and f"{all_row['max_drawdown'] * 100:.2f}%" in page
    assert f"<td>{all_row['information_ratio']:.2f}</td>" in page
    assert "<td>\u2013</td>" in page  # the one-day year's volatility
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("Monthly excess return") :], flags=re.DOTALL)
    first = re.findall(r"<td>(.*?)</td>", rows[0])
    assert first[0] == "2020" and first[1:12] == [""] * 11 and first[12].endswith("%")  # Jan..Nov: before the start


def test_tear_sheet_inline_chart_is_a_deterministic_png(tmp_path):
    daily = _short_first_year_daily()
    a = write_tear_sheet(tmp_path / "a", daily, name="s")
    b = write_tear_sheet(tmp_path / "b", daily, name="s")
    assert set(a.inline) == {"cumulative_excess"} and a.inline == b.inline
    png = png_of(a.inline["cumulative_excess"])
    assert png_size(png) == (700, 400) and len(png) < 60_000
    for name in a.charts:
        assert (tmp_path / "a" / f"{name}.png").read_bytes() == (tmp_path / "b" / f"{name}.png").read_bytes()


def test_markdown_table_digits_per_column_and_text_cells():
    t = pd.DataFrame({"n": [12, 3], "density": [0.04219, 0.5], "note": ["", "x"]}, index=pd.Index(["a", "b"], name="g"))
    assert markdown_table(t, percent=set(), digits=0, column_digits={"density": 4}).splitlines() == [
        "| g | n | density | note |",
        "|---|---|---|---|",
        "| a | 12 | 0.0422 |  |",
        "| b | 3 | 0.5000 | x |",
    ]
