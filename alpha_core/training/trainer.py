"""The one trainer for every torch :class:`~alpha_core.models.base.ScoreModel`.

One step = one trading day's cross-section (SPEC: one day = one batch)::

    loss_t = L(model(batch_t), y_t) [+ model.auxiliary_loss(batch_t, scores) when defined]

Adam (lr 1e-4 by default), days shuffled each epoch with a seeded generator, early stopping
with ``patience`` epochs on the validation set. The monitored validation metric is, by
default, the mean daily RankIC of the validation days (:class:`Monitor.RANK_IC`, higher is
better): it is what the signal is used for and is scale-free across losses (wmse, mse, IC);
``Monitor.LOSS`` (mean validation loss, lower is better) is the alternative. The returned
model holds the best epoch's weights. Models know nothing of data loading or files.

Weight averaging (``TrainConfig.weight_ema``, off by default): with one day per step and a
signal that explains ~1% of the label variance, each step's gradient is mostly noise and the
weights random-walk; on the synthetic market the test oracle IC of consecutive epochs of one run
swings by 0.1 (benchmarks/RESULTS.md). With ``weight_ema = d`` the trainer keeps the exponential
moving average of every floating-point entry of the state dict after each step,

    theta_ema <- d theta_ema + (1 - d) theta        (horizon ~ 1 / (1 - d) steps)

and validates, keeps and returns the averaged weights (Polyak averaging); training itself steps
the live weights as before.
"""

from __future__ import annotations

import enum
import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.progress import ProgressLog
from alpha_core.training.device import DevicePolicy, resolve_device
from alpha_core.training.losses import LossFn, LossKind, get_loss

log = logging.getLogger(__name__)


class Monitor(enum.StrEnum):
    """Validation metric for early stopping."""

    RANK_IC = "rank_ic"  # mean daily Spearman RankIC, maximised
    LOSS = "loss"  # mean daily loss, minimised


@dataclass(frozen=True)
class TrainConfig:
    """Args:
    lr: Adam learning rate (1e-4, SPEC).
    max_epochs: hard cap on epochs (100).
    patience: epochs without validation improvement before stopping (20, SPEC).
    monitor: early-stopping metric (RankIC).
    seed: seeds parameter init (when the model is built inside :func:`seeded`) and shuffling.
    weight_decay: Adam weight decay (0).
    grad_clip: max gradient norm, None = off.
    weight_ema: decay d of the weight average that is validated and returned (None = off; 0.998
        averages over ~500 steps, about one R1 epoch of days).
    loss: the main loss (wmse, SPEC default).
    num_threads: torch intra-op threads while training (restored afterwards); None = leave
        as is. Default 1: one day's cross-section is too small for intra-op parallelism to
        pay, and on a shared CPU the threads' spin-waits cost 10-50x (measured: 4 ms vs
        1.5-2 s per 200-stock step under load); run folds in parallel instead.
    device: where the model trains (:class:`~alpha_core.training.device.DevicePolicy`, AUTO: a
        CUDA device when there is one). The batches move there once (lazily built ones as
        they are built); nothing moves on the CPU. The trained model comes back on the CPU.
    """

    lr: float = 1e-4
    max_epochs: int = 100
    patience: int = 20
    monitor: Monitor = Monitor.RANK_IC
    seed: int = 0
    weight_decay: float = 0.0
    grad_clip: float | None = None
    weight_ema: float | None = None
    loss: LossKind = LossKind.WMSE
    num_threads: int | None = 1
    device: DevicePolicy = DevicePolicy.AUTO


@dataclass(frozen=True)
class EpochReport:
    """What the per-epoch callback receives."""

    epoch: int
    train_loss: float
    valid_loss: float
    valid_rank_ic: float
    best_epoch: int
    best_metric: float
    elapsed_s: float


@dataclass
class TrainResult:
    """Outcome of :func:`train`: ``curve`` has one row per epoch (columns epoch, train_loss,
    valid_loss, valid_rank_ic); ``best_state`` is the state dict of ``best_epoch``."""

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    best_metric: float
    monitor: Monitor
    epochs_run: int
    wall_s: float
    curve: pd.DataFrame = field(repr=False)
    device: str = "cpu"  # where it trained (the best state's tensors are there too)

    @property
    def valid_metrics(self) -> dict[str, float]:
        row = self.curve.loc[self.curve["epoch"] == self.best_epoch].iloc[0]
        return {
            "best_epoch": float(self.best_epoch),
            "valid_loss": float(row["valid_loss"]),
            "valid_rank_ic": float(row["valid_rank_ic"]),
            "epochs_run": float(self.epochs_run),
            "wall_s": float(self.wall_s),
        }


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's RNG seeded and deterministic algorithms on, restoring both.

    Build models inside it so parameter init is reproducible without touching global state.
    """
    prev = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(prev, warn_only=prev_warn)


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily run torch with ``n`` intra-op threads (None: leave it as is), restoring it.

    Scoring runs under the training's thread budget (``TrainConfig.num_threads``), so a
    reloaded checkpoint reproduces the fold's scores bit for bit.
    """
    prev = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def rank_ic_torch(pred: torch.Tensor, label: torch.Tensor) -> float:
    """Spearman corr of two (N,) tensors (ordinal ranks), NaN for N < 2 or a constant input."""
    if pred.numel() < 2 or bool(torch.all(pred == pred[0])) or bool(torch.all(label == label[0])):
        return float("nan")  # ordinal ranks of a constant would invent an ordering
    rp = torch.argsort(torch.argsort(pred)).double()
    rl = torch.argsort(torch.argsort(label)).double()
    rp, rl = rp - rp.mean(), rl - rl.mean()
    den = torch.sqrt((rp * rp).sum() * (rl * rl).sum())
    return float((rp * rl).sum() / den) if den > 0 else float("nan")


