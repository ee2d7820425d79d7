"""Instrument code normalisation and boards."""

from __future__ import annotations

import pandas as pd
import pytest

from alpha_core.data.codes import board_of, boards_of, normalize_code, normalize_codes
from alpha_core.errors import UnknownCodeError


@pytest.mark.parametrize(
    "raw", ["SH600000", "sh600000", "sh.600000", "SH.600000", "600000.SH", "600000.sh", "600000.XSHG", " sh600000 "]
)
def test_spellings_of_one_code(raw):
    assert normalize_code(raw) == "SH600000"


def test_other_exchanges():
    assert normalize_code("000001.XSHE") == "SZ000001"
    assert normalize_code("sz.300750") == "SZ300750"
    assert normalize_code("430047.BJ") == "BJ430047"
    assert normalize_code("bj430047") == "BJ430047"


@pytest.mark.parametrize("raw", ["600000", "SH60000", "HK00700", "600000.SS", "", "SH6000001"])
def test_unknown_spelling_names_code_and_file(raw):
    with pytest.raises(UnknownCodeError) as exc:
        normalize_code(raw, file="f.csv")
    assert exc.value.location.instrument == raw and exc.value.location.file == "f.csv"
    assert exc.value.location.column == "code"


def test_vectorised_keeps_order():
    out = normalize_codes(pd.Series(["sh.600000", "000001.SZ", "sh.600000"]))
    assert out.tolist() == ["SH600000", "SZ000001", "SH600000"]


def test_boards():
    assert [
        board_of(c)
        for c in ["SH600000", "SZ000001", "SZ002415", "SZ300750", "SH688981", "BJ430047", "SH000300", "SZ399006"]
    ] == ["main", "main", "main", "chinext", "star", "bse", "index", "index"]
    assert boards_of(["SH688001", "SZ300001"]).tolist() == ["star", "chinext"]
