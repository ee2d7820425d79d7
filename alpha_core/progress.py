"""Progress of a loop over a known number of units (months, factors, epochs, boosting rounds).

:class:`Progress` logs ``<what> i/N (p%): elapsed m:ss, ETA m:ss`` as units complete. After unit
i of N, with elapsed wall time E since the reporter was created, the ETA is the mean time per
completed unit times the units left:

    ETA = E / i * (N - i)

Throttle: a line after unit i only when i == N (the final line, ``<what> N/N done in m:ss``,
always) or when at least ``every_s`` seconds (default 10) have passed since the previous line
(or the start). A loop of thousands of fast units logs about one line per 10 s, one that is
over in under 10 s only its final line, and units slower than ``every_s`` one line each.
A loop capped at N that may stop sooner (early stopping) is created with ``bound=True``: its
ETA is an upper bound (``ETA <= m:ss``) and :meth:`Progress.finish` writes the final line
(``... done in m:ss (stopped early)``).

Library functions take an optional :class:`ProgressLog` (the logger, throttle and clock to
report with; any object with ``.info(msg, *args)`` works, e.g. Dagster's ``context.log``) and
start one :class:`Progress` per loop. Reporting reads the clock only: it never touches an RNG
or the order of a computation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

DEFAULT_EVERY_S = 10.0


class LoggerLike(Protocol):
    """What a reporter logs to: ``logging.Logger``, ``logging.LoggerAdapter``, Dagster's ``context.log``."""

    def info(self, msg: str, *args: Any) -> Any: ...


def clock_text(seconds: float) -> str:
    """``m:ss`` of a non-negative number of seconds (rounded to the second)."""
    s = int(round(max(seconds, 0.0)))
    return f"{s // 60}:{s % 60:02d}"


@dataclass
class Progress:
    """Throttled ``i/N, elapsed, ETA`` lines of one loop (see the module docstring).

    Call :meth:`advance` after each completed unit (or ``n`` of them); :meth:`finish` after a
    loop that may have stopped before ``total``. The clock starts when the reporter is created.
    """

    what: str
    total: int
    logger: LoggerLike
    every_s: float = DEFAULT_EVERY_S
    bound: bool = False
    clock: Callable[[], float] = time.perf_counter
    done: int = field(default=0, init=False)
    _t0: float = field(default=0.0, init=False, repr=False)
    _last: float = field(default=0.0, init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.total < 0:
            raise ValueError(f"{self.what}: total must be >= 0, got {self.total}")
        if self.every_s < 0:
            raise ValueError(f"{self.what}: every_s must be >= 0, got {self.every_s}")
        self._t0 = self._last = self.clock()

    def elapsed(self, now: float | None = None) -> float:
        return (self.clock() if now is None else now) - self._t0

    def eta(self, now: float | None = None) -> float:
        """Seconds left at the mean time per completed unit (NaN before the first unit)."""
        if self.done == 0:
            return float("nan")
        return self.elapsed(now) / self.done * (self.total - self.done)

    def advance(self, n: int = 1, detail: str = "") -> None:
        """``n`` more units completed; ``detail`` is appended to the line if one is logged."""
        if self._finished:
            raise ValueError(f"{self.what}: advanced after its final line")
        if n < 1 or self.done + n > self.total:
            raise ValueError(f"{self.what}: {self.done} + {n} units exceed the total {self.total}")
        self.done += n
        now = self.clock()
        if self.done == self.total:
            self._final(now, detail)
        elif now - self._last >= self.every_s:
            self._last = now
            eta = self.eta(now)
            self.logger.info(
                "%s %d/%d (%d%%): elapsed %s, ETA %s%s%s",
                self.what,
                self.done,
                self.total,
                100 * self.done // self.total,
                clock_text(self.elapsed(now)),
                "<= " if self.bound else "",
                clock_text(eta),
                detail,
            )

    def finish(self, detail: str = "") -> None:
        """The final line, unless :meth:`advance` already wrote it (the loop reached ``total``)."""
        if not self._finished:
            self._final(self.clock(), detail)

    def _final(self, now: float, detail: str) -> None:
        self._finished = True
        early = " (stopped early)" if self.done < self.total else ""
        self.logger.info(
            "%s %d/%d done in %s%s%s", self.what, self.done, self.total, clock_text(self.elapsed(now)), early, detail
        )


@dataclass(frozen=True)
class ProgressLog:
    """Where and how often loops report: the logger, the throttle, the clock and a prefix of
    every line (e.g. the fold and model). Pass one to a library function's ``progress_log=``."""

    logger: LoggerLike
    every_s: float = DEFAULT_EVERY_S
    clock: Callable[[], float] = time.perf_counter
    prefix: str = ""

    def with_prefix(self, prefix: str) -> ProgressLog:
        """The same sink with ``prefix`` appended to the lines' prefix."""
        return replace(self, prefix=self.prefix + prefix)

    def start(self, what: str, total: int, *, bound: bool = False) -> Progress:
        """A reporter for a loop of ``total`` units named ``what`` (``bound``: it may stop sooner)."""
        return Progress(self.prefix + what, total, self.logger, every_s=self.every_s, bound=bound, clock=self.clock)
