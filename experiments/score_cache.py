"""The experiments' score caches: an exclusive lock per key and atomic Parquet writes.

Two runs sharing a ``--cache`` directory never train one fold twice (the second waits on the lock,
then reads the first's scores), and a killed run never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (blocks until another run releases it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp)
    os.replace(tmp, path)
