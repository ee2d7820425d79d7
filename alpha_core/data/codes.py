"""The one place where instrument codes are normalised.

Canonical form: exchange prefix in upper case followed by the six-digit
number, e.g. ``SH600000``, ``SZ000001``, ``BJ430047``.

Accepted spellings (case-insensitive): ``SH600000``, ``sh600000``,
``sh.600000``, ``SH.600000``, ``600000.SH``, ``600000.XSHG`` (exchange
suffixes XSHG/XSHE/BJSE also map).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from alpha_core.errors import Location, UnknownCodeError

_EXCHANGES = {"SH": "SH", "SZ": "SZ", "BJ": "BJ", "XSHG": "SH", "XSHE": "SZ", "BJSE": "BJ"}
_PREFIX = re.compile(r"^(SH|SZ|BJ)\.?(\d{6})$")
_SUFFIX = re.compile(r"^(\d{6})\.(SH|SZ|BJ|XSHG|XSHE|BJSE)$")


def normalize_code(raw: str, *, file: str | None = None) -> str:
    """Return the canonical spelling of one instrument code.

    Raises:
        UnknownCodeError: the string matches no supported spelling; the error
            names the offending code (and the file when given).
    """
    text = str(raw).strip().upper()
    m = _PREFIX.match(text)
    if m:
        return f"{m.group(1)}{m.group(2)}"
    m = _SUFFIX.match(text)
    if m:
        return f"{_EXCHANGES[m.group(2)]}{m.group(1)}"
    raise UnknownCodeError(
        f"unknown instrument code spelling {raw!r}; expected e.g. SH600000, sh.600000 or 600000.SH",
        Location(file=file, column="code", instrument=str(raw)),
    )


def normalize_codes(raw: Iterable[str] | pd.Series, *, file: str | None = None) -> pd.Series:
    """Vectorised :func:`normalize_code` (normalises each distinct value once)."""
    series = pd.Series(list(raw) if not isinstance(raw, pd.Series) else raw, dtype="object")
    uniques = series.unique()
    mapping = {u: normalize_code(u, file=file) for u in uniques}
    return series.map(mapping).astype("object")


def exchange_of(code: str) -> str:
    """``SH``/``SZ``/``BJ`` of a canonical code."""
    return code[:2]


def board_of(code: str) -> str:
    """Listing board (:class:`alpha_core.data.contract.Board` value) of a canonical code.

    Rule by number: SH000xxx / SZ399xxx indices; SH688xxx STAR; SZ30xxxx ChiNext; BJ Beijing;
    every other SH6/SZ0 stock main board (the SME board merged into the SZ main board in 2021).
    """
    from alpha_core.data.contract import Board  # local: contract does not import codes

    exch, num = code[:2], code[2:]
    if (exch == "SH" and num.startswith("000")) or (exch == "SZ" and num.startswith("399")):
        return Board.INDEX.value
    if exch == "BJ":
        return Board.BSE.value
    if exch == "SH" and num.startswith("688"):
        return Board.STAR.value
    if exch == "SZ" and num.startswith("30"):
        return Board.CHINEXT.value
    return Board.MAIN.value


def boards_of(codes: Iterable[str] | pd.Series) -> np.ndarray:
    """Vectorised :func:`board_of` (object array of board values)."""
    arr = np.asarray(list(codes) if not isinstance(codes, pd.Series) else codes.to_numpy(), dtype=object)
    uniques, inverse = np.unique(arr.astype(str), return_inverse=True)
    return np.array([board_of(u) for u in uniques], dtype=object)[inverse] if len(arr) else arr
