"""E2E fixtures: one real Dagster deployment (code servers + webserver + daemon) per test session.

Registers the ``e2e`` marker. The stack serves two code locations: the project
(``alpha_dagster.definitions`` with ALPHA_HOME in the session's tmp dir, ALPHA_DATA from the
environment, default ``synthetic``) and a throwaway one-asset location used to check the harness.
Under pytest-xdist the e2e modules must share one worker (``--dist loadgroup``; they carry
``xdist_group("dagster_stack")``), or each worker starts its own stack.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# --import-mode=importlib does not put test directories on sys.path; the e2e helpers live next
# to this file (equivalently: add "tests/e2e" to [tool.pytest.ini_options] pythonpath).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from e2e_stack import PROJECT_LOCATION, TOY_DEFS, TOY_LOCATION, CodeLocation, DagsterStack  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: end-to-end tests that start real servers/processes (webserver, daemon, PostgreSQL, Chromium)"
    )


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where e2e tests leave files for humans (screenshots): $ALPHA_TEST_ARTIFACTS or tests/artifacts/."""
    path = Path(os.environ.get("ALPHA_TEST_ARTIFACTS", REPO / "tests" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def dagster_stack(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dagster_stack")
    toy = root / "e2e_toy_defs.py"
    toy.write_text(TOY_DEFS)
    stack = DagsterStack(
        root,
        locations=(
            CodeLocation(PROJECT_LOCATION, module="alpha_dagster.definitions"),
            CodeLocation(TOY_LOCATION, python_file=toy),
        ),
        # Which instance profile the stack runs under: the repo's dagster.yaml unless
        # ALPHA_E2E_DAGSTER_YAML names another (e.g. deploy/dagster-postgres.yaml + its env vars).
        instance_yaml=Path(os.environ.get("ALPHA_E2E_DAGSTER_YAML", REPO / "dagster.yaml")),
    )
    try:
        stack.start(ready_timeout_s=600.0)  # code servers load slowly on a loaded machine
        yield stack
    finally:
        stack.stop()
