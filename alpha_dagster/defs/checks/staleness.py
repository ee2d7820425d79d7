"""Non-blocking check of ``factor_table``: are the point-in-time fundamentals fresh?

The asset computes :func:`alpha_core.factors.staleness.report_staleness` at the partition's last
date (it knows the expiry it ran with) and reports it through this check: WARN, never blocking,
when any stock's newest report is older than the expiry (its fundamental factors are NaN).
"""

import dagster as dg

from alpha_core.factors.staleness import ReportStaleness

STALE_REPORTS_CHECK = "fundamentals_fresh"


def stale_reports_spec(asset: str) -> dg.AssetCheckSpec:
    """The check's declaration on ``asset`` (pass it to ``@dg.asset(check_specs=...)``)."""
    return dg.AssetCheckSpec(
        STALE_REPORTS_CHECK,
        asset=asset,
        blocking=False,
        description="No stock's newest fundamental report is older than the point-in-time expiry at the "
        "partition's last date (stale reports expire to NaN; WARN only).",
    )


def stale_reports_result(asset: str, staleness: ReportStaleness) -> dg.AssetCheckResult:
    """WARN-severity result: passed when no stock is stale; metadata = the age distribution."""
    s = staleness.as_dict()
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=STALE_REPORTS_CHECK,
        passed=staleness.passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "n_stale": staleness.n_stale,
            "n_stocks": staleness.n_stocks,
            "n_without_report": staleness.n_without_report,
            "report_age": dg.MetadataValue.json(s),  # date, expiry, median / oldest age, stalest stocks
        },
    )
