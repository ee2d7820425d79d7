"""The Parquet store: every artifact of the pipeline lives under one data root.

Layout (``root`` = ``ALPHA_HOME``, default ``.alpha_home/``)::

    root/<table>/data.parquet                     unpartitioned table
    root/<table>/<partition>.parquet              one-dimensional partition (e.g. 2020-01-01)
    root/<table>/<dim>=<value>/<dim>=<value>.parquet   multi-dimensional partition
    root/<table>/<partition>/...                  directory artifacts (checkpoints, reports)
    root/catalog.duckdb                           DuckDB views, one per table (see catalog.py)

Writes are atomic: the file is written to ``<name>.parquet.tmp-<pid>`` in the
same directory, fsynced, then ``os.replace``-d over the target, so a failed
write leaves the previous file intact and readers never see half a file.
Bytes are deterministic for identical frames (no timestamps in the metadata).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from alpha_core.errors import MissingInputError

log = logging.getLogger(__name__)

UNPARTITIONED = "data"
_SAFE = re.compile(r"^[A-Za-z0-9_.\-=]+$")


@dataclass(frozen=True)
class WriteResult:
    path: Path
    rows: int
    bytes: int
    sha256: str


def partition_relpath(partition: str | Mapping[str, str] | None) -> str:
    """Relative file stem of a partition: ``None`` -> ``data``; ``{'fold': 'a', 'model': 'b'}`` -> ``fold=a/model=b``."""
    if partition is None:
        return UNPARTITIONED
    if isinstance(partition, Mapping):
        parts = [f"{k}={v}" for k, v in partition.items()]
    else:
        parts = [str(partition)]
    for p in parts:
        if not _SAFE.match(p):
            raise ValueError(f"unsafe partition key {p!r}: only letters, digits, _ . - = allowed")
    return "/".join(parts)


def frame_digest(df: pd.DataFrame) -> str:
    """A content hash of a frame (column names, dtypes and values), stable across runs."""
    h = hashlib.sha256()
    h.update(repr(list(zip(df.columns, map(str, df.dtypes)))).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _atomic_write(target: Path, fill) -> bytes:
    """``fill(tmp_path)`` writes a temp file beside ``target``; it is fsynced and renamed over
    ``target`` (removed on any failure). Returns the bytes written."""
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        fill(tmp)
        with open(tmp, "rb") as fh:
            data = fh.read()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return data


class ParquetStore:
    """Read and write the pipeline's tables under ``root``."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def path(self, table: str, partition: str | Mapping[str, str] | None = None) -> Path:
        return self.table_dir(table) / f"{partition_relpath(partition)}.parquet"

    def artifact_dir(self, table: str, partition: str | Mapping[str, str] | None = None) -> Path:
        """A directory for non-tabular artifacts (checkpoints, plots) of one partition."""
        return self.table_dir(table) / partition_relpath(partition)

    # ---------------------------------------------------------------- write
    def write(self, table: str, df: pd.DataFrame, partition: str | Mapping[str, str] | None = None) -> WriteResult:
        """Atomically write ``df`` as the given partition of ``table`` (replacing it)."""
        target = self.path(table, partition)
        target.parent.mkdir(parents=True, exist_ok=True)
        arrow = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
        # Drop pandas metadata: it is not needed to read back and keeps bytes stable.
        arrow = arrow.replace_schema_metadata(None)
        data = _atomic_write(target, lambda tmp: pq.write_table(arrow, tmp, compression="zstd", write_statistics=True))
        log.debug("wrote %s (%d rows)", target, len(df))
        return WriteResult(target, len(df), len(data), hashlib.sha256(data).hexdigest())

    def write_csv(self, table: str, df: pd.DataFrame, partition: str | Mapping[str, str] | None = None) -> Path:
        """Atomically write ``df`` as a CSV beside the partition's Parquet file (``<partition>.csv``),
        for people who open files in a spreadsheet; the Parquet file stays the source of truth."""
        target = self.path(table, partition).with_suffix(".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(
            target,
            lambda tmp: df.to_csv(tmp, index=False, date_format="%Y-%m-%d", float_format="%.10g", encoding="utf-8"),
        )
        return target

    def replace_dir(self, table: str, partition: str | Mapping[str, str] | None, build: callable) -> Path:
        """Atomically (re)create an artifact directory: ``build(tmp_dir)`` fills a temp dir that is then swapped in."""
        final = self.artifact_dir(table, partition)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            build(tmp)
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            if final.exists():
                os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    # ----------------------------------------------------------------- read
    def exists(self, table: str, partition: str | Mapping[str, str] | None = None) -> bool:
        return self.path(table, partition).exists()

    def partitions(self, table: str) -> list[str]:
        """Relative partition stems present for ``table`` (sorted)."""
        base = self.table_dir(table)
        if not base.exists():
            return []
        return sorted(str(p.relative_to(base))[: -len(".parquet")] for p in base.rglob("*.parquet"))

    def read(
        self,
        table: str,
        partitions: Iterable[str | Mapping[str, str] | None] | None = None,
        *,
        columns: list[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        date_column: str = "date",
        missing_ok: bool = False,
    ) -> pd.DataFrame:
        """Read partitions of ``table`` (all when ``partitions`` is None), optionally filtered to ``start <= date <= end``.

        Raises:
            MissingInputError: nothing stored for ``table`` (unless ``missing_ok``).
        """
        if partitions is None:
            paths = sorted(self.table_dir(table).rglob("*.parquet")) if self.table_dir(table).exists() else []
        else:
            paths = [self.path(table, p) for p in partitions]
            paths = [p for p in paths if p.exists()]
        if not paths:
            if missing_ok:
                return pd.DataFrame(columns=columns or [])
            raise MissingInputError(f"no stored data for table {table!r} under {self.table_dir(table)}")
        filters = []
        if start is not None:
            filters.append((date_column, ">=", pd.Timestamp(start)))
        if end is not None:
            filters.append((date_column, "<=", pd.Timestamp(end)))
        frames = [pq.read_table(p, columns=columns, filters=filters or None).to_pandas() for p in paths]
        frames = [f for f in frames if len(f.columns)]
        if not frames:
            return pd.DataFrame(columns=columns or [])
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
