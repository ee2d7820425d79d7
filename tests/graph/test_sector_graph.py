"""Sector / industry membership graphs on a hand-built 6-stock market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.graph.edges import EDGE_COLUMNS, check_edges
from alpha_core.graph.sector import group_pairs, membership_at, membership_graph
from alpha_core.graph.stats import graph_stats

D = pd.Timestamp


def _market() -> pd.DataFrame:
    rows = [
        ("SH600001", "2010-01-01", None, "banks", "financial"),
        ("SH600002", "2010-01-01", None, "banks", "financial"),
        ("SH600003", "2010-01-01", None, "real_estate", "financial"),
        ("SZ000001", "2010-01-01", None, "electronics", "growth"),
        ("SZ000002", "2010-01-01", "2011-06-30", "computers", "growth"),
        ("SZ000002", "2011-07-01", None, "coal", "cyclical"),  # re-classified mid 2011
        ("SZ000003", "2010-01-01", None, "coal", "cyclical"),
    ]
    df = pd.DataFrame(rows, columns=["code", "start_date", "end_date", "industry", "sector"])
    df["start_date"] = pd.to_datetime(df["start_date"])
    df["end_date"] = pd.to_datetime(df["end_date"])
    return df


def _pairs(edges: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(edges["src"], edges["dst"], strict=True))


def _both(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    return {p for a, b in pairs for p in ((a, b), (b, a))}


def test_sector_graph_of_six_stocks_equals_hand_built_edges() -> None:
    e = membership_graph(_market(), [D("2010-12-31")], kind="sector")
    expected = _both(
        [("SH600001", "SH600002"), ("SH600001", "SH600003"), ("SH600002", "SH600003"), ("SZ000001", "SZ000002")]
    )
    assert _pairs(e) == expected
    assert list(e.columns) == EDGE_COLUMNS
    assert (e["weight"] == 1.0).all() and (e["graph"] == "sector").all()
    assert (e["date"] == D("2010-12-31")).all()
    assert e["date"].dtype == "datetime64[ns]"
    check_edges(e)


def test_industry_graph_of_six_stocks_equals_hand_built_edges() -> None:
    e = membership_graph(_market(), [D("2010-12-31")], kind="industry")
    assert _pairs(e) == _both([("SH600001", "SH600002")])


def test_membership_follows_dates_point_in_time() -> None:
    e = membership_graph(_market(), [D("2010-12-31"), D("2011-12-30")], kind="industry")
    late = e[e["date"] == D("2011-12-30")]
    # SZ000002 became coal in July 2011: now linked to SZ000003, not before
    assert _pairs(late) == _both([("SH600001", "SH600002"), ("SZ000002", "SZ000003")])
    early = e[e["date"] == D("2010-12-31")]
    assert ("SZ000002", "SZ000003") not in _pairs(early)


def test_universe_codes_without_industry_are_isolated_and_flagged() -> None:
    universe = ["SH600001", "SH600002", "SZ000001", "BJ430047"]  # BJ430047 has no industry
    e = membership_graph(_market(), [D("2010-12-31")], kind="sector", universe=universe)
    assert _pairs(e) == _both([("SH600001", "SH600002")])
    st = graph_stats(e, universe)
    assert st["nodes"] == 4 and st["edges"] == 1
    assert st["isolated"] == 2 and st["isolated_codes"] == ["BJ430047", "SZ000001"]
    assert st["density"] == pytest.approx(2 * 1 / (4 * 3))


def test_long_universe_table_selects_members_of_the_day() -> None:
    uni = pd.DataFrame(
        {
            "date": [D("2010-12-31")] * 3 + [D("2011-01-04")],
            "code": ["SH600001", "SH600003", "SZ000001", "SH600002"],
            "member": [True, True, False, True],
        }
    )
    e = membership_graph(_market(), [D("2010-12-31")], kind="sector", universe=uni, member_column="member")
    assert _pairs(e) == _both([("SH600001", "SH600003")])
    with pytest.raises(DataContractError, match="date=2012-01-04"):
        membership_graph(_market(), [D("2012-01-04")], kind="sector", universe=uni)


def test_overlapping_industry_rows_raise_naming_the_code() -> None:
    bad = pd.concat([_market(), _market().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataContractError, match="instrument=SH600001"):
        membership_at(bad, D("2010-12-31"))


def test_group_pairs_matches_a_dense_reference() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(-1, 4, size=40)
    src, dst = group_pairs(labels)
    dense = (labels[:, None] == labels[None, :]) & (labels[:, None] >= 0)
    np.fill_diagonal(dense, False)
    ref_s, ref_d = np.nonzero(dense)
    np.testing.assert_array_equal(src, ref_s)
    np.testing.assert_array_equal(dst, ref_d)
