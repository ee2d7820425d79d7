"""Shared fixtures. Real-data tests read ../shared/data (or $ALPHA_SHARED_DATA).

A test that asks for the ``shared_data`` or ``qlib_dir`` fixture is marked ``skipif`` (with the
reason) only when that directory is absent; CI always has it beside the clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA_FIXTURES = {"shared_data", "qlib_dir"}


def shared_data_dir() -> Path:
    return Path(os.environ.get("ALPHA_SHARED_DATA", REPO.parent / "shared" / "data"))


def _have_real_data() -> bool:
    return (shared_data_dir() / "cn_qlib" / "calendars" / "day.txt").exists()


def pytest_collection_modifyitems(config, items):
    if _have_real_data():
        return
    absent = pytest.mark.skipif(True, reason=f"real data not found at {shared_data_dir()} (set ALPHA_SHARED_DATA)")
    for item in items:
        if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(absent)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


@pytest.fixture(scope="session")
def qlib_dir(shared_data: Path) -> Path:
    return shared_data / "cn_qlib"
