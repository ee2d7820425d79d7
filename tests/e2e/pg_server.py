"""A throwaway PostgreSQL server for tests: initdb into a temp dir, ``postgres`` on 127.0.0.1:<free port>.

Needs the server binaries (Debian: ``apt-get install -y postgresql``; found under
``/usr/lib/postgresql/*/bin``, on PATH, or in ``$PG_BIN``). PostgreSQL refuses to run as root,
so under root the cluster is owned by and run as the ``postgres`` user (created by the Debian
package) or ``nobody``. Authentication is ``trust`` on the loopback only; ``fsync=off`` because
the data is thrown away.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from e2e_stack import free_port, log_tail

SUPERUSER = "dagster"


def pg_bin_dir() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise FileNotFoundError("PostgreSQL server binaries not found: `apt-get install -y postgresql` or set $PG_BIN")


def _run_as() -> str | None:
    """The user to run the server as when we are root (PostgreSQL refuses uid 0)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresServer:
    root: Path
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables deploy/dagster-postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": SUPERUSER,
            "DAGSTER_PG_PASSWORD": "unused-trust-auth",
        }

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname)

    def create_database(self, name: str) -> str:
        con = self.connect()
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            con.close()
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGINT = "fast shutdown": disconnect clients, stop cleanly.
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(timeout_s: float = 60.0) -> PostgresServer:
    bindir = pg_bin_dir()
    user = _run_as()
    # Not under pytest's tmp dir: its parents are mode 0700 for root, unreadable to `postgres`.
    root = Path(tempfile.mkdtemp(prefix="alpha-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if user is not None:
        pw = pwd.getpwnam(user)
        for p in (root, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    log_path = root / "postgres.log"
    kw = {"user": user} if user else {}
    init = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        cwd=root,
        **kw,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
    port = free_port()
    fh = open(log_path, "wb")  # noqa: SIM115 - handed to the server process
    if user is not None:
        os.chown(log_path, pwd.getpwnam(user).pw_uid, -1)
    proc = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sock),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=100",
        ],
        stdout=fh,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=root,
        start_new_session=True,
        **kw,
    )
    fh.close()
    server = PostgresServer(root, port, proc, log_path)
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            text = log_tail(log_path)
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"postgres exited with {proc.returncode}:\n{text}")
        try:
            server.connect().close()
            return server
        except Exception:  # noqa: BLE001 - psycopg2.OperationalError until it accepts connections
            if time.monotonic() > deadline:
                server.stop()
                raise TimeoutError(f"postgres not accepting connections after {timeout_s:.0f}s") from None
            time.sleep(0.3)
