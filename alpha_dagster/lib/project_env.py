"""The project's environment file: one set of settings for every command run from the root.

``make`` writes ``.env`` at the project root once (it holds the checkout's absolute path, so it is
not committed)::

    ALPHA_HOME=${ALPHA_HOME:-/path/to/checkout/.alpha_home}
    DAGSTER_HOME=${ALPHA_HOME}/dagster

Dagster's CLI (``dagster dev``, ``dg launch``, ``dagster asset ...``) loads the ``.env`` of its
working directory before it resolves ``DAGSTER_HOME``; :func:`load_project_env` applies the same
rule to the ``python -m alpha_dagster.*`` entry points. The ``${VAR:-default}`` form keeps a value
exported in the shell, so the shell, the Makefile (same defaults) and every CLI agree, and
``DAGSTER_HOME`` always follows ``ALPHA_HOME``: one data root, one run history.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values

ENV_FILE = ".env"


def load_project_env(directory: str | Path | None = None) -> dict[str, str]:
    """Read ``directory/.env`` (default: the working directory, as Dagster's CLI does), set its
    values in ``os.environ`` and return them; {} when there is no such file."""
    path = Path(directory if directory is not None else os.getcwd()) / ENV_FILE
    if not path.is_file():
        return {}
    values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    os.environ.update(values)
    return values
