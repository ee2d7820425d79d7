"""Step processes end when the process that launched them dies.

Dagster's multiprocess executor (the default of ``dagster asset materialize`` and of run workers)
starts each step in a child process. ``kill -9`` of the launching process cannot forward a
signal, so without a guard the step keeps running and finishes its writes after the kill. The
guard is a daemon thread in the child that blocks on the parent's sentinel (the pipe the
multiprocessing start method gives every child) and ends the child at once when the parent is
gone. Writes are atomic (temporary file + rename), so an ended step leaves no partial file.

The orderly way to stop a run is still Dagster's run termination (UI "Terminate", or the
``terminateRun`` GraphQL mutation): the executor interrupts its steps and records the run as
CANCELED. The guard covers the launcher being killed outright.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading

WATCHDOG_THREAD = "alpha-orphan-guard"
EXIT_ORPHANED = 75  # EX_TEMPFAIL: the step did not fail, it lost its run


def guard_step_process() -> bool:
    """In a multiprocessing child, start (once) the thread that exits when the parent dies.

    Returns True when this process is guarded (a child of multiprocessing), False in a top-level
    process (in-process execution, tests), where there is nothing to guard against.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    if any(t.name == WATCHDOG_THREAD for t in threading.enumerate()):
        return True
    threading.Thread(target=_exit_with_parent, args=(parent,), name=WATCHDOG_THREAD, daemon=True).start()
    return True


def _exit_with_parent(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's sentinel closes, i.e. the parent process is gone
    sys.stderr.write(f"step process {os.getpid()}: launching process {parent.pid} is gone; exiting\n")
    sys.stderr.flush()
    os._exit(EXIT_ORPHANED)  # no cleanup handlers: nothing more may be written
