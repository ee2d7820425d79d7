"""open_source(): the one setting ALPHA_DATA picks the source."""

from __future__ import annotations

import sys
import types

import pytest
from _qlib_tiny import TINY_DAYS, tiny_market, write_qlib

from alpha_core.data.files import FileSource
from alpha_core.data.qlib import QlibSource
from alpha_core.data.registry import SourceSpecError, open_source


@pytest.fixture
def fake_synthetic(monkeypatch):
    calls = []

    class SyntheticSource:
        @classmethod
        def from_profile(cls, profile):
            if profile not in ("demo", "small", "large"):
                raise ValueError(f"unknown synthetic profile {profile!r}")
            calls.append(profile)
            return ("synthetic", profile)

    mod = types.ModuleType("alpha_core.data.synthetic")
    mod.SyntheticSource = SyntheticSource
    monkeypatch.setitem(sys.modules, "alpha_core.data.synthetic", mod)
    return calls


def test_synthetic_default_and_profiles(fake_synthetic, monkeypatch):
    monkeypatch.delenv("ALPHA_DATA", raising=False)
    assert open_source() == ("synthetic", "demo")
    assert open_source("synthetic:large") == ("synthetic", "large")
    monkeypatch.setenv("ALPHA_DATA", "synthetic:small")
    assert open_source() == ("synthetic", "small")
    with pytest.raises(SourceSpecError, match="nope"):
        open_source("synthetic:nope")


def test_qlib_dir_with_sibling_supplements(tmp_path, monkeypatch):
    monkeypatch.delenv("ALPHA_DATA_EXTRA", raising=False)
    monkeypatch.delenv("ALPHA_DATA_MACRO", raising=False)
    root = write_qlib(tmp_path / "cn_qlib", TINY_DAYS, tiny_market())
    (tmp_path / "cn_extra").mkdir()
    monkeypatch.setenv("ALPHA_DATA", str(root))
    src = open_source()
    assert isinstance(src, QlibSource)
    assert src.extra_dir == tmp_path / "cn_extra" and src.macro_dir is None
    other = write_qlib(tmp_path / "mydump", TINY_DAYS, tiny_market())
    macro = tmp_path / "m"
    macro.mkdir()
    monkeypatch.setenv("ALPHA_DATA_MACRO", str(macro))
    monkeypatch.setenv("ALPHA_DATA_VOLUME_ADJUSTED", "1")
    src = open_source(str(other))
    assert src.extra_dir is None and src.macro_dir == macro and src.volume_is_adjusted


def test_file_dir_and_bad_specs(tmp_path):
    (tmp_path / "bars.csv").write_text("date,code,open,high,low,close,volume\n2020-01-02,SH600000,1,1,1,1,1\n")
    assert isinstance(open_source(str(tmp_path)), FileSource)
    with pytest.raises(SourceSpecError):
        open_source(str(tmp_path / "does-not-exist"))
    with pytest.raises(SourceSpecError):
        open_source(str(tmp_path / "bars.csv"))
    with pytest.raises(SourceSpecError):
        open_source("qlib://somewhere")


def test_sources_satisfy_the_protocol(tiny_qlib, tmp_path):
    from alpha_core.data.source import DataSource

    assert isinstance(QlibSource(tiny_qlib), DataSource)
    (tmp_path / "bars.csv").write_text("date,code,open,high,low,close,volume\n2020-01-02,SH600000,1,1,1,1,1\n")
    assert isinstance(FileSource(tmp_path), DataSource)
