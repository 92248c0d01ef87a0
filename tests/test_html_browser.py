"""report.html renders in a real headless Chromium: a non-blank screenshot and no console errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures import LibraryOf
from spotify_merger.analyze import SpotifyAnalyzer
from spotify_merger.context import Environment
from spotify_merger.report import build_report
from spotify_merger.store.database import Database

pytestmark = pytest.mark.browser

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)


def render(html_path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    assert CHROMIUM is not None  # the test using this is skipped without a browser
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            html_path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, shot


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary found (CI installs Debian's chromium)")
@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_report_html_renders_in_chromium(fetched_library: LibraryOf, tmp_path: Path, profile: str) -> None:
    import matplotlib.image as mpimg

    lib = fetched_library(profile)
    with Database(lib.db_path, read_only=True) as db:
        doc = build_report(
            Environment.for_tests(tmp_path / "data"),
            SpotifyAnalyzer(db, lib.sources),
            master_name="Browser Check",
        )
    result, shot = render(tmp_path / "data" / "exports" / "report.html", tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    pixels = mpimg.imread(str(shot))
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert float(pixels[..., :3].std()) > 0.05, "the screenshot is blank"
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    assert doc.dna["mode"] == ("metadata" if profile == "dev-2026" else "audio-features")