def _step_loss(model: nn.Module, batch: DayBatch, loss_fn: LossFn) -> tuple[torch.Tensor, torch.Tensor]:
    scores = model(batch)
    loss = loss_fn(scores, batch.y)
    aux = getattr(model, "auxiliary_loss", None)
    if aux is not None:
        loss = loss + aux(batch, scores)
    return loss, scores


def evaluate(model: nn.Module, batches: Sequence[DayBatch], loss_fn: LossFn) -> tuple[float, float]:
    """(mean loss, mean daily RankIC) over labelled ``batches`` in eval mode, inference mode."""
    model.eval()
    losses, ics = [], []
    with torch.inference_mode():
        for b in batches:
            loss, scores = _step_loss(model, b, loss_fn)
            losses.append(float(loss))
            ics.append(rank_ic_torch(scores, b.y))
    ic = np.asarray(ics, dtype=float)
    mean_ic = float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan")
    return (float(np.mean(losses)) if losses else float("nan")), mean_ic


def _improved(metric: float, best: float, monitor: Monitor) -> bool:
    if not np.isfinite(metric):
        return False
    if not np.isfinite(best):
        return True
    return metric > best if monitor is Monitor.RANK_IC else metric < best


class WeightAverage:
    """Exponential moving average of a model's floating-point state (parameters and buffers).

    ``update()`` after each optimiser step; ``swap()`` exchanges the live and averaged weights in
    the model (call it twice to restore). Integer buffers (BatchNorm's batch counter) stay live.
    """

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight_ema must be in (0, 1), got {decay}")
        self.decay = decay
        # state_dict() tensors share storage with the model and are updated in place by the
        # optimiser and load_state_dict, so the live tensors are looked up once, not every step
        self.live = {k: v for k, v in model.state_dict().items() if v.is_floating_point()}
        self.avg = {k: v.detach().clone() for k, v in self.live.items()}

    @torch.no_grad()
    def update(self) -> None:
        for k, a in self.avg.items():
            a.mul_(self.decay).add_(self.live[k], alpha=1.0 - self.decay)

    @torch.no_grad()
    def swap(self) -> None:
        for k, a in self.avg.items():
            held = self.live[k].clone()
            self.live[k].copy_(a)
            a.copy_(held)


