"""Every command has --help text; every command and every option is documented in the README; the exit
codes table is complete."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.main import get_command
from typer.testing import CliRunner

from spotify_merger.cli import app
from spotify_merger.errors import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def command_tree(
    command: TyperCommand | TyperGroup, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], TyperCommand | TyperGroup]]:
    """Every command below `command` (itself first), with the names that lead to it."""
    yield path, command
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            assert isinstance(sub, TyperCommand | TyperGroup), name
            yield from command_tree(sub, (*path, name))


def root() -> TyperGroup:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    return group


def command_names() -> list[str]:
    return [" ".join(path) for path, _ in command_tree(root()) if path]


def options() -> list[tuple[str, str]]:
    """(command, option) for every option of every command, the global ones under ""."""
    return [
        (" ".join(path), "/".join(param.opts + param.secondary_opts))
        for path, command in command_tree(root())
        for param in command.params
        if isinstance(param, TyperOption)
    ]


def reference(command: str) -> str:
    """Where the README documents `command`: its row in the commands table, or for the global options
    the paragraph that introduces them."""
    text = README.read_text()
    if not command:
        match = re.search(r"^Global options .*?(?=\n\n)", text, re.M | re.S)
    else:
        match = re.search(rf"^\| `spotify-merger {re.escape(command)}\b.*$", text, re.M)
    assert match, f"the README has no reference entry for `spotify-merger {command}`".replace("  ", " ")
    return match.group(0)


def test_the_cli_has_the_documented_commands() -> None:
    expected = {"auth", "playlists", "fetch", "report", "run", "verify", "undo", "demo", "emulator"}
    assert expected <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_text(name: str) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--help"])
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


@pytest.mark.parametrize(("command", "option"), options())
def test_every_option_is_documented_with_its_command(command: str, option: str) -> None:
    spellings = option.split("/")
    entry = reference(command)
    assert any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", entry) for s in spellings), (
        f"the README's entry for `spotify-merger {command}` does not mention {' or '.join(spellings)}"
    )


def test_the_option_walk_sees_every_command_and_the_global_options() -> None:
    walked = {command for command, _ in options()}
    assert "" in walked and {"fetch", "report", "run", "demo", "emulator"} <= walked
    assert ("run", "--max-wait") in options() and ("", "--data-dir") in options()


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
