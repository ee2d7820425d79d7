"""Issue 16 case 8: ``kill -9`` of the launching process ends its step processes.

The launcher here starts its worker exactly as Dagster's multiprocess executor starts a step
(``multiprocessing`` with the ``spawn`` start method); the worker guards itself like every step
that builds the ParquetIOManager. After the kill, the worker must be gone well before it would
have finished, and its write must never happen.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from alpha_dagster.lib.orphan_guard import guard_step_process

WORKER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path

    def step(out: str) -> None:
        from alpha_dagster.lib.orphan_guard import guard_step_process
        assert guard_step_process()
        Path(out, "worker.pid").write_text(str(os.getpid()))
        time.sleep(6.0)  # the "computation"
        Path(out, "written").write_text("the step finished its write")
""")

LAUNCHER = textwrap.dedent("""
    import multiprocessing, sys
    sys.path.insert(0, sys.argv[1])
    import orphan_worker

    if __name__ == "__main__":
        p = multiprocessing.get_context("spawn").Process(target=orphan_worker.step, args=(sys.argv[1],))
        p.start()
        p.join()
""")


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an exited orphan may wait for a reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_top_level_process_is_not_guarded():
    assert guard_step_process() is False  # in-process execution: nothing launched us to outlive


def test_kill_9_of_the_launcher_ends_the_step_process(tmp_path):
    (tmp_path / "orphan_worker.py").write_text(WORKER)
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    launcher = subprocess.Popen(
        [sys.executable, str(tmp_path / "launcher.py"), str(tmp_path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        pid_file = tmp_path / "worker.pid"
        deadline = time.monotonic() + 120  # spawning imports alpha_dagster: slow on a loaded machine
        while not pid_file.exists():
            assert launcher.poll() is None, launcher.stderr.read().decode()
            assert time.monotonic() < deadline, "worker never started"
            time.sleep(0.1)
        worker = int(pid_file.read_text())
        killed_at = time.monotonic()
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(timeout=30)
        while _running(worker) and time.monotonic() - killed_at < 5.0:
            time.sleep(0.05)
        assert not _running(worker), "the step process outlived its launcher"
        time.sleep(max(0.0, 7.0 - (time.monotonic() - killed_at)))  # past the step's own end
        assert not (tmp_path / "written").exists(), "the orphaned step still wrote its output"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        launcher.stderr.close()
