"""Alpha158 on real Qlib-format data: the engine vs pyqlib (or a pandas reference) in one run.

Times the whole Alpha158 set (``FactorSet.ALPHA158``; data loading included, as for Qlib) and a
baseline measured in the same run:

* ``--qlib-python PATH``: the python of a separate venv with ``pyqlib==0.9.7`` installed
  (``python3 -m venv /tmp/qlibvenv && /tmp/qlibvenv/bin/pip install pyqlib==0.9.7``). That process
  runs ``qlib.init(provider_uri=DATA)`` and ``D.features`` on Alpha158DL's default fields without
  VWAP0 (the dump has no vwap), over the same stocks and days, and writes every ``--compare-every``-th
  stock's values for the agreement check;
* otherwise a pandas groupby-rolling reference of the same expressions (a subset of the
  operators, so the ratio is a LOWER bound on the speed-up over a pandas implementation).

Agreement (Qlib only): per field, on traded days (the stock traded on t), max |engine - qlib| and
the share of cells with |engine - qlib| <= 1e-4 |qlib| + 1e-8 (and <= 1e-4 max(|qlib|, 1), for fields
that cross zero, where Qlib's float32 inputs dominate); separately on "clean" cells whose
61-day history has no suspended day and lies after the stock's first 61 traded days, where the
engine's conventions (alpha_core/factors/alpha158.py) coincide with Qlib's.

Run:  .venv/bin/python benchmarks/bench_alpha158.py --data /work/shared/data/cn_qlib \\
          [--qlib-python /tmp/qlibvenv/bin/python] [--compare-every 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alpha_core.data.registry import open_source  # noqa: E402
from alpha_core.factors import FACTOR_SETS, FactorInputs, FactorSet, compute_factors  # noqa: E402
from alpha_core.factors.alpha158 import QLIB_NAMES  # noqa: E402

QLIB_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    t0, c0 = time.perf_counter(), time.process_time()
    import qlib
    from qlib.data import D
    from qlib.contrib.data.loader import Alpha158DL
    data, codes_file, start, end, out_dir, every = sys.argv[1:7]
    qlib.init(provider_uri=data, region="cn", expression_cache=None, dataset_cache=None)
    fields, names = Alpha158DL.get_feature_config()
    keep = [i for i, n in enumerate(names) if n != "VWAP0"]
    fields, names = [fields[i] for i in keep], [names[i] for i in keep]
    codes = open(codes_file).read().split()
    df = D.features(codes, fields, start_time=start, end_time=end, freq="day")
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    df.columns = names
    sub = set(codes[:: int(every)])
    df = df[df.index.get_level_values("instrument").isin(sub)]
    df.reset_index().to_parquet(out_dir + "/qlib_alpha158.parquet")
    json.dump({"wall": wall, "cpu_self": cpu, "cpu_children": child.ru_utime + child.ru_stime,
               "rows": int(len(df)), "fields": len(names)}, open(out_dir + "/qlib_timing.json", "w"))
""")


def run_engine(data: str):
    t0, c0 = time.perf_counter(), time.process_time()
    src = open_source(data)
    cal = src.calendar()
    bars = src.bars(cal[0], cal[-1])
    t_load = time.perf_counter() - t0
    table = compute_factors(FactorInputs(bars), FACTOR_SETS[FactorSet.ALPHA158])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return bars, table, wall, cpu, t_load


def run_qlib(qlib_python: str, data: str, codes: list[str], start, end, every: int, workdir: Path) -> dict:
    (workdir / "codes.txt").write_text("\n".join(codes))
    (workdir / "qlib_alpha158.py").write_text(QLIB_SCRIPT)
    cmd = [
        qlib_python,
        str(workdir / "qlib_alpha158.py"),
        data,
        str(workdir / "codes.txt"),
        str(pd.Timestamp(start).date()),
        str(pd.Timestamp(end).date()),
        str(workdir),
        str(every),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=workdir, stdout=subprocess.DEVNULL)
    timing = json.loads((workdir / "qlib_timing.json").read_text())
    timing["process_wall"] = time.perf_counter() - t0
    return timing


def compare(bars: pd.DataFrame, table: pd.DataFrame, qlib_path: Path) -> pd.DataFrame:
    q = pd.read_parquet(qlib_path)
    q = q.rename(columns={"datetime": "date", "instrument": "code"})
    eng = table[table["code"].isin(set(q["code"]))]
    m = eng.merge(q, on=["date", "code"], how="inner", suffixes=("", "_q"))
    b = bars[["date", "code", "tradable", "volume"]].sort_values(["code", "date"])
    traded = (b["tradable"] & (b["volume"] > 0)).astype(int)
    # clean: the last 61 rows all traded and at least 121 rows of history (past Qlib's partial windows)
    g = traded.groupby(b["code"])
    clean = (g.rolling(61, min_periods=61).sum().reset_index(level=0, drop=True) == 61) & (g.cumcount() >= 120)
    b = b.assign(traded=traded.astype(bool), clean=clean)
    m = m.merge(b[["date", "code", "traded", "clean"]], on=["date", "code"], how="left")
    rows = []
    for name, qname in QLIB_NAMES.items():
        if qname not in m.columns or name not in m.columns:
            continue
        a = m[name].to_numpy(np.float64)
        r = m[qname].to_numpy(np.float64)
        for subset in ("traded", "clean"):
            sel = m[subset].to_numpy(bool) & np.isfinite(a) & np.isfinite(r)
            if not sel.any():
                continue
            diff = np.abs(a[sel] - r[sel])
            close = diff <= 1e-4 * np.abs(r[sel]) + 1e-8
            near = diff <= 1e-4 * np.maximum(np.abs(r[sel]), 1.0)  # near-zero values: absolute 1e-4
            rows.append(
                {
                    "field": qname,
                    "subset": subset,
                    "cells": int(sel.sum()),
                    "max_abs_diff": float(diff.max()),
                    "share_1e4": float(close.mean()),
                    "share_1e4_abs_below_1": float(near.mean()),
                }
            )
    return pd.DataFrame(rows)


