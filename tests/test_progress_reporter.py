"""alpha_core.progress: i/N, elapsed and ETA (mean time per completed unit), throttled, with a
final line; a fake clock and a list-collecting logger make every number hand-computable."""

import logging

import pandas as pd
import pytest

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.factors import FactorInputs, compute_factors
from alpha_core.progress import Progress, ProgressLog, clock_text


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class TickingClock(FakeClock):
    """Every reading is one second after the previous one."""

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class ListLog:
    """Logger-like: ``info(msg, *args)`` -> the formatted line, kept."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str, *args: object) -> None:
        self.lines.append(msg % args)


def test_lines_carry_i_of_n_elapsed_and_the_mean_time_eta():
    clock, log = FakeClock(), ListLog()
    p = Progress("month", 10, log, every_s=10, clock=clock)
    for t in (4, 12, 15, 22, 23, 24, 25, 26, 27, 30):  # unit k completes at start + t seconds
        clock.now = 100.0 + t
        p.advance()
    # unit 1 at 4 s: < 10 s since the start, no line. Unit 2 at 12 s: ETA = 12 / 2 * 8 = 48 s.
    # unit 4 at 22 s (10 s after the last line): ETA = 22 / 4 * 6 = 33 s. Unit 10: the final line.
    assert log.lines == [
        "month 2/10 (20%): elapsed 0:12, ETA 0:48",
        "month 4/10 (40%): elapsed 0:22, ETA 0:33",
        "month 10/10 done in 0:30",
    ]
    assert p.eta() == 0.0
    with pytest.raises(ValueError, match="after its final line"):
        p.advance()


def test_thousands_of_fast_units_log_one_line_per_interval():
    clock, log = FakeClock(0.0), ListLog()
    p = Progress("round", 6400, log, every_s=10, clock=clock)
    for _ in range(6400):
        clock.now += 1 / 64  # 100 s in all, exact in binary
        p.advance()
    assert len(log.lines) == 10  # at 10, 20, ..., 90 s and the final line at 100 s
    assert log.lines[0] == "round 640/6400 (10%): elapsed 0:10, ETA 1:30"
    assert log.lines[-1] == "round 6400/6400 done in 1:40"


def test_a_fast_loop_logs_only_its_final_line_and_n_units_count():
    clock, log = FakeClock(), ListLog()
    p = Progress("factor", 300, log, clock=clock)
    clock.now += 1.0
    p.advance(120)
    clock.now += 2.0
    p.advance(180)
    assert log.lines == ["factor 300/300 done in 0:03"]
    with pytest.raises(ValueError, match="exceed the total"):
        Progress("x", 2, log, clock=clock).advance(3)


def test_early_stop_bound_eta_and_finish():
    clock, log = FakeClock(), ListLog()
    p = Progress("epoch", 100, log, every_s=0, bound=True, clock=clock)
    clock.now += 30
    p.advance(detail="; valid 0.5")
    clock.now += 60
    p.advance()
    clock.now += 1
    p.finish(detail="; best epoch 1")
    p.finish()  # a second finish writes nothing
    # ETA after 1 epoch: 30 * 99 = 2970 s = 49:30; after 2: 90 / 2 * 98 = 4410 s = 73:30 (upper bounds)
    assert log.lines == [
        "epoch 1/100 (1%): elapsed 0:30, ETA <= 49:30; valid 0.5",
        "epoch 2/100 (2%): elapsed 1:30, ETA <= 73:30",
        "epoch 2/100 done in 1:31 (stopped early); best epoch 1",
    ]


def test_finish_after_the_last_unit_adds_nothing():
    log = ListLog()
    p = Progress("epoch", 2, log, clock=FakeClock())
    p.advance()
    p.advance()
    p.finish()
    assert log.lines == ["epoch 2/2 done in 0:00"]


def test_progress_log_prefixes_and_passes_throttle_and_clock():
    clock, log = FakeClock(), ListLog()
    sink = ProgressLog(log, every_s=5, clock=clock).with_prefix("gat 2020-01-02 ").with_prefix("seed 0: ")
    p = sink.start("epoch", 3, bound=True)
    assert (p.every_s, p.bound, p.clock) == (5, True, clock)
    clock.now += 6
    p.advance()
    assert log.lines == ["gat 2020-01-02 seed 0: epoch 1/3 (33%): elapsed 0:06, ETA <= 0:12"]


def test_a_standard_logger_works(caplog: pytest.LogCaptureFixture):
    log = logging.getLogger("test_progress_reporter")
    with caplog.at_level(logging.INFO, logger="test_progress_reporter"):
        p = Progress("100%", 1, log, clock=FakeClock())  # a '%' in the name is an argument, not a format
        p.advance()
    assert [r.getMessage() for r in caplog.records] == ["100% 1/1 done in 0:00"]


def test_bad_arguments_and_clock_text():
    with pytest.raises(ValueError, match="total must be >= 0"):
        Progress("x", -1, ListLog())
    with pytest.raises(ValueError, match="every_s"):
        Progress("x", 1, ListLog(), every_s=-1)
    assert (clock_text(0), clock_text(59.6), clock_text(61), clock_text(3600)) == ("0:00", "1:00", "1:01", "60:00")


def test_compute_factors_reports_the_computed_factors_and_changes_nothing():
    market = SyntheticSource.from_profile("small")
    cal = market.calendar()
    inputs = FactorInputs(market.bars(cal[0], cal[-1]), None, None, None, None)
    names = ["ret_5d", "con_eps_g", "ret_1m", "kmid"]  # con_eps_g needs consensus: absent, not counted
    start, end = cal[100], cal[-1]
    log = ListLog()
    with_progress = compute_factors(
        inputs, names, start, end, progress_log=ProgressLog(log, every_s=0, clock=TickingClock())
    )
    plain = compute_factors(inputs, names, start, end)
    pd.testing.assert_frame_equal(with_progress, plain)
    assert with_progress.attrs == plain.attrs
    # the clock reads 101 at the start, then 102, 103, 104 after each factor
    assert log.lines == [
        "factor 1/3 (33%): elapsed 0:01, ETA 0:02",
        "factor 2/3 (66%): elapsed 0:02, ETA 0:01",
        "factor 3/3 done in 0:03",
    ]
