"""How commands turn failures into one line, a hint and an exit code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import typer

from spotify_merger.commands.common import run_command
from spotify_merger.context import Environment
from spotify_merger.errors import ExitCode, QuotaExceededError


def env_with_capture(tmp_path: Path, verbosity: int = 0) -> tuple[Environment, io.StringIO]:
    env = Environment.for_tests(tmp_path)
    err = io.StringIO()
    env.capture(None, err, width=200)
    env.verbosity = verbosity
    return env, err


def test_domain_error_is_one_line_with_a_hint_and_its_exit_code(tmp_path: Path) -> None:
    env, err = env_with_capture(tmp_path)

    def fail() -> None:
        raise QuotaExceededError("this app's Spotify API quota is used up")

    with pytest.raises(typer.Exit) as info:
        run_command(env, fail)
    assert info.value.exit_code == ExitCode.QUOTA_EXCEEDED.value == 7
    lines = err.getvalue().strip().splitlines()
    assert lines[0].startswith("error: this app's Spotify API quota is used up")
    assert lines[1].startswith("hint: ")
    assert len(lines) == 2


@pytest.mark.parametrize("verbosity", [0, 2])
def test_an_unexpected_exception_is_an_internal_error_without_secrets(tmp_path: Path, verbosity: int) -> None:
    env, err = env_with_capture(tmp_path, verbosity)

    def bug() -> None:
        raise ValueError("boom while sending Authorization: Bearer BQsecret-token-123")

    with pytest.raises(typer.Exit) as info:
        run_command(env, bug)
    assert info.value.exit_code == ExitCode.ERROR
    text = err.getvalue()
    assert "error: internal error (ValueError: boom" in text
    assert "-vv" in text
    assert "BQsecret-token-123" not in text  # not even in the -vv traceback
    assert ("Traceback" in text) == (verbosity >= 2)


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    env, err = env_with_capture(tmp_path)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as info:
        run_command(env, interrupted)
    assert info.value.exit_code == 130
    assert "progress made so far is kept" in err.getvalue()


def test_quiet_still_prints_results_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = Environment.from_mapping({}, data_dir=tmp_path, verbosity=-1, interactive=False)
    env.stdout.print("result table")
    assert "result table" in capsys.readouterr().out
