"""Scripting: global options after the command, listed choices, completion, plain piped tables, `| head`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from spotify_merger.cli import app, hoist_global_options
from spotify_merger.commands.common import Profile
from spotify_merger.context import SETTINGS
from spotify_merger.errors import ExitCode
from spotify_merger.spotify.client import ApiProfile

BOX = set("│┃─━┏┓┗┛╭╮╰╯┡┩├┤")


def hoist(*args: str) -> list[str]:
    group = get_command(app)
    with group.make_context("spotify-merger", ["--help"], resilient_parsing=True) as ctx:
        return hoist_global_options(group, ctx, list(args))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["report", "-q"], ["-q", "report"]),
        (["report", "--match", "isrc", "-vv"], ["-vv", "report", "--match", "isrc"]),
        (["demo", "--data-dir", "x", "--yes"], ["--data-dir", "x", "demo", "--yes"]),
        (["demo", "--data-dir=x"], ["--data-dir=x", "demo"]),
        (["run", "--env-file", "e.env", "a", "b"], ["--env-file", "e.env", "run", "a", "b"]),
        (["-q", "report", "--quiet"], ["-q", "--quiet", "report"]),
        # The emulator has its own -v: it stays the emulator's.
        (["emulator", "-v", "--port", "0"], ["emulator", "-v", "--port", "0"]),
        # An option's value that looks like a global option stays that option's value.
        (["run", "--name", "-q"], ["run", "--name", "-q"]),
        # After `--` everything is an argument.
        (["fetch", "--", "-q"], ["fetch", "--", "-q"]),
    ],
)
def test_global_options_may_follow_the_command(given: list[str], expected: list[str]) -> None:
    assert hoist(*given) == expected


def test_a_global_option_after_the_command_takes_effect(tmp_path: Path) -> None:
    data = tmp_path / "after"
    result = CliRunner().invoke(
        app, ["config", "--json", "--data-dir", str(data)], env=dict.fromkeys(SETTINGS)
    )
    assert result.exit_code == 0, result.output
    assert f'"path": "{data}"' in result.stdout


@pytest.mark.parametrize(
    ("command", "option", "choices"),
    [
        ("report", "--match", "smart|isrc|id"),
        ("run", "--keep", "most-weighted|earliest-added|newest-release|oldest-release"),
        ("run", "--order", "first-added|weight|source"),
        ("demo", "--profile", "dev-2026|extended"),
        ("emulator", "--profile", "dev-2026|extended"),
        ("export", "--format", "csv|parquet"),
    ],
)
def test_choices_are_listed_in_help(command: str, option: str, choices: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert f"{option} <{choices}>" in result.stdout


def test_a_wrong_choice_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["report", "--match", "fuzzy"])
    assert result.exit_code == ExitCode.USAGE
    assert "fuzzy" in result.output and "smart" in result.output


def _completions(words: str) -> list[str]:
    env = {**os.environ, "_SPOTIFY_MERGER_COMPLETE": "complete_bash", "COMP_WORDS": words}
    env["COMP_CWORD"] = str(len(words.split(" ")) - 1)
    done = subprocess.run(
        [sys.executable, "-c", "from spotify_merger.cli import app; app(prog_name='spotify-merger')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.split()


def test_shell_completion_offers_commands_and_choices() -> None:
    assert _completions("spotify-merger report --keep ") == [
        "most-weighted",
        "earliest-added",
        "newest-release",
        "oldest-release",
    ]
    assert {"report", "run"} <= set(_completions("spotify-merger r"))
    assert "--install-completion" in CliRunner().invoke(app, ["--help"]).stdout


def test_piped_tables_have_no_box_drawing_and_do_not_wrap(tmp_path: Path) -> None:
    long_id = "x" * 300
    settings: dict[str, str | None] = dict.fromkeys(SETTINGS)
    settings["PLAYLIST_1_ID"] = long_id
    settings["COLUMNS"] = None  # nothing sets a width (a test runner's workers may)
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "config"], env=settings)
    assert result.exit_code == 0, result.output
    assert not BOX & set(result.stdout)
    line = next(line for line in result.stdout.splitlines() if line.startswith("PLAYLIST_1_ID"))
    assert long_id in line.split()


def test_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotify_merger", "--data-dir", str(tmp_path), "config"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == ExitCode.PIPE_CLOSED
    assert err == ""


def test_a_json_error_is_one_document_on_stdout_and_the_lines_on_stderr(tmp_path: Path) -> None:
    import json

    result = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path), "export", "--all", "--json"], env=dict.fromkeys(SETTINGS)
    )
    assert result.exit_code == ExitCode.NOTHING_TO_DO
    doc = json.loads(result.stdout)
    assert doc == {
        "command": "export",
        "ok": False,
        "error": {
            "code": 13,
            "name": "NOTHING_TO_DO",
            "message": "nothing has been fetched yet",
            "hint": "run `spotify-merger fetch` first",
        },
    }
    assert result.stderr.startswith("error: nothing has been fetched yet\nhint: ")


def test_json_before_the_settings_are_read_still_answers_in_json(tmp_path: Path) -> None:
    import json

    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(
        app, ["export", "--all", "--json", "--data-dir", str(blocker)], env=dict.fromkeys(SETTINGS)
    )
    assert result.exit_code == ExitCode.STORAGE
    assert json.loads(result.stdout)["error"]["name"] == "STORAGE"


def test_the_profile_choices_are_the_clients_profiles() -> None:
    assert set(get_args(Profile)) == {p.value for p in ApiProfile}
