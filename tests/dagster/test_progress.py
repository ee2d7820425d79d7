"""StageProgress: one line per stage with elapsed time and an ETA at the observed speed."""

import logging

import pytest

from alpha_dagster.lib.progress import Stage, StageProgress, clock_text


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_stage_with_elapsed_and_eta(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    log = logging.getLogger("test_progress")
    p = StageProgress([Stage("data", 10), Stage("train", 30), Stage("report", 10)], log, clock=clock)
    with caplog.at_level(logging.INFO, logger="test_progress"):
        with p.stage("data"):
            clock.now += 20  # twice as slow as expected: the ETA doubles too
        with p.stage("train"):
            clock.now += 40
        with p.stage("report"):
            clock.now += 5
    lines = [r.getMessage() for r in caplog.records]
    # after data: E = 20, done 10 of 50 -> ETA 20 * 40 / 10 = 80 s; after train: 60 * 10 / 40 = 15 s
    assert lines == [
        "stage 1/3 data: 20s; elapsed 0:20, ETA 1:20",
        "stage 2/3 train: 40s; elapsed 1:00, ETA 0:15",
        "stage 3/3 report: 5s; elapsed 1:05, ETA 0:00",
    ]


def test_stage_out_of_order_or_unknown_is_an_error() -> None:
    p = StageProgress([Stage("a", 1), Stage("b", 1)], logging.getLogger("test_progress"), clock=FakeClock())
    with pytest.raises(ValueError, match="'b' started out of order; expected 'a'"):
        with p.stage("b"):
            pass
    with p.stage("a"):
        pass
    with pytest.raises(ValueError, match="'a' started out of order; expected 'b'"):
        with p.stage("a"):
            pass


def test_a_failed_stage_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    p = StageProgress([Stage("a", 1)], logging.getLogger("test_progress"), clock=FakeClock())
    with caplog.at_level(logging.INFO, logger="test_progress"), pytest.raises(RuntimeError):
        with p.stage("a"):
            raise RuntimeError("boom")
    assert not caplog.records


def test_bad_stages_and_clock_text() -> None:
    with pytest.raises(ValueError, match="weight must be > 0"):
        Stage("x", 0)
    with pytest.raises(ValueError, match="unique"):
        StageProgress([Stage("x", 1), Stage("x", 2)], logging.getLogger("test_progress"))
    assert (clock_text(0), clock_text(59.6), clock_text(61), clock_text(3600)) == ("0:00", "1:00", "1:01", "60:00")
