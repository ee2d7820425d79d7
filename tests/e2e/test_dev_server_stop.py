"""``make ui``'s server stops cleanly on SIGTERM, even when started in the background.

The server (``python -m alpha_dagster.lib.dev_server``, what ``make ui`` runs) is started the way a
non-interactive shell starts a background job: SIGINT ignored. Plain ``dagster dev`` started
that way ignores SIGTERM too (Dagster maps SIGTERM onto the SIGINT disposition; measured: still
running 40 s after SIGTERM). Once the webserver answers, SIGTERM goes to the server process; its
whole process group (CLI, code server, webserver, daemon) must be gone within the bound, and the
CLI must have taken its own shutdown path (its "Dagster services shut down." line).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_stack import REPO, free_port

from alpha_dagster.lib.graphql_client import DagsterGraphQLClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

STOP_WITHIN_S = 30.0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_dev_server_stops_on_sigterm_when_started_in_the_background(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    for name in ("workspace.yaml", "dagster.yaml"):
        shutil.copy(REPO / name, root / name)
    env = {k: v for k, v in os.environ.items() if k not in ("ALPHA_HOME", "DAGSTER_HOME")}
    subprocess.run(
        ["make", "-s", "-C", str(root), "-f", str(REPO / "Makefile"), ".env"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    env.update(ALPHA_DATA="synthetic:small", OMP_NUM_THREADS="1", DAGSTER_DISABLE_TELEMETRY="1")
    port = free_port()
    log_path = tmp_path / "dev_server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alpha_dagster.lib.dev_server", "-p", str(port), "-h", "127.0.0.1"],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # a background job's SIGINT
        )
    pgid = proc.pid  # start_new_session: the server leads its own process group
    try:
        DagsterGraphQLClient(f"http://127.0.0.1:{port}").wait_until_ready(
            600.0, alive=lambda: proc.poll() is None or pytest.fail(log_path.read_text()[-3000:])
        )
        assert (root / ".alpha_home" / "dagster" / "dagster.yaml").exists()  # the .env's instance
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        while (proc.poll() is None or _group_alive(pgid)) and time.monotonic() - t0 < STOP_WITHIN_S:
            time.sleep(0.5)  # poll() reaps the server once it exits (a zombie still counts as alive)
        stopped_s = time.monotonic() - t0
        assert not _group_alive(pgid), f"still running {stopped_s:.0f}s after SIGTERM:\n{log_path.read_text()[-3000:]}"
        assert "Dagster services shut down." in log_path.read_text()
    finally:
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
