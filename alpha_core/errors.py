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
    """Where a bad value sits. Any field may be unknown (None)."""

    file: str | None = None
    column: str | None = None
    instrument: str | None = None
    date: str | None = None

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("file", self.file),
                ("column", self.column),
                ("instrument", self.instrument),
                ("date", self.date),
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


class MissingInputError(AlphaError):
    """A required input (file, field, table) is absent for this source."""
