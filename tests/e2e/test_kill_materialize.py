"""Issue 16 case 8, through the Dagster CLI: ``kill -9`` of ``dagster asset materialize`` ends
the step process (multiprocess executor), and the asset's partition file is never written."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEFS = textwrap.dedent("""
    import os, time
    from pathlib import Path

    import dagster as dg
    import pandas as pd

    from alpha_dagster.lib.io_manager import ParquetIOManager


    @dg.asset
    def slow_table() -> pd.DataFrame:
        Path(os.environ["ALPHA_HOME"], "step.pid").write_text(str(os.getpid()))
        time.sleep(8.0)
        return pd.DataFrame({"x": [1.0, 2.0]})


    defs = dg.Definitions(assets=[slow_table], resources={"io_manager": ParquetIOManager(home=os.environ["ALPHA_HOME"])})
""")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_kill_9_of_asset_materialize_ends_the_step_and_writes_nothing(tmp_path):
    (tmp_path / "slow_defs.py").write_text(DEFS)
    home, dagster_home = tmp_path / "alpha_home", tmp_path / "dagster_home"
    home.mkdir()
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "ALPHA_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "OMP_NUM_THREADS": "1"}
    cli = str(Path(sys.executable).parent / "dagster")
    log = open(tmp_path / "materialize.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [cli, "asset", "materialize", "-f", str(tmp_path / "slow_defs.py"), "--select", "slow_table"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        pid_file = home / "step.pid"
        deadline = time.monotonic() + 300  # CLI + step process start-up on a loaded machine
        while not pid_file.exists():
            assert proc.poll() is None, (tmp_path / "materialize.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(0.2)
        step = int(pid_file.read_text())
        assert step != proc.pid  # the multiprocess executor: the step is a child process
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        while _running(step) and time.monotonic() - killed_at < 5.0:
            time.sleep(0.05)
        assert not _running(step), "the step process outlived `dagster asset materialize`"
        time.sleep(max(0.0, 10.0 - (time.monotonic() - killed_at)))  # past the step's own end
        table = home / "slow_table"
        assert not table.exists() or not any(table.rglob("*.parquet")), "the killed run still wrote its table"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
