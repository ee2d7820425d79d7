"""Overall progress of a fixed sequence of stages (``make demo``): one line per finished stage.

Each stage has an expected cost ``w_k`` (seconds measured on an idle 2-core machine; only their
ratios matter). After stage i of N, with elapsed wall time E and done weight W_i = sum_{k<=i} w_k:

    ETA = E * (W_N - W_i) / W_i

i.e. the remaining stages are assumed to run at the speed observed so far (a loaded machine
stretches both E and the ETA by the same factor).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from alpha_core.progress import clock_text

__all__ = ["Stage", "StageProgress", "clock_text"]


@dataclass(frozen=True)
class Stage:
    """One stage of a run: its name and its expected cost (any unit, > 0)."""

    name: str
    weight: float

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise ValueError(f"stage {self.name!r}: weight must be > 0, got {self.weight}")


@dataclass
class StageProgress:
    """Logs ``stage i/N <name>: <t>s; elapsed m:ss, ETA m:ss`` when each stage finishes.

    Stages must run in the declared order (a stage run out of order is a programming error).
    """

    stages: Sequence[Stage]
    logger: logging.Logger
    clock: Callable[[], float] = time.perf_counter
    _t0: float | None = field(default=None, init=False)
    _next: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique: {names}")

    @property
    def elapsed(self) -> float:
        return 0.0 if self._t0 is None else self.clock() - self._t0

    def eta(self, done: int) -> float:
        """Seconds left after the first ``done`` stages, at the speed observed so far."""
        total = sum(s.weight for s in self.stages)
        finished = sum(s.weight for s in self.stages[:done])
        return self.elapsed * (total - finished) / finished if finished > 0 else float("nan")

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._next >= len(self.stages) or self.stages[self._next].name != name:
            expected = self.stages[self._next].name if self._next < len(self.stages) else "(none left)"
            raise ValueError(f"stage {name!r} started out of order; expected {expected!r}")
        if self._t0 is None:
            self._t0 = self.clock()
        t0 = self.clock()
        yield
        self._next += 1
        self.logger.info(
            "stage %d/%d %s: %.0fs; elapsed %s, ETA %s",
            self._next,
            len(self.stages),
            name,
            self.clock() - t0,
            clock_text(self.elapsed),
            clock_text(self.eta(self._next)),
        )
