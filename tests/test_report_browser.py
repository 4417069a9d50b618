"""A real browser renders the report: headless Chromium takes a screenshot of
report.html and the page's figures are in it.

Skipped unless Chromium is installed (``/usr/bin/chromium``, or ``chromium``,
``chromium-browser``, ``google-chrome`` on PATH); on Debian and Ubuntu,
``apt-get install chromium``. The browser runs with no network, no sandbox
(containers), a throwaway profile, and a time limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import engine

REPO = Path(__file__).resolve().parents[1]


def _chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, png: Path, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,4000", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=180,
    )


def test_chromium_renders_the_report_with_its_figures(tmp_path):
    """The note's pricing report (reduced paths): the screenshot exists, is
    the window's size, and shows the figures' colours (an image that failed
    to decode would leave the page black on white)."""
    out = tmp_path / "out"
    engine.run(REPO / "configs" / "note.yaml", ["simulation.paths=64"]).write(out, report=True)
    png = tmp_path / "shot.png"
    proc = screenshot(out / "report.html", png, tmp_path / "profile")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert png.is_file() and png.stat().st_size > 50_000

    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape[:2] == (4000, 1280)
    pixels = img.reshape(-1, 3).astype(np.int64)
    # Okabe-Ito vermillion (foreclosure) and bluish green (performing) are in the figures, not in the page's CSS
    for rgb in ((0xD5, 0x5E, 0x00), (0x00, 0x9E, 0x73)):
        near = np.abs(pixels - np.array(rgb)).sum(axis=1) <= 12
        assert near.sum() > 500, rgb
    assert np.unique(pixels // 8, axis=0).shape[0] > 200  # text, lines and areas: a drawn page
