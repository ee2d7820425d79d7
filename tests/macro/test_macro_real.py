"""Real data: macro state from ../shared/data/cn_macro, with the 2017-01..2019-05 yield gap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.qlib import QlibSource
from alpha_core.errors import DataContractError
from alpha_core.macro.state import GapPolicy, MacroStateConfig, build_macro_state

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def source(shared_data: Path) -> QlibSource:
    return QlibSource(shared_data / "cn_qlib", extra_dir=shared_data / "cn_extra", macro_dir=shared_data / "cn_macro")


def test_real_macro_state_reports_the_yield_gap(source: QlibSource) -> None:
    cal = source.calendar()
    st, summary = build_macro_state(source.macro(), cal)
    assert len(st) == len(cal)
    gaps = summary["series"]["cgb10y"]["gaps"]
    assert len(gaps) == 1
    assert (gaps[0]["first_missing_month"], gaps[0]["last_missing_month"], gaps[0]["months"]) == (
        "2017-01",
        "2019-05",
        29,
    )
    assert summary["series"]["m2"]["gaps"] == []
    flagged = st.loc[st["r_imputed"], "date"]
    assert flagged.min() > pd.Timestamp("2017-01-01") and flagged.max() < pd.Timestamp("2019-07-01")
    # M2 is ~2e5..2.7e6 (100M CNY): ln M in [12, 15]; one-sided gap small
    assert st["ln_m"].between(12, 15).all()
    assert np.nanmax(np.abs(st["ln_m_gap"])) < 0.1
    assert st["r"].between(1.0, 6.0).all()


def test_real_macro_state_raise_policy_names_the_gap(source: QlibSource) -> None:
    with pytest.raises(DataContractError, match=r"'cgb10y'.*2017-01\.\.2019-05"):
        build_macro_state(source.macro(), source.calendar(), MacroStateConfig(gap_policy=GapPolicy.RAISE))