def train(
    model: nn.Module,
    train_batches: Sequence[DayBatch],
    valid_batches: Sequence[DayBatch],
    config: TrainConfig = TrainConfig(),
    *,
    loss_fn: LossFn | None = None,
    init_state: Mapping[str, torch.Tensor] | None = None,
    callback: Callable[[EpochReport], None] | None = None,
    progress: bool | None = None,
    progress_log: ProgressLog | None = None,
) -> TrainResult:
    """Fit ``model`` in place and return the best epoch (``model`` ends with its weights).

    Args:
        model: any nn.Module with ``forward(DayBatch) -> (N,)``; optional
            ``auxiliary_loss(batch, scores) -> scalar`` is added to the loss.
        train_batches / valid_batches: labelled day batches (``y`` finite).
        config: :class:`TrainConfig`.
        loss_fn: overrides ``config.loss`` (any ``(pred (N,), label (N,)) -> scalar``).
        init_state: warm start (e.g. the previous fold's best state dict).
        callback: called after every epoch with an :class:`EpochReport`, while ``model`` holds
            the weights just validated (the averaged ones under ``weight_ema``).
        progress: tqdm bar; None = only when stderr is a terminal.
        progress_log: log ``epoch i/max_epochs, elapsed, ETA`` (an upper bound when early stopping
            may end sooner) with the epoch's losses and RankIC, throttled (:mod:`alpha_core.progress`).
    """
    if not train_batches:
        raise ValueError("no train batches: the train window has no labelled day")
    loss_fn = loss_fn or get_loss(config.loss)
    monitor = Monitor(config.monitor)
    if not valid_batches:
        log.warning("no validation days: early stopping on the training loss")
        monitor = Monitor.LOSS
    device = resolve_device(config.device)
    if device.type != "cpu":
        model.to(device)
        train_batches, valid_batches = on_device(train_batches, device), on_device(valid_batches, device)
    if init_state is not None:
        model.load_state_dict(init_state)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    ema = WeightAverage(model, config.weight_ema) if config.weight_ema is not None else None
    rng = np.random.default_rng(config.seed)
    show = sys.stderr.isatty() if progress is None else progress
    epochs: Iterator[int] = iter(range(1, config.max_epochs + 1))
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=config.max_epochs, desc="epochs", leave=False)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    best_metric, best_epoch, stale = float("nan"), 0, 0
    rows = []
    t0 = time.perf_counter()
    epoch_progress = (
        progress_log.start("epoch", config.max_epochs, bound=config.patience < config.max_epochs)
        if progress_log is not None
        else None
    )
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    prev_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True, warn_only=True)
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    try:
        for epoch in epochs:
            model.train()
            total = 0.0
            for i in rng.permutation(len(train_batches)):
                batch = train_batches[i]
                opt.zero_grad(set_to_none=True)
                loss, _ = _step_loss(model, batch, loss_fn)
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                opt.step()
                if ema is not None:
                    ema.update()
                total += float(loss.detach())
            train_loss = total / len(train_batches)
            if ema is not None:
                ema.swap()  # validate (and keep) the averaged weights
            valid_loss, valid_ic = (
                evaluate(model, valid_batches, loss_fn) if valid_batches else (train_loss, float("nan"))
            )
            metric = valid_ic if monitor is Monitor.RANK_IC else valid_loss
            if best_epoch == 0 or _improved(metric, best_metric, monitor):  # epoch 1 is the floor
                best_metric, best_epoch, stale = metric, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += 1
            rows.append((epoch, train_loss, valid_loss, valid_ic))
            report = EpochReport(
                epoch, train_loss, valid_loss, valid_ic, best_epoch, best_metric, time.perf_counter() - t0
            )
            log.debug("epoch %d train %.5f valid %.5f rank_ic %.4f", epoch, train_loss, valid_loss, valid_ic)
            if callback is not None:
                callback(report)
            if epoch_progress is not None:
                epoch_progress.advance(
                    detail=f"; train {train_loss:.5f} valid {valid_loss:.5f} RankIC {valid_ic:.4f} "
                    f"(best epoch {best_epoch})"
                )
            if bar is not None:
                bar.update(1)
                bar.set_postfix(valid_ic=f"{valid_ic:.4f}", best=best_epoch)
            if ema is not None:
                ema.swap()  # back to the live weights (the callback saw the validated ones)
            if stale >= config.patience:
                break
        if epoch_progress is not None:
            epoch_progress.finish(detail=f"; best epoch {best_epoch}")  # no-op unless it stopped early
    finally:
        torch.use_deterministic_algorithms(prev_det, warn_only=prev_warn)
        torch.set_num_threads(prev_threads)
        if bar is not None:
            bar.close()
    if device.type != "cpu":  # scoring, checkpoints and stage 2 read the model on the CPU
        model.to("cpu")
        best_state = {k: v.cpu() for k, v in best_state.items()}
    model.load_state_dict(best_state)
    curve = pd.DataFrame(rows, columns=["epoch", "train_loss", "valid_loss", "valid_rank_ic"])
    return TrainResult(
        best_state=best_state,
        best_epoch=best_epoch,
        best_metric=best_metric,
        monitor=monitor,
        epochs_run=len(rows),
        wall_s=time.perf_counter() - t0,
        curve=curve,
        device=str(device),
    )


class _MovedBatches(Sequence[DayBatch]):
    """``batches`` moved to ``device`` as each is read (batches built lazily stay lazy)."""

    def __init__(self, batches: Sequence[DayBatch], device: torch.device) -> None:
        self._batches, self._device = batches, device

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return _MovedBatches(self._batches[i], self._device)
        return self._batches[int(i)].to(self._device)


def on_device(batches: Sequence[DayBatch], device: torch.device) -> Sequence[DayBatch]:
    """``batches`` on ``device``: a list or tuple is moved once, here; any other sequence (built
    lazily, e.g. sequences attached per day) is moved batch by batch as it is read."""
    if isinstance(batches, (list, tuple)):
        return [b.to(device) for b in batches]
    return _MovedBatches(batches, device)


def predict(model: nn.Module, batches: Sequence[DayBatch]) -> pd.DataFrame:
    """Scores of ``batches`` in eval mode: long frame (date, code, score float64), sorted. Each
    batch is scored on the device of ``model``'s parameters (the CPU for a reloaded checkpoint)."""
    model.eval()
    frames = []
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    with torch.no_grad():
        for b in batches:
            s = model(b.to(device)).detach().double().cpu().numpy()
            frames.append(pd.DataFrame({"date": b.date, "code": b.codes, "score": s}))
    if not frames:
        return pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "code": pd.Series(dtype=object),
                "score": pd.Series(dtype=float),
            }
        )
    out = pd.concat(frames, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out.sort_values(["date", "code"], kind="stable").reset_index(drop=True)
