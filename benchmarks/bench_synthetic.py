"""Benchmark: generation time and peak memory of the synthetic market.

    .venv/bin/python benchmarks/bench_synthetic.py [--profile large] [--tables]

Prints the time to generate the (T, N) arrays, the time to build the long tables
(bars for the whole sample, ground truth, index weights, consensus) with ``--tables``,
and the peak resident memory of the process (ru_maxrss). Goal for ``large``: < 3 min, < 8 GB.

Baseline (same run, after the generator so the peak RSS above is the generator's): the floor
any generator of this size pays, :func:`naive_floor`: i.i.d. normal returns -> random-walk
OHLCV arrays of the same (T, N) in numpy (no factors, graph, macro, events or trading rules)
and, with ``--tables``, one long bars DataFrame of them; the ratios are generator / floor.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time

import numpy as np
import pandas as pd

from alpha_core.data.synthetic import SyntheticSource

log = logging.getLogger("bench_synthetic")


def _peak_gb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / (1024 if sys.platform != "darwin" else 1024 * 1024) / 1024


def naive_floor(t_len: int, n: int, tables: bool, seed: int = 0) -> tuple[float, float | None]:
    """(seconds for the (T, N) arrays, seconds for the long bars table or None): random-walk OHLCV."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t_len, n)), axis=0))
    open_ = np.vstack([close[:1], close[:-1]]) * np.exp(rng.normal(0, 0.005, (t_len, n)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, (t_len, n))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, (t_len, n))))
    vwap = (open_ + high + low + close) / 4
    volume = rng.lognormal(13, 1, (t_len, n))
    arrays_s = time.perf_counter() - t0
    if not tables:
        return arrays_s, None
    t1 = time.perf_counter()
    days = pd.bdate_range("2005-01-03", periods=t_len)
    codes = np.array([f"SZ{i:06d}" for i in range(n)], dtype=object)
    bars = pd.DataFrame(
        {
            "date": np.repeat(days.values, n),
            "code": np.tile(codes, t_len),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "vwap": vwap.ravel(),
            "volume": volume.ravel(),
        }
    )
    table_s = time.perf_counter() - t1
    del bars
    return arrays_s, table_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="large")
    parser.add_argument("--tables", action="store_true", help="also build the full-sample long tables")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alpha_core.data.synthetic").setLevel(logging.DEBUG)  # per-stage timings

    src = SyntheticSource.from_profile(args.profile)
    t0 = time.perf_counter()
    market = src.market
    gen_s = time.perf_counter() - t0
    t_len, n = market.universe.listed.shape
    out = [
        f"profile={args.profile} days={t_len} stocks={n} listed_stock_days={int(market.universe.listed.sum())}",
        f"generate_s={gen_s:.1f} peak_rss_gb_after_generate={_peak_gb():.2f}",
    ]
    if args.tables:
        cal = src.calendar()
        t1 = time.perf_counter()
        rows = {}
        for name, fn in (
            ("bars", src.bars),
            ("ground_truth", src.ground_truth),
            ("index_weights", src.index_weights),
            ("consensus", src.consensus),
        ):
            rows[name] = len(fn(cal[0], cal[-1]))
        rows["fundamentals"] = len(src.fundamentals())
        tables_s = time.perf_counter() - t1
        out.append(f"tables_s={tables_s:.1f} rows={rows} peak_rss_gb={_peak_gb():.2f}")
    floor_gen, floor_tab = naive_floor(t_len, n, args.tables)
    out.append(
        f"naive floor (random-walk OHLCV, same shape): arrays_s={floor_gen:.2f}"
        + (f" bars_table_s={floor_tab:.2f}" if floor_tab is not None else "")
        + f"; ratio generate / floor arrays {gen_s / floor_gen:.1f}x"
        + (f", tables / floor table {tables_s / floor_tab:.1f}x" if floor_tab is not None else "")
    )
    for line in out:
        print(line)


if __name__ == "__main__":
    main()
