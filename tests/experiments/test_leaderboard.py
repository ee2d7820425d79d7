"""experiments/leaderboard.py: fold selection by test span, the rank ensemble, the cache lock."""

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))
import leaderboard as lb  # noqa: E402

from alpha_core.training.specs import get_spec  # noqa: E402


def test_span_folds_keep_the_folds_meeting_the_span_with_tests_clipped_to_it():
    cal = pd.bdate_range("2010-01-04", "2022-12-30")
    lo, hi = pd.Timestamp("2019-01-02"), pd.Timestamp("2020-06-30")
    folds = lb.span_folds(cal, get_spec("nn"), lo, hi)
    assert folds
    tests = pd.DatetimeIndex(np.concatenate([f.test.values for f in folds]))
    assert tests.min() >= lo and tests.max() <= hi
    assert tests.is_unique and tests.is_monotonic_increasing
    # every calendar day of the span that the PAPER plan tests is covered
    assert tests.min() == cal[cal >= lo][0]
    for f in folds:  # train / valid untouched and before the fold's (clipped) test
        assert f.train.max() < f.valid.min() and f.valid.max() < f.test.min()


def test_rank_ensemble_is_the_mean_of_the_seeds_percentile_ranks():
    d = pd.Timestamp("2021-01-04")
    a = pd.DataFrame({"date": d, "code": ["A", "B", "C"], "score": [3.0, 1.0, 2.0]})
    b = pd.DataFrame({"date": d, "code": ["A", "B", "C"], "score": [10.0, 30.0, 20.0]})
    out = lb.rank_ensemble([a, b]).set_index("code")["score"]
    np.testing.assert_allclose(out[["A", "B", "C"]], [(3 + 1) / 6, (1 + 3) / 6, (2 + 2) / 6])


def test_the_cache_lock_serialises_two_writers(tmp_path):
    order = []

    def worker(name):
        with lb.locked(tmp_path / "k.lock"):
            order.append(f"{name}+")
            time.sleep(0.2)
            order.append(f"{name}-")

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])


def test_daily_ics_matches_a_hand_spearman():
    d1, d2 = pd.Timestamp("2021-01-04"), pd.Timestamp("2021-01-05")
    scores = pd.DataFrame(
        {"date": [d1] * 4 + [d2] * 3, "code": list("ABCD") + list("ABC"), "score": [1.0, 2.0, 3.0, 4.0, 3.0, 2.0, 1.0]}
    )
    labels = pd.DataFrame(
        {"date": [d1] * 4 + [d2] * 3, "code": list("ABCD") + list("ABC"), "y": [0.1, 0.3, 0.2, 0.4, 0.0, 0.1, 0.2]}
    )
    out = lb.daily_ics(scores, labels, "y")
    np.testing.assert_allclose(out["rank_ic"], [np.corrcoef([1, 2, 3, 4], [1, 3, 2, 4])[0, 1], -1.0], rtol=1e-12)
