"""The DuckDB catalog: one SQL view per stored table, named exactly as the asset key.

``ALPHA_HOME/catalog.duckdb`` holds only views over the Parquet files (no data),
so any process may read it, and new partitions appear in the views without a
refresh. DuckDB allows one writing process per file: view creation is serialised
with an exclusive ``fcntl`` lock on ``catalog.lock``, so parallel Dagster
workers (multiprocess executor) never write the database at the same time.
"""

from __future__ import annotations

import fcntl
import logging
import re
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Catalog:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.path = self.root / "catalog.duckdb"

    @contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "catalog.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def register(self, table: str) -> None:
        """Create (or replace) the view ``table`` over ``root/table/**/*.parquet``."""
        if not _IDENT.match(table):
            raise ValueError(f"table name {table!r} is not a valid SQL identifier")
        pattern = (self.root / table).as_posix() + "/**/*.parquet"
        sql = (
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM "
            f"read_parquet('{pattern}', union_by_name = true, hive_partitioning = false)"
        )
        with self._locked():
            con = duckdb.connect(str(self.path))
            try:
                existing = con.execute(
                    "SELECT sql FROM duckdb_views() WHERE view_name = ? AND NOT internal", [table]
                ).fetchone()
                if existing is None or pattern not in existing[0]:
                    con.execute(sql)
                    log.info("catalog: registered view %s", table)
            finally:
                con.close()

    def register_all(self) -> list[str]:
        """Register a view for every table directory that holds Parquet files."""
        names = []
        if self.root.exists():
            for d in sorted(self.root.iterdir()):
                if d.is_dir() and _IDENT.match(d.name) and any(d.rglob("*.parquet")):
                    self.register(d.name)
                    names.append(d.name)
        return names

    def query(self, sql: str):
        """Run read-only SQL against the catalog; returns a pandas DataFrame."""
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()
