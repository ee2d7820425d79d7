"""``make ui``: Dagster's local deployment (``dg dev``: code server, webserver, daemon) on the
project's instance, stopped cleanly by Ctrl-C and by SIGTERM.

Two things stand between ``dagster dev`` run from a Makefile and a clean stop:

- A process started in the background of a non-interactive shell (``make ui &``, a service
  manager, a CI job) inherits SIGINT *ignored*; Python then installs no KeyboardInterrupt
  handler, and Dagster maps SIGTERM onto that same "ignore" (``setup_interrupt_handlers``), so
  neither signal stops it. This entry point resets both to their defaults before it execs the
  CLI, so the CLI's own shutdown path (stop webserver and daemon over their shutdown pipes, then
  the code servers) runs on either signal. GNU make forwards SIGTERM to its child, so
  ``kill -TERM <make>`` works too.
- ``dagster dev`` warns when the working directory holds a ``dagster.yaml`` other than
  ``$DAGSTER_HOME``'s (the repo's file is the template ``make`` copies there). The CLI is run
  from ``$DAGSTER_HOME``, with the project's ``.env`` already applied (:func:`load_project_env`).

Usage: ``python -m alpha_dagster.lib.dev_server [dg dev options...]`` from the project root.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from alpha_dagster.lib.project_env import load_project_env

WORKSPACE = "workspace.yaml"


def dev_command(root: Path, extra: Sequence[str]) -> list[str]:
    """The ``dg dev`` command line for the project at ``root``."""
    dg_cli = Path(sys.executable).with_name("dg")
    return [str(dg_cli if dg_cli.exists() else shutil.which("dg") or "dg"), "dev", "-w", str(root / WORKSPACE), *extra]


def main(argv: Sequence[str] | None = None) -> None:
    root = Path.cwd()
    if not (root / WORKSPACE).is_file():
        raise SystemExit(f"run from the project root: no {WORKSPACE} in {root}")
    load_project_env(root)
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise SystemExit(f"DAGSTER_HOME is not set and {root / '.env'} does not set it: run `make ui`")
    Path(home).mkdir(parents=True, exist_ok=True)
    if not (Path(home) / "dagster.yaml").exists():
        shutil.copy(root / "dagster.yaml", Path(home) / "dagster.yaml")
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # dispositions survive exec: the CLI sees defaults
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(home)
    command = dev_command(root, list(sys.argv[1:] if argv is None else argv))
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
