"""Shared fixtures. Real-data tests read ../shared/data (or $ALPHA_SHARED_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    return Path(os.environ.get("ALPHA_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "cn_qlib" / "calendars" / "day.txt").exists():
        pytest.skip(f"real data not found at {path} (set ALPHA_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def qlib_dir(shared_data: Path) -> Path:
    return shared_data / "cn_qlib"
