"""Training throughput of GAT+residual (issues 6 and 14).

Figures printed (epochs: best of ``--repeats`` runs, wall and process CPU time):
1. one GAT+residual training epoch over D days x N stocks (default 1,512 x 1,000, 42 features,
   sector graph as group ids) with the library's kernels (issue 14: rank-1 sorted prefix-sum
   attention, group layout packed once per day), against the same network with the issue-6
   kernels (per-group dense softmax loop, dense (N, N) global softmax) on the same batches and
   the ``nn`` baseline epoch (ratios), plus the max score difference of the two kernels;
2. dense masked attention vs torch-geometric GATConv, forward + backward, 1,000 stocks on the
   sector graph (ratio);
3. peak RSS growth for one day of 5,000 stocks with global attention: training step
   (forward + backward) and scoring (no grad, 1,024-row chunks), each in a fresh process.

Usage: .venv/bin/python benchmarks/bench_training.py [--days 1512] [--stocks 1000] [--threads 1]
       [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import pandas as pd
import torch
import torch.nn.functional as F

from alpha_core.batch import GroupLayout
from alpha_core.models.attention import NEGATIVE_SLOPE, GraphAttention


class Issue6Attention(GraphAttention):
    """The issue-6 kernels, kept as the baseline: a Python loop of dense softmaxes over the
    groups and the dense (N, N) softmax for global attention. Same parameters and function."""

    def forward(self, h: torch.Tensor, graph) -> torch.Tensor:
        if isinstance(graph, GroupLayout):
            graph = graph.groups
        if graph is not None and graph.dim() == 1:
            return self.group_loop(h, graph)
        return super().forward(h, graph) if graph is not None else self.dense(h, None)

    def group_loop(self, h: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        wh, s_src, s_dst = self._scores(h)
        order = torch.argsort(groups, stable=True)
        values, counts = torch.unique_consecutive(groups[order], return_counts=True)
        parts, start = [], 0
        for g, c in zip(values.tolist(), counts.tolist()):
            idx = order[start : start + c]
            start += c
            if g < 0:
                parts.append(wh[idx])
                continue
            e = F.leaky_relu(s_dst[idx, None] + s_src[None, idx], NEGATIVE_SLOPE)
            parts.append(torch.softmax(e, dim=1) @ wh[idx])
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(len(order))
        return torch.cat(parts)[inverse]


def with_issue6_kernels(model):
    """A copy of a GATResidual whose attentions are :class:`Issue6Attention` (same weights)."""
    import copy

    ref = copy.deepcopy(model)
    for name in ("mask_attention", "global_attention"):
        old = getattr(ref, name)
        new = Issue6Attention(old.in_dim, old.out_dim)
        new.load_state_dict(old.state_dict())
        setattr(ref, name, new)
    return ref


def make_batches(days: int, stocks: int, features: int = 42, seed: int = 0):
    from alpha_core.batch import DayBatch

    g = torch.Generator().manual_seed(seed)
    sector = torch.randint(0, 5, (stocks,), generator=g)
    codes = [f"SH{600000 + i}" for i in range(stocks)]
    dates = pd.bdate_range("2015-01-05", periods=days)
    return [
        DayBatch(
            d,
            codes,
            torch.randn(stocks, features, generator=g),
            torch.randn(stocks, generator=g),
            graphs={"sector": sector},
        )
        for d in dates
    ]


def epoch_seconds(model, batches) -> tuple[float, float]:
    """(wall, process CPU) seconds of one training epoch (Adam, wmse, one day per step)."""
    from alpha_core.training.losses import wmse

    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches:
        opt.zero_grad(set_to_none=True)
        wmse(model(b), b.y).backward()
        opt.step()
    return time.perf_counter() - t0, time.process_time() - c0


def best_epoch(build, batches, repeats: int) -> tuple[float, float]:
    """Best (min) wall and CPU seconds over ``repeats`` epochs, each of a freshly built model."""
    runs = [epoch_seconds(build(), batches) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def attention_ms(n: int = 1000, reps: int = 10) -> tuple[float, float, float]:
    from alpha_core.models.attention import GraphAttention, group_mask, mask_to_edge_index

    torch.manual_seed(0)
    att = GraphAttention(64, 64)
    h = torch.randn(n, 64, requires_grad=True)
    g = torch.randint(0, 5, (n,))
    mask = group_mask(g)
    edges = mask_to_edge_index(mask & ~torch.eye(n, dtype=torch.bool))
    out = []
    for graph in (mask, g, edges):
        att(h, graph).sum().backward()  # warm-up
        t0 = time.perf_counter()
        for _ in range(reps):
            att(h, graph).sum().backward()
        out.append((time.perf_counter() - t0) / reps * 1000)
    return out[0], out[1], out[2]


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> int:
    """Reset the RSS high-water mark (Linux clear_refs 5) and return the current RSS in KiB."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    return _status_kib("VmRSS")