def pandas_reference(bars: pd.DataFrame) -> None:
    """A pandas groupby-rolling reference of a subset of the expressions (baseline only)."""
    act = bars["tradable"] & (bars["volume"] > 0)
    df = pd.DataFrame(
        {
            "code": bars["code"],
            "c": (bars["close"] * bars["adj_factor"]).where(act),
            "h": (bars["high"] * bars["adj_factor"]).where(act),
            "l": (bars["low"] * bars["adj_factor"]).where(act),
            "v": bars["volume"].where(act),
        }
    )
    df = df.sort_values(["code"], kind="stable")
    g = df.groupby("code", sort=False)
    for d in (5, 10, 20, 30, 60):
        for col, how in (("c", "mean"), ("c", "std"), ("h", "max"), ("l", "min"), ("v", "mean"), ("v", "std")):
            getattr(g[col].rolling(d, min_periods=1), how)()
        g["c"].rolling(d, min_periods=1).quantile(0.8)
        g["c"].rolling(d, min_periods=1).quantile(0.2)
        g["c"].rolling(d, min_periods=1).rank(pct=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/cn_qlib")
    ap.add_argument("--qlib-python", default=None)
    ap.add_argument("--compare-every", type=int, default=4)
    ap.add_argument("--out", default=None, help="write the agreement table (CSV) here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alpha_core").setLevel(logging.ERROR)
    bench(args.data, args.qlib_python, args.compare_every, args.out)


def bench(data: str, qlib_python: str | None = None, compare_every: int = 4, out: str | None = None) -> None:
    """Time the engine's Alpha158 on ``data`` against Qlib (``qlib_python``) or the pandas reference."""
    bars, table, wall, cpu, t_load = run_engine(data)
    n_codes, n_days = bars["code"].nunique(), bars["date"].nunique()
    print(
        f"[engine] Alpha158 ({table.shape[1] - 2} fields) on {n_codes} stocks x {n_days} days "
        f"({len(bars):,} rows): {wall:.1f}s wall (load {t_load:.1f}s), {cpu:.1f}s CPU, "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB; "
        f"empty: {table.attrs['empty']}"
    )
    if qlib_python:
        with tempfile.TemporaryDirectory() as tmp:
            codes = sorted(bars["code"].unique())
            tq = run_qlib(qlib_python, data, codes, bars["date"].min(), bars["date"].max(), compare_every, Path(tmp))
            print(
                f"[qlib 0.9.7] D.features, {tq['fields']} fields: {tq['wall']:.1f}s wall inside the process "
                f"({tq['process_wall']:.1f}s with interpreter start), CPU {tq['cpu_self']:.1f}s + "
                f"{tq['cpu_children']:.1f}s in workers"
            )
            print(
                f"  speed ratio (wall, qlib / engine): {tq['wall'] / wall:.1f}x (goal >= 5x); "
                f"CPU: {(tq['cpu_self'] + tq['cpu_children']) / cpu:.1f}x"
            )
            agree = compare(bars, table, Path(tmp) / "qlib_alpha158.parquet")
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        pandas_reference(bars)
        tw, tc = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"[pandas reference, 9 of 29 operators] {tw:.1f}s wall, {tc:.1f}s CPU; "
            f"ratio {tw / wall:.1f}x (a lower bound)"
        )
        return
    if out:
        agree.to_csv(out, index=False)
        print(f"  agreement table: {out}")
    for subset in ("traded", "clean"):
        s = agree[agree["subset"] == subset]
        worst = s.sort_values("share_1e4").head(8)
        print(
            f"  agreement on {subset} cells: median share within 1e-4 {s['share_1e4'].median():.4f}, "
            f"fields with share >= 0.999: {(s['share_1e4'] >= 0.999).sum()} / {len(s)} (relative), "
            f"{(s['share_1e4_abs_below_1'] >= 0.999).sum()} / {len(s)} (absolute below 1); "
            f"max |diff| over fields {s['max_abs_diff'].max():.2g}"
        )
        print(
            "    lowest: "
            + ", ".join(f"{r.field} {r.share_1e4:.3f} (max {r.max_abs_diff:.2g})" for r in worst.itertuples())
        )


if __name__ == "__main__":
    main()
