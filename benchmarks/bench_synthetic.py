"""Benchmark: generation time and peak memory of the synthetic market.

    .venv/bin/python benchmarks/bench_synthetic.py [--profile large] [--tables]

Prints the time to generate the (T, N) arrays, the time to build the long tables
(bars for the whole sample, ground truth, index weights, consensus) with ``--tables``,
and the peak resident memory of the process (ru_maxrss). Goal for ``large``: < 3 min, < 8 GB.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time

from alpha_core.data.synthetic import SyntheticSource

log = logging.getLogger("bench_synthetic")


def _peak_gb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / (1024 if sys.platform != "darwin" else 1024 * 1024) / 1024


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
    out = [f"profile={args.profile} days={t_len} stocks={n} listed_stock_days={int(market.universe.listed.sum())}",
           f"generate_s={gen_s:.1f} peak_rss_gb_after_generate={_peak_gb():.2f}"]
    if args.tables:
        cal = src.calendar()
        t1 = time.perf_counter()
        rows = {}
        for name, fn in (("bars", src.bars), ("ground_truth", src.ground_truth),
                         ("index_weights", src.index_weights), ("consensus", src.consensus)):
            rows[name] = len(fn(cal[0], cal[-1]))
        rows["fundamentals"] = len(src.fundamentals())
        out.append(f"tables_s={time.perf_counter() - t1:.1f} rows={rows} peak_rss_gb={_peak_gb():.2f}")
    for line in out:
        print(line)


if __name__ == "__main__":
    main()
