"""Ingest benchmark: all of ../shared/data/cn_qlib (+ cn_extra, cn_macro) -> Parquet.

Measured, each in its own fresh subprocess (so peak RSS is per task):

* ingest:   QlibSource reads every .bin, applies every cleaning rule, joins the supplements,
            validates every table, and writes bars as one Parquet file per month (pyarrow) plus
            one file per other table (instruments, index_levels, index_weights, industry_map,
            fundamentals, macro).
* baseline: a naive numpy read of every .bin into one long table (no cleaning, no validation)
            plus ONE Parquet write of it: the floor any ingest pays.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py [--data ../shared/data] [--repeat 3]

Prints wall and CPU seconds (the run with the best wall time of ``--repeat``), peak RSS (MiB)
and the ingest / baseline ratios. Imports (pandas, pandera: ~1 s) are NOT timed: both tasks
import their libraries before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("ALPHA_SHARED_DATA", REPO.parent / "shared" / "data"))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _cpu_s() -> float:
    """User + system CPU seconds of this process: robust to other jobs sharing the machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_ingest(data: Path, out: Path) -> dict:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import alpha_core.data.contract  # noqa: F401  (import cost outside the clock)
    from alpha_core.data.qlib import QlibSource

    c0, t0 = _cpu_s(), time.perf_counter()
    src = QlibSource(data / "cn_qlib", data / "cn_extra", data / "cn_macro")
    cal = src.calendar()
    start, end = cal[0], cal[-1]
    bars = src.bars(start, end)  # validated
    table = pa.Table.from_pandas(bars, preserve_index=False)
    month = bars["date"].to_numpy().astype("datetime64[M]")
    cuts = np.flatnonzero(month[1:] != month[:-1]) + 1
    bounds = np.concatenate([[0], cuts, [len(bars)]])
    (out / "raw_bars").mkdir(parents=True, exist_ok=True)

    def write(a: int, b: int) -> None:
        pq.write_table(table.slice(a, b - a), out / "raw_bars" / f"{month[a]}-01.parquet")  # YYYY-MM-01

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # pyarrow releases the GIL
        list(pool.map(write, bounds[:-1].tolist(), bounds[1:].tolist()))
    others = {
        "instruments": src.instruments(),
        "index_levels": src.index_levels(start, end),
        "index_weights": src.index_weights(start, end),
        "industry_map": src.industry_map(),
        "fundamentals": src.fundamentals(),
        "macro_raw": src.macro(),
    }
    for name, df in others.items():
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), out / f"{name}.parquet")
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "cpu_s": _cpu_s() - c0,
        "peak_rss_mib": _peak_rss_mib(),
        "bars_rows": len(bars),
        "bar_files": len(bounds) - 1,
        "rows_other": {k: len(v) for k, v in others.items()},
    }


def run_baseline(data: Path, out: Path) -> dict:
    import numpy as np
    import pandas as pd

    c0, t0 = _cpu_s(), time.perf_counter()
    qlib = data / "cn_qlib"
    cal = pd.DatetimeIndex((qlib / "calendars" / "day.txt").read_text().split())
    fields = ["open", "high", "low", "close", "volume", "factor"]
    parts: dict[str, list] = {"date": [], "code": [], **{f: [] for f in fields}}
    for folder in sorted((qlib / "features").iterdir()):
        arrays = {f: np.fromfile(folder / f"{f}.day.bin", dtype="<f4") for f in fields}
        start = int(arrays["close"][0])
        n = len(arrays["close"]) - 1
        parts["date"].append(cal.values[start : start + n])
        parts["code"].append(np.full(n, folder.name.upper(), dtype=object))
        for f in fields:
            parts[f].append(arrays[f][1:])
    df = pd.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
    df.to_parquet(out / "all.parquet", engine="pyarrow", index=False)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "cpu_s": _cpu_s() - c0, "peak_rss_mib": _peak_rss_mib(), "rows": len(df)}


def _child(task: str, data: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", task, "--data", str(data)]
    res = subprocess.run(
        cmd, capture_output=True, text=True, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=["ingest", "baseline"])
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            fn = run_ingest if args.child == "ingest" else run_baseline
            print(json.dumps(fn(args.data, Path(tmp))))
        return
    if not (args.data / "cn_qlib" / "calendars" / "day.txt").exists():
        raise SystemExit(f"no Qlib data at {args.data / 'cn_qlib'}")
    results: dict[str, list[dict]] = {"ingest": [], "baseline": []}
    for _ in range(args.repeat):
        for task in ("baseline", "ingest"):  # interleaved: machine load hits both alike
            results[task].append(_child(task, args.data))
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in results.items()}
    ing, base = best["ingest"], best["baseline"]
    print(f"cpu count: {os.cpu_count()}  repeats: {args.repeat} (best wall time reported)")
    print(
        f"ingest   : {ing['wall_s']:6.2f} s wall  {ing['cpu_s']:6.2f} s cpu  peak RSS {ing['peak_rss_mib']:7.0f} MiB  "
        f"{ing['bars_rows']:,} bar rows in {ing['bar_files']} monthly files; other tables {ing['rows_other']}"
    )
    print(
        f"baseline : {base['wall_s']:6.2f} s wall  {base['cpu_s']:6.2f} s cpu  peak RSS {base['peak_rss_mib']:7.0f} MiB  "
        f"{base['rows']:,} rows, naive np.fromfile + one Parquet write"
    )
    print(
        f"ratio ingest / baseline: {ing['wall_s'] / base['wall_s']:.2f}x wall, "
        f"{ing['cpu_s'] / base['cpu_s']:.2f}x cpu   goal: ingest < 5 s"
    )
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times inflate under load)")
    print(
        "all runs (s): ingest",
        [round(r["wall_s"], 2) for r in results["ingest"]],
        "baseline",
        [round(r["wall_s"], 2) for r in results["baseline"]],
    )


if __name__ == "__main__":
    main()
