"""Tear sheet: one PNG per chart, an HTML page and a markdown summary table.

Only calls :mod:`alpha_core.metrics.performance` (numbers) and :mod:`alpha_core.reports.plotting`
(charts); computes nothing itself.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alpha_core.metrics.performance import monthly_excess_table, performance_table
from alpha_core.reports import plotting

log = logging.getLogger(__name__)

PERCENT = {"annual_return", "annual_volatility", "max_drawdown", "annual_excess_return", "tracking_error",
           "excess_max_drawdown", "monthly_win_rate"}


@dataclass(frozen=True)
class TearSheet:
    """Paths written: ``charts`` (name -> PNG), ``html``, ``markdown`` (the summary file);
    ``summary`` the per-year metric table; ``summary_md`` its markdown text."""

    charts: dict[str, Path]
    html: Path
    markdown: Path
    summary: pd.DataFrame
    summary_md: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def markdown_table(table: pd.DataFrame, percent: set[str] = PERCENT, digits: int = 2) -> str:
    """A GitHub markdown table (the index is the first column); numbers in ``percent`` columns
    shown as %, other numbers with ``digits`` decimals, anything else as text."""
    def fmt(col: str, v: object) -> str:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            return ""
        if not isinstance(v, (int, float, np.number)) or isinstance(v, bool):
            return str(v)
        return f"{v * 100:.{digits}f}%" if col in percent else f"{v:.{digits}f}"
    head = [table.index.name or ""] + [str(c) for c in table.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in table.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [fmt(str(c), row[c]) for c in table.columns]) + " |")
    return "\n".join(lines)


def write_tear_sheet(out_dir: str | Path, daily: pd.DataFrame, *, name: str = "strategy",
                     ic: pd.Series | None = None, deciles: pd.Series | None = None) -> TearSheet:
    """Write the tear sheet of one backtest into ``out_dir``.

    Args:
        daily: :attr:`BacktestResult.daily` (or a blend's daily table).
        ic: optional per-date IC (or RankIC) series of the strategy's signal.
        deciles: optional annualised return per score decile (index 1..10).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "cumulative_excess": plotting.plot_cumulative_excess(daily, name),
        "monthly_excess": plotting.plot_monthly_heatmap(monthly_excess_table(daily)),
        "turnover": plotting.plot_turnover(daily),
    }
    if ic is not None:
        figures["ic"] = plotting.plot_ic_series(ic)
    if deciles is not None:
        figures["deciles"] = plotting.plot_decile_bars(deciles)
    charts = {}
    for key, fig in figures.items():
        path = out / f"{key}.png"
        fig.savefig(path, dpi=90)
        charts[key] = path
    summary = performance_table(daily)
    md = f"## {name}\n\n" + markdown_table(summary) + "\n"
    md_path = out / "summary.md"
    md_path.write_text(md, encoding="utf-8")
    monthly = (monthly_excess_table(daily) * 100).round(2)
    body = [f"<h1>{html.escape(name)}</h1>", "<h2>Performance</h2>",
            (summary.map(lambda v: f"{v:.4f}") if len(summary) else summary).to_html(),
            "<h2>Monthly excess return (%)</h2>", monthly.to_html()]
    body += [f'<h2>{html.escape(k)}</h2><img src="{p.name}" alt="{html.escape(k)}">' for k, p in charts.items()]
    html_path = out / "index.html"
    html_path.write_text("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(name)
                         + "</title></head><body>" + "\n".join(body) + "</body></html>", encoding="utf-8")
    log.info("tear sheet of %s written to %s", name, out)
    return TearSheet(charts, html_path, md_path, summary, md)
