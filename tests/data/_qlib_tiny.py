"""Helpers of the data-source tests: write a tiny hand-made Qlib directory (no real data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# 12 trading days around the ChiNext reform (2020-08-24 is index 5)
TINY_DAYS = pd.bdate_range("2020-08-17", periods=12)


def write_bin(file: Path, start: int, values) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    np.concatenate([[start], np.asarray(values, dtype=np.float64)]).astype("<f4").tofile(file)


def write_qlib(
    root: Path,
    days: pd.DatetimeIndex,
    stocks: dict[str, dict[str, tuple[int, list[float]]]],
    csi300: list[tuple[str, str, str]] | None = None,
) -> Path:
    """A Qlib dir: ``stocks[code][field] = (first-day index, values)``; all.txt spans from the data."""
    (root / "calendars").mkdir(parents=True, exist_ok=True)
    (root / "calendars" / "day.txt").write_text("\n".join(d.strftime("%Y-%m-%d") for d in days) + "\n")
    (root / "instruments").mkdir(exist_ok=True)
    lines = []
    for code, fields in stocks.items():
        for field, (start, values) in fields.items():
            write_bin(root / "features" / code.lower() / f"{field}.day.bin", start, values)
        start, values = fields["close"]
        lines.append(f"{code}\t{days[start]:%Y-%m-%d}\t{days[start + len(values) - 1]:%Y-%m-%d}")
    (root / "instruments" / "all.txt").write_text("\n".join(lines) + "\n")
    if csi300 is not None:
        (root / "instruments" / "csi300.txt").write_text("\n".join("\t".join(r) for r in csi300) + "\n")
    return root


def tiny_market() -> dict[str, dict[str, tuple[int, list[float]]]]:
    """Three stocks and one index over TINY_DAYS (values are ADJUSTED, volume raw shares).

    SH600000: factor 2.0, then 2.2 from day 8 (ex-rights); suspended on day 3 (volume 0, flat at prev close).
    SZ300344: data from day 1 (after the first calendar day); days 1-3 back-filled at 10.0 adj
    (factor 1) with no volume; trades from day 4.
    SH688001: STAR, listed on day 2.
    SH000300: index.
    """
    raw_close = np.array([10.0, 10.5, 10.2, 10.2, 10.8, 11.0, 10.9, 11.3, 11.1, 11.6, 11.4, 11.5])
    factor = np.array([2.0] * 8 + [2.2] * 4)
    adj = raw_close * factor
    vol = np.array([1e6, 2e6, 1.5e6, 0, 3e6, 1e6, 1e6, 2e6, 1e6, 1e6, 1e6, 1e6])
    sh600000 = {
        "open": (0, list(adj * 0.99)),
        "high": (0, list(adj * 1.02)),
        "low": (0, list(adj * 0.98)),
        "close": (0, list(adj)),
        "volume": (0, list(vol)),
        "factor": (0, list(factor)),
    }
    sh600000["open"][1][3] = sh600000["high"][1][3] = sh600000["low"][1][3] = adj[3]  # suspended: flat
    c = np.array([10.0] * 3 + [12.0, 13.0, 15.5, 15.0, 16.0, 15.8, 16.2, 16.1])
    v = np.array([0.0] * 3 + [5e6] * 8)
    sz300344 = {
        "open": (1, list(c)),
        "high": (1, list(c * 1.01)),
        "low": (1, list(c * 0.97)),
        "close": (1, list(c)),
        "volume": (1, list(v)),
        "factor": (1, [1.0] * 11),
    }
    for k in range(3):
        sz300344["high"][1][k] = sz300344["low"][1][k] = 10.0
    s = np.array([30.0, 33.0, 36.0, 35.0, 34.0, 36.0, 37.0, 38.0, 39.0, 40.0])
    sh688001 = {
        "open": (2, list(s)),
        "high": (2, list(s * 1.05)),
        "low": (2, list(s * 0.95)),
        "close": (2, list(s)),
        "volume": (2, [1e6] * 10),
        "factor": (2, [1.0] * 10),
    }
    idx = np.linspace(4000, 4100, 12)
    sh000300 = {
        "open": (0, list(idx)),
        "high": (0, list(idx)),
        "low": (0, list(idx)),
        "close": (0, list(idx)),
        "volume": (0, [1e9] * 12),
        "factor": (0, [1.0] * 12),
    }
    return {"SH600000": sh600000, "SZ300344": sz300344, "SH688001": sh688001, "SH000300": sh000300}
