from __future__ import annotations

import os

import pandas as pd
import pyarrow.parquet as pq
import pytest

from alpha_core.errors import MissingInputError
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore, partition_relpath


def _frame(n: int = 3, start: str = "2020-01-02") -> pd.DataFrame:
    return pd.DataFrame(
        {"date": pd.bdate_range(start, periods=n), "code": [f"SH60000{i}" for i in range(n)], "x": range(n)}
    ).astype({"x": float})


def test_same_frame_same_bytes(tmp_path):
    store = ParquetStore(tmp_path)
    a = store.write("t", _frame(), "2020-01-01")
    b = store.write("t", _frame(), "2020-01-01")
    assert a.sha256 == b.sha256
    c = store.write("t", _frame(4), "2020-01-01")
    assert c.sha256 != a.sha256


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    store = ParquetStore(tmp_path)
    store.write("t", _frame(), "2020-01-01")
    before = store.path("t", "2020-01-01").read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        store.write("t", _frame(5), "2020-01-01")
    assert store.path("t", "2020-01-01").read_bytes() == before
    assert not [p for p in os.listdir(store.table_dir("t")) if "tmp" in p]


def test_read_filters_dates_and_reports_missing(tmp_path):
    store = ParquetStore(tmp_path)
    store.write("t", _frame(3, "2020-01-02"), "2020-01-01")
    store.write("t", _frame(3, "2020-02-03"), "2020-02-01")
    df = store.read("t", start=pd.Timestamp("2020-02-01"))
    assert list(df["date"].dt.month.unique()) == [2]
    assert store.partitions("t") == ["2020-01-01", "2020-02-01"]
    with pytest.raises(MissingInputError, match="'nope'"):
        store.read("nope")


def test_multi_partition_paths_and_unsafe_keys():
    assert partition_relpath({"fold": "2018-01-02", "model": "gat_residual"}) == "fold=2018-01-02/model=gat_residual"
    assert partition_relpath(None) == "data"
    with pytest.raises(ValueError, match="unsafe"):
        partition_relpath("../etc")


def test_catalog_view_sees_new_partitions(tmp_path):
    store = ParquetStore(tmp_path)
    store.write("t", _frame(3), "2020-01-01")
    cat = Catalog(tmp_path)
    cat.register("t")
    assert cat.query("SELECT count(*) AS n FROM t")["n"].iloc[0] == 3
    store.write("t", _frame(2, "2020-02-03"), "2020-02-01")
    assert cat.query("SELECT count(*) AS n FROM t")["n"].iloc[0] == 5
    assert cat.register_all() == ["t"]
