"""Choose the data source from one setting: ``ALPHA_DATA``.

Spec grammar (:func:`open_source`)::

    synthetic                  the embedded synthetic market, profile ``demo`` (the default)
    synthetic:<profile>        another synthetic profile (``small``, ``demo``, ``large``)
    <dir with calendars/day.txt>   a Qlib cn_data directory -> QlibSource
    <any other directory>      Parquet/CSV files in the project schema -> FileSource

For a Qlib directory the supplements are found by ``ALPHA_DATA_EXTRA`` / ``ALPHA_DATA_MACRO``
(directories), else, when the directory is called ``cn_qlib``, its siblings ``cn_extra`` and
``cn_macro`` (the layout of ``../shared/data``). ``ALPHA_DATA_VOLUME_ADJUSTED=1`` marks a standard
Qlib dump whose volume is divided by the adjustment factor. ``ALPHA_DATA_REPAIR=repair`` opts in
to repairing values a vendor should never send (:class:`~alpha_core.data.repairs.RepairPolicy`;
default ``fail``).
"""

from __future__ import annotations

import os
from pathlib import Path

from alpha_core.data.repairs import RepairConfig, RepairPolicy
from alpha_core.data.source import DataSource
from alpha_core.errors import AlphaError

ENV = "ALPHA_DATA"
ENV_EXTRA = "ALPHA_DATA_EXTRA"
ENV_MACRO = "ALPHA_DATA_MACRO"
ENV_VOLUME_ADJUSTED = "ALPHA_DATA_VOLUME_ADJUSTED"
ENV_REPAIR = "ALPHA_DATA_REPAIR"
DEFAULT_SPEC = "synthetic"
DEFAULT_PROFILE = "demo"


class SourceSpecError(AlphaError, ValueError):
    """``ALPHA_DATA`` (or the spec given) names no usable data source."""


def _optional_dir(env: str, fallback: Path | None) -> Path | None:
    value = os.environ.get(env)
    if value:
        path = Path(value).expanduser()
        if not path.is_dir():
            raise SourceSpecError(f"{env}={value!r} is not a directory")
        return path
    return fallback if fallback is not None and fallback.is_dir() else None


def repair_config_from_env() -> RepairConfig:
    """``$ALPHA_DATA_REPAIR`` (``fail`` when unset) as a :class:`RepairConfig`."""
    text = os.environ.get(ENV_REPAIR, "").strip().lower() or RepairPolicy.FAIL.value
    try:
        return RepairConfig(invalid_values=RepairPolicy(text))
    except ValueError:
        raise SourceSpecError(f"{ENV_REPAIR}={text!r}: expected one of {[p.value for p in RepairPolicy]}") from None


def open_source(spec: str | None = None, *, repairs: RepairConfig | None = None) -> DataSource:
    """The :class:`DataSource` named by ``spec`` (default: ``$ALPHA_DATA``, else ``synthetic``).

    ``repairs`` (default: ``$ALPHA_DATA_REPAIR``, else fail) is passed to the Qlib and file sources.

    Raises:
        SourceSpecError: unknown scheme, unknown synthetic profile, or a path that does not exist.
        DataContractError: the directory exists but its data violate the contract (e.g. no calendar).
    """
    text = (spec if spec is not None else os.environ.get(ENV, "")).strip() or DEFAULT_SPEC
    repairs = repairs if repairs is not None else repair_config_from_env()
    if text == "synthetic" or text.startswith("synthetic:"):
        profile = text.partition(":")[2].strip() or DEFAULT_PROFILE
        from alpha_core.data.synthetic import SyntheticSource  # lazy: heavy, and optional for real-data users

        try:
            return SyntheticSource.from_profile(profile)
        except ValueError as exc:
            raise SourceSpecError(f"{ENV}={text!r}: {exc}") from None
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceSpecError(f"{ENV}={text!r} is neither 'synthetic', 'synthetic:<profile>' nor an existing directory")
    if not path.is_dir():
        raise SourceSpecError(
            f"{ENV}={text!r} is a file; point it at a Qlib cn_data directory or a directory of Parquet/CSV tables"
        )
    if (path / "calendars" / "day.txt").exists():
        from alpha_core.data.qlib import QlibSource

        sibling = path.name == "cn_qlib"
        extra = _optional_dir(ENV_EXTRA, path.parent / "cn_extra" if sibling else None)
        macro = _optional_dir(ENV_MACRO, path.parent / "cn_macro" if sibling else None)
        adjusted = os.environ.get(ENV_VOLUME_ADJUSTED, "0").strip().lower() in ("1", "true", "yes")
        return QlibSource(path, extra_dir=extra, macro_dir=macro, volume_is_adjusted=adjusted, repairs=repairs)
    if (path / "features").is_dir() or (path / "calendars").is_dir():
        # looks like Qlib but the calendar is missing: say so instead of trying FileSource
        from alpha_core.data.qlib import QlibSource

        return QlibSource(path)  # raises DataContractError naming calendars/day.txt
    from alpha_core.data.files import FileSource

    return FileSource(path, repairs=repairs)
