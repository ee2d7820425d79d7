from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.reports.tears import markdown_table, write_tear_sheet


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
    from alpha_core.reports.signal_inputs import forward_vwap_returns, signal_diagnostics

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