def _peak_child(mode: str, n: int) -> None:
    from alpha_core.models.gat_residual import GATResidual, GATResidualConfig

    batch = make_batches(1, n)[0]
    model = GATResidual(GATResidualConfig(42, 64, chunk_rows=1024 if mode == "score" else None))
    base = _reset_peak()
    t0 = time.perf_counter()
    if mode == "train":
        model.train()
        model(batch).sum().backward()
    else:
        model.eval()
        with torch.no_grad():
            model(batch)
    peak = _status_kib("VmHWM")
    print(
        json.dumps(
            {
                "mode": mode,
                "delta_mib": (peak - base) / 1024,
                "peak_mib": peak / 1024,
                "seconds": time.perf_counter() - t0,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=1512)
    ap.add_argument("--stocks", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the trainer's default is 1)")
    ap.add_argument("--repeats", type=int, default=3, help="epochs timed per kernel; the best is printed")
    ap.add_argument("--skip-extras", action="store_true", help="epochs only: no attention timings, no peak RSS")
    ap.add_argument("--peak-child", choices=["train", "score"])
    ap.add_argument("--peak-stocks", type=int, default=5000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.peak_child:
        _peak_child(args.peak_child, args.peak_stocks)
        return
    from alpha_core.models.gat_residual import GATResidual, GATResidualConfig
    from alpha_core.models.mlp import MLP, MLPConfig

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, repeats {args.repeats}")
    batches = make_batches(args.days, args.stocks)

    def gat():
        torch.manual_seed(0)
        return GATResidual(GATResidualConfig(42, 64))

    with torch.no_grad():
        probe = gat().eval()
        diff = (probe(batches[0]) - with_issue6_kernels(probe).eval()(batches[0])).abs().max()
    new_wall, new_cpu = best_epoch(gat, batches, args.repeats)
    old_wall, old_cpu = best_epoch(lambda: with_issue6_kernels(gat()), batches, args.repeats)
    nn_wall, nn_cpu = best_epoch(lambda: MLP(MLPConfig(42, 64)), batches, args.repeats)
    scale = 1512 / args.days
    print(f"GAT+residual epoch, {args.days} days x {args.stocks} stocks (x{scale:.2f} -> 1512 days), goal < 12 s:")
    for label, wall, cpu in (
        ("issue-14 kernels", new_wall, new_cpu),
        ("issue-6 kernels", old_wall, old_cpu),
        ("nn", nn_wall, nn_cpu),
    ):
        print(
            f"  {label:17s} wall {wall:6.1f} s, CPU {cpu:6.1f} s (1512 days: wall {wall * scale:6.1f} s, CPU {cpu * scale:6.1f} s)"
        )
    print(
        f"  ratio issue-6 / issue-14 (speed-up): wall {old_wall / new_wall:.2f}x, CPU {old_cpu / new_cpu:.2f}x; "
        f"GAT/nn CPU {new_cpu / nn_cpu:.1f}x; max |score difference| {float(diff):.1e}"
    )
    if args.skip_extras:
        return
    dense, blocks, pyg = attention_ms()
    print(
        f"attention fwd+bwd, 1000 stocks, 5-sector graph: dense mask {dense:.1f} ms, group blocks {blocks:.1f} ms, "
        f"torch-geometric {pyg:.1f} ms; PyG/dense {pyg / dense:.1f}x, PyG/blocks {pyg / blocks:.1f}x"
    )
    for mode in ("train", "score"):
        res = subprocess.run(
            [
                sys.executable,
                __file__,
                "--peak-child",
                mode,
                "--peak-stocks",
                str(args.peak_stocks),
                "--threads",
                str(args.threads),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"one day of {args.peak_stocks} stocks, global attention, {mode}: peak RSS growth {r['delta_mib']:.0f} MiB "
            f"(process peak {r['peak_mib']:.0f} MiB), {r['seconds']:.2f} s"
        )


if __name__ == "__main__":
    main()
