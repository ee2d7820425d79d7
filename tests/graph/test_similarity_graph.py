"""R2 fundamental-similarity kNN graph: cosine kNN and point-in-time by announce_date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.graph.similarity import SimilarityConfig, latest_announced, similarity_graph, standardise_cross_section

D = pd.Timestamp


def _fund(n: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for _, (period, ann) in enumerate([("2019-09-30", "2019-10-25"), ("2019-12-31", "2020-03-20")]):
            assets = float(np.exp(rng.normal(10, 1)))
            rev = assets * rng.uniform(0.05, 0.3)
            rows.append(
                {
                    "code": f"SH{600000 + i}",
                    "report_period": D(period),
                    "announce_date": D(ann),
                    "revenue": rev,
                    "net_profit": rev * rng.uniform(-0.1, 0.3),
                    "ocf": rev * rng.uniform(-0.2, 0.4),
                    "gross_profit": rev * rng.uniform(0.1, 0.6),
                    "dividends": 0.0,
                    "book_value": assets * 0.4,
                    "total_assets": assets,
                    "total_liabilities": assets * rng.uniform(0.2, 0.9),
                    "current_liabilities": assets * 0.2,
                    "roe": rng.normal(0.02, 0.01),
                }
            )
    return pd.DataFrame(rows)


def test_latest_announced_uses_only_reports_announced_strictly_before() -> None:
    f = _fund()
    on = latest_announced(f, D("2020-03-20"))
    assert (on["report_period"] == D("2019-09-30")).all()  # announced that day: not yet usable
    after = latest_announced(f, D("2020-03-23"))
    assert (after["report_period"] == D("2019-12-31")).all()


def test_graph_is_cosine_knn_of_standardised_ratios() -> None:
    f = _fund()
    cfg = SimilarityConfig(k=2, features=("roe", "leverage", "gross_margin"), min_similarity=None)
    e = similarity_graph(f, [D("2020-01-02")], config=cfg)
    rows = f[f["report_period"] == D("2019-09-30")].sort_values("code")
    raw = np.column_stack(
        [rows["roe"], rows["total_liabilities"] / rows["total_assets"], rows["gross_profit"] / rows["revenue"]]
    )
    z = (raw - raw.mean(0)) / raw.std(0)  # no outliers beyond 5 MAD in this fixture
    np.testing.assert_allclose(standardise_cross_section(raw), z, atol=1e-12)
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T
    np.fill_diagonal(s, -np.inf)
    top2 = np.argsort(-s, axis=1)[:, :2]
    codes = rows["code"].tolist()
    expected = {p for i in range(len(codes)) for j in top2[i] for p in ((codes[i], codes[j]), (codes[j], codes[i]))}
    assert set(zip(e["src"], e["dst"], strict=True)) == expected
    got = dict(zip(zip(e["src"], e["dst"], strict=True), e["weight"], strict=True))
    for (a, b), w in got.items():
        assert w == pytest.approx(s[codes.index(a), codes.index(b)], abs=1e-5)
    assert (e["graph"] == "r2_similarity").all()


def test_future_announcements_do_not_change_the_graph() -> None:
    f = _fund()
    day = D("2020-01-02")
    base = similarity_graph(f, [day], config=SimilarityConfig(k=3))
    g = f.copy()
    late = g["announce_date"] >= day
    g.loc[late, ["roe", "total_liabilities", "revenue"]] *= -5.0  # rewrite reports not yet announced
    pd.testing.assert_frame_equal(similarity_graph(g, [day], config=SimilarityConfig(k=3)), base)
    # and a report announced before the day does change it
    h = f.copy()
    h.loc[~late & (h["code"] == "SH600000"), "roe"] = 5.0
    assert not similarity_graph(h, [day], config=SimilarityConfig(k=3)).equals(base)


def test_codes_without_announced_reports_are_isolated() -> None:
    f = _fund()
    uni = [f"SH{600000 + i}" for i in range(8)] + ["SZ000001"]
    e = similarity_graph(f, [D("2019-10-01")], config=SimilarityConfig(k=2), universe=uni)
    assert len(e) == 0  # nothing announced yet on 2019-10-01
    e = similarity_graph(f, [D("2020-01-02")], config=SimilarityConfig(k=2), universe=uni)
    assert "SZ000001" not in set(e["src"]) | set(e["dst"])


def test_missing_fundamental_column_raises_naming_it() -> None:
    with pytest.raises(DataContractError, match="column=total_assets"):
        similarity_graph(_fund().drop(columns=["total_assets"]), [D("2020-01-02")])
