"""Every command has --help text, is documented in the README, and the exit codes table is complete."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from spotify_merger.cli import app
from spotify_merger.errors import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def command_names() -> list[str]:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    return sorted(group.commands)


def test_the_cli_has_the_documented_commands() -> None:
    expected = {"auth", "playlists", "fetch", "report", "run", "verify", "undo", "demo", "emulator"}
    assert expected <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_text(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    usage, _, rest = result.output.partition("\n\n")
    assert f"spotify-merger {name}" in usage or name in usage
    assert len(rest.strip()) > 40, f"`{name} --help` says too little: {result.output!r}"


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    text = README.read_text()
    assert re.search(rf"spotify-merger (\[[^\]]*\] )?{re.escape(name)}\b", text), (
        f"the README does not document `spotify-merger {name}`"
    )


def test_readme_documents_every_exit_code() -> None:
    text = README.read_text()
    for code in ExitCode:
        assert re.search(rf"^\|\s*`?{int(code)}`?\s*\|", text, re.M), (
            f"exit code {int(code)} ({code.name}) is not in the README"
        )


def test_readme_shows_the_two_setup_commands() -> None:
    text = README.read_text()
    assert "pip install uv" in text
    assert "uv run spotify-merger demo --yes" in text
    assert "uv run pytest" in text


def test_module_entry_point_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "spotify_merger", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("spotify-merger ")
