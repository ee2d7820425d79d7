"""Exceptions raised by alpha_core.

Every error about bad input names *where* it is: the source file, the column,
the instrument and the date, so a user can open the file and fix it.
"""

from __future__ import annotations

from dataclasses import dataclass


class AlphaError(Exception):
    """Base class of every error alpha_core raises on purpose."""


@dataclass(frozen=True)
class Location:
    """Where a bad value sits. Any field may be unknown (None).

    ``value`` is the offending value as text (``repr``); ``line`` its 1-based line in a text
    file (header included), or the 0-based row of a Parquet file.
    """

    file: str | None = None
    column: str | None = None
    instrument: str | None = None
    date: str | None = None
    value: str | None = None
    line: int | None = None

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("file", self.file),
                ("column", self.column),
                ("instrument", self.instrument),
                ("date", self.date),
                ("value", self.value),
                ("line", self.line),
            )
            if value is not None
        ]
        return ", ".join(parts) if parts else "location unknown"


class DataContractError(AlphaError):
    """Input data violates the data contract (schema, ranges, uniqueness, calendar)."""

    def __init__(self, message: str, location: Location | None = None):
        self.location = location or Location()
        super().__init__(f"{message} [{self.location.describe()}]")


class UnknownCodeError(DataContractError):
    """An instrument code that matches none of the supported spellings."""


class CorruptFileError(AlphaError):
    """A file the pipeline wrote (a checkpoint's weights, booster, metadata) cannot be read back:
    truncated, overwritten or from an incompatible version. Names the file."""

    def __init__(self, message: str, file: str):
        self.file = file
        super().__init__(f"{message} [file={file}]")


class MissingInputError(AlphaError):
    """A required input (file, field, table) is absent for this source."""
