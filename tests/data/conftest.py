"""Fixtures of the data-source tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from _qlib_tiny import TINY_DAYS, tiny_market, write_qlib


@pytest.fixture
def tiny_qlib(tmp_path: Path) -> Path:
    csi = [
        ("SH600000", "2020-08-17", "2020-09-01"),
        ("SZ300344", "2020-08-17", "2020-08-25"),
        ("SH688001", "2020-08-26", "2020-09-01"),
    ]
    return write_qlib(tmp_path / "cn_qlib", TINY_DAYS, tiny_market(), csi300=csi)
