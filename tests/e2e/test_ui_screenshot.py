"""Headless Chromium opens an asset's partitions page in the Dagster UI and saves a screenshot.

Uses Debian's ``chromium`` (or ``$CHROMIUM``) from the command line: one ``--dump-dom`` pass to
check what rendered (the asset, the Partitions tab, partition keys, the status counts) and one
``--screenshot`` pass whose PNG is kept under $ALPHA_TEST_ARTIFACTS (default tests/artifacts/).
``--virtual-time-budget`` lets the single-page app finish its GraphQL round trips before capture.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from e2e_stack import PROJECT_TARGET, TOY_TARGET, BackfillTarget

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("dagster_stack")]

WIDTH, HEIGHT = 1400, 900
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
    f"--window-size={WIDTH},{HEIGHT}",
]


def chromium_binary() -> str:
    for name in filter(None, [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("no Chromium: `apt-get install -y chromium` (or set $CHROMIUM)")


def run_chromium(args: list[str], user_data_dir: Path, timeout_s: float = 90.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", *args],
        capture_output=True,
        timeout=timeout_s,
        check=True,
        stdin=subprocess.DEVNULL,
    )


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("target", [TOY_TARGET, PROJECT_TARGET], ids=lambda t: t.id)
def test_partitions_page_screenshot(dagster_stack, artifacts_dir: Path, tmp_path: Path, target: BackfillTarget):
    client = dagster_stack.client
    _, load_error = client.code_locations()[target.location]
    assert load_error is None, f"code location {target.location!r} failed to load:\n{load_error}"
    keys = client.partition_keys(target.asset_key)
    # The UI greets a fresh instance on localhost with a modal "Join the Dagster community";
    # this is the mutation its "Skip" button sends, so the page is captured unobstructed.
    client.execute("mutation SetNuxSeen { setNuxSeen }")

    url = f"{dagster_stack.url}/assets/{target.asset_key}?view=partitions"
    dom = run_chromium(["--dump-dom", url], tmp_path / "profile-dom").stdout.decode(errors="replace")
    assert target.asset_key.split("/")[-1] in dom, dom[-3000:]
    assert ">Partitions<" in dom, "partitions tab missing"
    counts = dict(re.findall(r">(Materialized|Missing|Failed) \((\d+)\)<", dom))
    assert set(counts) >= {"Materialized", "Missing"}, f"status counts not rendered: {counts}"
    assert int(counts["Materialized"]) + int(counts["Missing"]) + int(counts.get("Failed", 0)) == len(keys)
    # A multi-partitioned asset (fold|model) lists each dimension's keys on its own axis.
    labels = {part for k in keys for part in k.split("|")}
    shown = [k for k in labels if f">{k}<" in dom]
    assert shown, f"no partition key of {target.asset_key} in the page (first keys: {keys[:3]})"

    shot = artifacts_dir / f"dagster_partitions_{target.id}_{target.asset_key.replace('/', '_')}.png"
    shot.unlink(missing_ok=True)
    run_chromium([f"--screenshot={shot}", url], tmp_path / "profile-shot")
    data = shot.read_bytes()
    assert png_size(data) == (WIDTH, HEIGHT)
    assert len(data) > 20_000, f"suspiciously small screenshot ({len(data)} bytes)"
    pixels = matplotlib.image.imread(shot)[..., :3]
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "screenshot is (nearly) blank"
    background = np.all(pixels > 0.97, axis=-1).mean()
    assert background < 0.98, "screenshot is (nearly) all white"
