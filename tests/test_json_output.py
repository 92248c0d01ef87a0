"""--json: one JSON document on stdout per command, fields as the README documents, errors in JSON too."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from emulator_fixtures import EmulatorFactory
from spotify_merger.cli import app
from spotify_merger.context import SETTINGS, Environment
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ExitCode
from spotify_merger.pipeline import RunOptions, run_merge

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_fields(command: str) -> set[str]:
    """The top-level field names the README's Scripting table gives for `command`."""
    text = README.read_text()
    row = re.search(rf"^\| `{command}` \| (.*) \|$", text, re.M)
    assert row, f"the README's Scripting table has no row for {command}"
    return set(re.findall(r"`(\w+)`", re.sub(r"\{[^}]*\}", "", row.group(1))))


class Cli:
    def __init__(self, emu: Emulator, data: Path) -> None:
        self.settings: dict[str, str | None] = dict.fromkeys(SETTINGS)
        self.settings.update(emu.env())
        self.data = data

    def __call__(self, *args: str) -> tuple[int, dict[str, Any], str]:
        result = CliRunner().invoke(app, ["--data-dir", str(self.data), *args], env=self.settings)
        doc = json.loads(result.stdout)  # the whole of stdout is one JSON document
        return result.exit_code, doc, result.stderr


def check_shape(doc: dict[str, Any], command: str) -> None:
    assert doc["command"] == command and doc["ok"] is True
    extra = set(doc) - {"command", "ok"}
    assert extra <= documented_fields(command), extra - documented_fields(command)


def test_every_command_answers_in_json_as_documented(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emu = emulator_factory(profile="dev-2026", playlist_sizes=(120, 90))
    p1, p2 = emu.playlist_ids
    cli = Cli(emu, tmp_path / "data")

    code, doc, _ = cli("playlists", "--json")
    assert code == 0
    check_shape(doc, "playlists")
    listed = {p["id"]: p for p in doc["playlists"]}
    assert {p1, p2, emu.other_playlist_id} <= set(listed)
    assert listed[p1]["readable"] is True and listed[emu.other_playlist_id]["readable"] is False
    assert listed[p1]["url"] == f"https://open.spotify.com/playlist/{p1}"

    code, doc, _ = cli("report", "--json", "-q")
    assert code == ExitCode.NOTHING_TO_DO and doc["ok"] is False  # nothing fetched yet

    code, doc, stderr = cli("run", "--json", "--yes")
    assert code == 0, stderr
    check_shape(doc, "run")
    assert doc["outcome"] == "written" and doc["verified"] is True
    [master] = doc["playlists"]
    assert master["url"].endswith(master["id"]) and master["uri"] == f"spotify:playlist:{master['id']}"
    assert doc["summary"]["songs"] == master["tracks"]
    assert "SUCCESS" in stderr  # the human panel went to stderr, not into the JSON

    code, doc, _ = cli("report", "--json", "-q")
    assert code == 0
    check_shape(doc, "report")
    assert [s["id"] for s in doc["dry_run"]["report"]["sources"]] == [p1, p2]
    assert all(Path(p).exists() for p in doc["files"].values())

    code, doc, _ = cli("verify", "--json")
    assert code == 0
    check_shape(doc, "verify")
    assert doc["verified"] is True and doc["parts"][0]["on_spotify"] == master["tracks"]

    emu.edit_playlist(master["id"], remove_positions=[0])  # someone edits the master by hand
    code, doc, stderr = cli("verify", "--json")
    assert code == ExitCode.VERIFY_FAILED
    assert doc["ok"] is False and doc["error"]["name"] == "VERIFY_FAILED"
    assert doc["verified"] is False and doc["parts"][0]["problems"]
    assert stderr.startswith("✗") or "error: " in stderr

    code, doc, _ = cli("undo", "--json", "--yes")
    assert code == 0
    check_shape(doc, "undo")
    assert [r["id"] for r in doc["removed"]] == [master["id"]]
    assert master["id"] not in emu.user_playlist_ids()

    code, doc, _ = cli("config", "--json")
    check_shape(doc, "config")
    code, doc, _ = cli("export", "--all", "--json")
    check_shape(doc, "export")


@pytest.mark.parametrize("command", ["run", "undo"])
def test_json_at_a_terminal_never_prompts_and_writes_nothing(
    emulator_factory: EmulatorFactory, tmp_path: Path, command: str
) -> None:
    """A real terminal on stdin, where the command would ask: with --json it answers exit 10 in JSON."""
    emu = emulator_factory(profile="dev-2026", playlist_sizes=(60, 50))
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(emu.env())
    if command == "undo":  # something to undo first
        assert run_merge(Environment.for_tests(data, emu.env()), RunOptions(yes=True)).verified
    before = emu.user_playlist_ids()
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "spotify_merger", "--data-dir", str(data), command, "--json"],
            env=env, stdin=terminal, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == ExitCode.NOT_CONFIRMED, done.stderr
    doc = json.loads(done.stdout)
    assert doc["command"] == command and doc["ok"] is False
    assert doc["error"]["name"] == "NOT_CONFIRMED" and "--json" in doc["error"]["message"]
    assert "--yes" in doc["error"]["hint"]
    assert emu.user_playlist_ids() == before  # nothing created, nothing removed


def test_every_command_with_json_has_its_fields_in_the_readme() -> None:
    """A command that gains --json (as `sync` will) must document its fields in the Scripting table."""
    commands = get_command(app).commands  # type: ignore[attr-defined]
    with_json = sorted(
        name for name, command in commands.items() if any("--json" in p.opts for p in command.params)
    )
    assert {"config", "export", "playlists", "report", "run", "undo", "verify"} <= set(with_json)
    for name in with_json:
        assert documented_fields(name), name
