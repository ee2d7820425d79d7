"""Tear sheet: one PNG per chart, an HTML page, a markdown summary table and small inline
(base64 Markdown) copies of the key charts for the Dagster UI.

Only calls :mod:`alpha_core.metrics.performance` (numbers), :mod:`alpha_core.reports.plotting`
(charts) and :mod:`alpha_core.reports.inline` (PNG -> Markdown); computes nothing itself. Tables are shown formatted: :data:`PERCENT` columns as %,
other numbers with fixed decimals, missing values (NaN) as :data:`NA` or blank.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from alpha_core.metrics.performance import monthly_excess_table, performance_table
from alpha_core.reports import plotting
from alpha_core.reports.inline import chart_markdown

log = logging.getLogger(__name__)

PERCENT = {
    "annual_return",
    "annual_volatility",
    "max_drawdown",
    "annual_excess_return",
    "tracking_error",
    "excess_max_drawdown",
    "monthly_win_rate",
}
NA = "–"  # shown for a missing value (an en dash)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# name -> (width, height) in pixels of the charts also embedded as inline Markdown images
INLINE_CHARTS = {"cumulative_excess": (700, 400)}
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 15px;
       line-height: 1.45; color: #1f2328; max-width: 1100px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 0 0 1em; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #d0d7de; text-align: right; white-space: nowrap; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
td:first-child, th:first-child { text-align: left; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
img { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class TearSheet:
    """Paths written: ``charts`` (name -> PNG), ``html``, ``markdown`` (the summary file);
    ``summary`` the per-year metric table; ``summary_md`` its markdown text; ``inline`` the
    charts of :data:`INLINE_CHARTS` as Markdown images with base64 PNG data URIs."""

    charts: dict[str, Path]
    html: Path
    markdown: Path
    summary: pd.DataFrame
    summary_md: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    inline: dict[str, str] = field(default_factory=dict)  # chart name -> Markdown image (base64 PNG)


def markdown_table(
    table: pd.DataFrame, percent: set[str] = PERCENT, digits: int = 2, column_digits: Mapping[str, int] | None = None
) -> str:
    """A GitHub markdown table (the index is the first column); numbers in ``percent`` columns
    shown as %, other numbers with ``digits`` decimals (``column_digits``: per column), missing
    numbers blank, anything else as text (``str``: pre-formatted cells pass through).

    The one markdown-table writer of the project (asset metadata, tear sheets, the demo)."""
    per_column = dict(column_digits or {})
    head = [table.index.name or ""] + [str(c) for c in table.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in table.iterrows():
        lines.append(
            "| "
            + " | ".join(
                [str(idx)]
                + [
                    format_value(row[c], str(c) in percent, per_column.get(str(c), digits), na="")
                    for c in table.columns
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def format_value(v: object, percent: bool = False, digits: int = 2, na: str = NA) -> str:
    """``v`` as text: a number as ``v * 100`` with ``digits`` decimals and "%" when ``percent``,
    else with ``digits`` decimals; None / NaN / inf as ``na``; anything else ``str(v)``."""
    if v is None or v is pd.NaT:
        return na
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        return str(v)
    x = float(v)
    if not np.isfinite(x):
        return na
    return f"{x * 100:.{digits}f}%" if percent else f"{x:.{digits}f}"


def format_table(table: pd.DataFrame, percent: set[str] = PERCENT, digits: int = 2, na: str = NA) -> pd.DataFrame:
    """The cells of ``table`` as text per :func:`format_value` (``percent`` names the % columns)."""
    return pd.DataFrame(
        {c: [format_value(v, str(c) in percent, digits, na) for v in table[c]] for c in table.columns},
        index=table.index,
    ).rename_axis(table.index.name)


def html_table(table: pd.DataFrame, percent: set[str] = PERCENT, digits: int = 2, na: str = NA) -> str:
    """``table`` formatted by :func:`format_table` as an HTML table (index as its first column)
    inside a horizontally scrolling ``div.table-wrap``."""
    shown = format_table(table, percent, digits, na)
    shown.columns = [str(c) for c in shown.columns]
    shown = shown.reset_index().rename(columns={"index": ""})
    body = shown.to_html(index=False, border=0, escape=True, classes="metrics", na_rep=na)
    return f'<div class="table-wrap">{body}</div>'


def monthly_display(monthly: pd.DataFrame) -> pd.DataFrame:
    """:func:`monthly_excess_table` with month columns named Jan..Dec and the year's compounded
    excess as ``Year``. Months outside the backtest stay NaN: the table spans whole calendar
    years, so a start after January (or an end before December) leaves those months empty."""
    out = monthly.rename(columns={m: MONTHS[m - 1] for m in range(1, 13)} | {"year": "Year"})
    out.columns.name = None
    return out.rename_axis("year")


def write_tear_sheet(
    out_dir: str | Path,
    daily: pd.DataFrame,
    *,
    name: str = "strategy",
    ic: pd.Series | None = None,
    deciles: pd.Series | None = None,
) -> TearSheet:
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
    charts, inline = {}, {}
    for key, fig in figures.items():
        path = out / f"{key}.png"
        fig.savefig(path, dpi=90, metadata={"Software": None})
        charts[key] = path
        if key in INLINE_CHARTS:
            inline[key] = chart_markdown(fig, f"{name} {key}".strip(), *INLINE_CHARTS[key])
    summary = performance_table(daily)
    md = f"## {name}\n\n" + markdown_table(summary) + "\n"
    md_path = out / "summary.md"
    md_path.write_text(md, encoding="utf-8")
    body = [
        f"<h1>{html.escape(name)}</h1>",
        "<h2>Performance</h2>",
        html_table(summary),
        "<h2>Monthly excess return</h2>",
        html_table(monthly_display(monthly_excess_table(daily)), percent=set(MONTHS) | {"Year"}, na=""),
    ]
    body += [f'<h2>{html.escape(k)}</h2><img src="{p.name}" alt="{html.escape(k)}">' for k, p in charts.items()]
    html_path = out / "index.html"
    html_path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>"
        + html.escape(name)
        + "</title><style>"
        + CSS
        + "</style></head><body>"
        + "\n".join(body)
        + "</body></html>",
        encoding="utf-8",
    )
    log.info("tear sheet of %s written to %s", name, out)
    return TearSheet(charts, html_path, md_path, summary, md, inline=inline)
