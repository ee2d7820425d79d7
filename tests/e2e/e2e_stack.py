"""Starts a real Dagster deployment (code servers, webserver, daemon) in subprocesses for e2e tests.

Layout of one stack (all under a temporary directory)::

    dagster_home/dagster.yaml    copy of the repo's dagster.yaml (run queue + pool limits)
    dagster_home/workspace.yaml  one ``grpc_server`` entry per code location
    alpha_home/                  ALPHA_HOME: the Parquet store + DuckDB catalog of the runs
    logs/<process>.log           stdout+stderr of every process (tail shown on failure)

Each code location is served by one ``dagster api grpc`` process that both the webserver and
the daemon connect to, so the definitions are loaded once (not once per process). Runs are
launched by the default run launcher through that server. Every process is started in its own
session and stopped by its process-group id (never by name).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from alpha_dagster.lib.graphql_client import DagsterGraphQLClient

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (bound then released; good enough for a test)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float, alive=None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s:.0f}s")


def executable(name: str) -> str:
    """A console script of this virtualenv (``dagster``, ``dagster-webserver`` ...)."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def log_tail(path: Path, chars: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "<no log>"
    return text[-chars:]


@dataclass
class ManagedProcess:
    """One subprocess in its own session (process group), its output in ``log_path``."""

    name: str
    popen: subprocess.Popen
    log_path: Path

    def check_alive(self) -> None:
        rc = self.popen.poll()
        if rc is not None:
            raise RuntimeError(f"{self.name} exited with {rc}:\n{log_tail(self.log_path)}")

    def stop(self, grace_s: float = 10.0) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                return
        # SIGKILL what is left of the group (run workers the server spawned, hung children).
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(5)
        except subprocess.TimeoutExpired:
            log.warning("%s (pid %d) did not exit after SIGKILL", self.name, self.popen.pid)


@dataclass(frozen=True)
class CodeLocation:
    """A code location to serve: a module (``-m``) or a Python file (``-f``) with a ``defs`` attribute."""

    name: str
    module: str | None = None
    python_file: Path | None = None
    attribute: str = "defs"

    def grpc_args(self) -> list[str]:
        target = ["-m", self.module] if self.module else ["-f", str(self.python_file)]
        return [*target, "-a", self.attribute]


@dataclass
class DagsterStack:
    """A running webserver + daemon + one gRPC code server per location."""

    root: Path
    locations: tuple[CodeLocation, ...]
    env_overrides: Mapping[str, str] = field(default_factory=dict)
    instance_yaml: Path = REPO / "dagster.yaml"
    # Where ALPHA_HOME and DAGSTER_HOME live under root (a project root's layout: ".alpha_home",
    # ".alpha_home/dagster", as the Makefile's .env has them).
    alpha_home_dir: str = "alpha_home"
    dagster_home_dir: str = "dagster_home"
    processes: list[ManagedProcess] = field(default_factory=list)
    port: int = 0

    @property
    def dagster_home(self) -> Path:
        return self.root / self.dagster_home_dir

    @property
    def alpha_home(self) -> Path:
        return self.root / self.alpha_home_dir

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> DagsterGraphQLClient:
        return DagsterGraphQLClient(self.url)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DAGSTER_HOME=str(self.dagster_home),
            ALPHA_HOME=str(self.alpha_home),
            # 2-core CI: one BLAS/torch thread per process; several processes run at once.
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONUNBUFFERED="1",
            DAGSTER_DISABLE_TELEMETRY="1",
        )
        # The 2-year synthetic market (quick fold plan): a fold trains in seconds.
        env.setdefault("ALPHA_DATA", "synthetic:small")
        env.update(self.env_overrides)
        return env

    def _spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        log_path = self.root / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log_path, "wb")  # noqa: SIM115 - owned by the child for its lifetime
        popen = subprocess.Popen(
            argv,
            cwd=self.root,
            env=self.env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        fh.close()
        proc = ManagedProcess(name, popen, log_path)
        self.processes.append(proc)
        log.info("started %s (pid %d), log %s", name, popen.pid, log_path)
        return proc

    def check_alive(self) -> None:
        for p in self.processes:
            p.check_alive()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name}\n{log_tail(p.log_path, 3000)}" for p in self.processes)

    def start(self, ready_timeout_s: float = 180.0) -> DagsterStack:
        """Start code servers, then webserver and daemon; return once the workspace has loaded."""
        deadline = time.monotonic() + ready_timeout_s
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        self.alpha_home.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.instance_yaml, self.dagster_home / "dagster.yaml")
        self._init_instance_storage()
        entries = []
        servers = []
        for loc in self.locations:
            port = free_port()
            proc = self._spawn(
                f"code-server-{loc.name}",
                [
                    executable("dagster"),
                    "api",
                    "grpc",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    *loc.grpc_args(),
                    "--location-name",
                    loc.name,
                    "--lazy-load-user-code",
                    "--working-directory",
                    str(REPO),
                ],
            )
            servers.append((port, proc))
            entries.append(
                f"  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n      location_name: {loc.name}\n"
            )
        workspace = self.dagster_home / "workspace.yaml"
        workspace.write_text("load_from:\n" + "".join(entries))
        # The code servers load their definitions before they listen: wait, so the webserver
        # and daemon see loaded locations (a load error is served, not fatal: --lazy-load-user-code).
        for port, proc in servers:
            wait_for_port(port, deadline - time.monotonic(), alive=proc.check_alive)
        self.port = free_port()
        self._spawn(
            "webserver",
            [executable("dagster-webserver"), "-h", "127.0.0.1", "-p", str(self.port), "-w", str(workspace)],
        )
        self._spawn("daemon", [executable("dagster-daemon"), "run", "-w", str(workspace)])
        self.client.wait_until_ready(max(deadline - time.monotonic(), 5.0), alive=self.check_alive)
        return self

    def _init_instance_storage(self) -> None:
        """Create the instance's storage (SQLite files + schema stamps) once, here, before any
        server starts: the webserver, daemon and code servers would otherwise all create it at
        the same moment and race on the schema version ("more than one head")."""
        instance = dg.DagsterInstance.from_config(str(self.dagster_home))
        try:
            instance.get_runs_count()
        finally:
            instance.dispose()

    def stop(self) -> None:
        # Daemon first (stops launching runs), webserver, then the code servers and their run workers.
        for proc in sorted(self.processes, key=lambda p: {"daemon": 0, "webserver": 1}.get(p.name, 2)):
            proc.stop()


