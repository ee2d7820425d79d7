"""Dagster's known, harmless warnings, silenced where the definitions are built.

Building the Definitions uses Dagster APIs marked beta or preview (``Output(data_version=)``,
``backfill_policy``, ``MultiToSingleDimensionPartitionMapping``, partitioned asset checks,
``allow_nonexistent_upstream_partitions``) and one job, ``weekly_rebalance``, that mixes a
single-run backfill policy (bars, factors) with one run per month (``target_orders``). Each of
these prints a warning in every process that loads the code (the CLI, every step's subprocess,
the code server), some at build time, some when a step resolves its job or writes its output: a
page of noise per command. :func:`silence_known_warnings` adds one ``ignore`` filter per known
warning (category and message prefix) to the process's filters; it is called when
``alpha_dagster.definitions`` is imported, the entry point of every such process. Anything else
still shows.
"""

from __future__ import annotations

import warnings

import dagster as dg

KNOWN_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    (dg.BetaWarning, ""),
    (dg.PreviewWarning, ""),
    (UserWarning, "Asset job weekly_rebalance materializes assets with varying BackfillPolicies"),
)
"""(category, message prefix) pairs: the warnings building this project's Definitions is known to raise."""


def silence_known_warnings() -> None:
    """Ignore :data:`KNOWN_WARNINGS` in this process (idempotent: ``filterwarnings`` drops duplicates)."""
    for category, message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
