"""Wording that must fit the situation: one test per case found by the hostile-input sweep."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from hostile import assert_one_error, invoke
from spotify_merger.cli import app
from spotify_merger.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


def test_hints_name_the_data_dir_in_use(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    out = invoke(emulator, data, "run")  # no terminal, no --yes: refused, the report is kept
    assert_one_error(out, 10, str(data / "exports" / "dry_run_report.json"))
    assert "data/exports" not in out.output


def test_undo_without_a_terminal_speaks_of_the_removal(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert invoke(emulator, data, "run", "--yes").code == 0
    out = invoke(emulator, data, "undo")
    error = assert_one_error(out, 10, "the removal", "nothing was removed", "--yes")
    assert "write" not in error
    # After undo, verify says the master was removed, not that none was ever written.
    assert invoke(emulator, data, "undo", "--yes").code == 0
    after = invoke(emulator, data, "verify")
    assert_one_error(after, 13, "removed with `spotify-merger undo`")
    assert "has been written yet" not in after.output


def test_vv_adds_the_reasons_to_v(emulator: Emulator, tmp_path: Path) -> None:
    """-v: one line per request; -vv: also what each fetch reads or reuses and the answers' headers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    env.update(emulator.env())
    base = [
        sys.executable,
        "-m",
        "spotify_merger",
        "--data-dir",
        str(tmp_path / "d"),
        "--env-file",
        os.devnull,
    ]

    def stderr(*flags: str) -> str:
        done = subprocess.run(
            [*base, *flags, "fetch", "--no-features"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    v, vv = stderr("-v"), stderr("-vv")
    assert re.search(r"GET /v1/playlists/\S+ -> 200", v) and re.search(r"GET /v1/playlists/\S+ -> 200", vv)
    extra = [line for line in vv.splitlines() if "fetch plan for" in line or "answer headers" in line]
    assert extra and not [
        line for line in v.splitlines() if "fetch plan for" in line or "answer headers" in line
    ]
    assert "Traceback" not in v + vv


@pytest.mark.parametrize("name", sorted(get_command(app).commands))  # type: ignore[attr-defined]
def test_help_shows_no_python_types_or_empty_defaults(name: str) -> None:
    text = CliRunner().invoke(app, [name, "--help"]).output
    assert "<list[" not in text and "<str>" not in text, text


def test_root_help_shows_no_default_for_a_counter() -> None:
    text = CliRunner().invoke(app, ["--help"]).output
    verbose = text[text.index("--verbose") : text.index("--quiet")]
    assert "[default: 0]" not in verbose and "-vv" in verbose


def test_no_process_log_in_the_repository() -> None:
    assert not (ROOT / "process.log").exists()
    assert "process.log" in (ROOT / ".gitignore").read_text().splitlines()