# ---------------------------------------------------------------------- backfill targets
def first_partitions(n: int):
    """Pick the first ``n`` partition keys (monthly assets: the first ``n`` months)."""

    def pick(keys: list[str]) -> list[str]:
        return list(keys[:n])

    return pick


def folds_of_model(n: int, model: str | None = None):
    """Pick ``n`` folds of one model from ``fold|model`` multi-partition keys (dimensions sort
    alphabetically, so ``fold`` comes first): ``model`` (default the first), its first ``n`` folds."""

    def pick(keys: list[str]) -> list[str]:
        pairs = [k.split("|") for k in keys]
        chosen = model or sorted({m for _, m in pairs})[0]
        folds = sorted({f for f, m in pairs if m == chosen})[:n]
        model_ = chosen
        return [f"{f}|{model_}" for f in folds]

    return pick


@dataclass(frozen=True)
class BackfillTarget:
    """What an e2e backfill launches: an asset of a code location and which of its partitions."""

    id: str
    location: str
    asset_key: str
    pick: Callable[[list[str]], list[str]]  # the asset's partition keys -> those to backfill
    # Assets to backfill over *all* their partitions first (one all-partitions backfill, waited
    # for), e.g. the factor/label lineage a model_checkpoint fold reads; "ancestors" = every
    # asset upstream of asset_key (read from the webserver's asset graph).
    upstream: tuple[str, ...] | str = ()

    def upstream_assets(self, client: DagsterGraphQLClient) -> list[str]:
        if self.upstream == "ancestors":
            return client.ancestors(self.asset_key)
        return list(self.upstream)

    def partitions(self, client: DagsterGraphQLClient) -> list[str]:
        return self.pick(client.partition_keys(self.asset_key))


PROJECT_LOCATION = "alpha"
TOY_LOCATION = "e2e_toy"

# The project's target: two folds of `model_checkpoint` (the `nn` model), after one
# all-partitions backfill of every upstream asset (it counts against the same time bound).
PROJECT_TARGET = BackfillTarget(
    "project", PROJECT_LOCATION, "model_checkpoint", folds_of_model(2, "nn"), upstream="ancestors"
)

# A throwaway one-asset location: checks the harness itself (server, daemon, GraphQL) in
# seconds, so a failure of the project target is known to be the project's.
TOY_TARGET = BackfillTarget("toy", TOY_LOCATION, "e2e_toy_partitioned", first_partitions(2))

TOY_DEFS = '''
import time

import dagster as dg

PARTS = dg.StaticPartitionsDefinition(["p1", "p2", "p3"])


@dg.asset(partitions_def=PARTS)
def e2e_toy_partitioned(context: dg.AssetExecutionContext) -> int:
    context.log.info("toy partition %s", context.partition_key)
    return len(context.partition_key)


@dg.asset(partitions_def=PARTS)
def e2e_toy_slow(context: dg.AssetExecutionContext) -> int:
    """Holds its partition for a few seconds, so two runs of one partition would overlap."""
    time.sleep(4.0)
    return len(context.partition_key)


defs = dg.Definitions(assets=[e2e_toy_partitioned, e2e_toy_slow])
'''
