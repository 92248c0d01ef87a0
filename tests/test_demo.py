"""`spotify-merger demo`: the whole flow offline, with the real OAuth PKCE sign-in, in its own data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spotify_merger.context import Environment
from spotify_merger.demo import DEMO_MARKER, prepare_demo_dir, run_demo
from spotify_merger.errors import ExitCode, NotConfirmedError, UsageError


def demo_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_"))}
    return subprocess.run(
        [sys.executable, "-m", "spotify_merger", "--data-dir", str(tmp_path / "demo"), "demo", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_demo_command_runs_the_whole_flow(tmp_path: Path) -> None:
    done = demo_cli(tmp_path, "--yes", "--sizes", "300,300")
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout + done.stderr
    for expected in ("OAuth PKCE", "Operation Summary", "WRITE OPERATION PREVIEW", "SUCCESS!", "Verified"):
        assert expected in out, expected
    # The demo signs in through the emulator's page: no browser is opened, so none is announced;
    # and none of our own markup shows as text.
    assert "Opening your browser" not in out
    assert not [tag for tag in ("[bold", "[dim", "[green", "[/", "[cyan", "[yellow") if tag in out]
    summary = json.loads((tmp_path / "demo" / "exports" / "run_summary.json").read_text())
    assert summary["verified"] is True and summary["playlists"][0]["tracks"] > 300
    assert summary["api_calls"]["POST /me/playlists"] == 1
    # The token cache was written by the PKCE sign-in, private from creation; no secret anywhere.
    cache = tmp_path / "demo" / ".spotify-token-cache.json"
    assert cache.stat().st_mode & 0o777 == 0o600
    token = json.loads(cache.read_text())
    assert token["access_token"] not in out and token["refresh_token"] not in out


def test_demo_without_yes_and_without_a_terminal_writes_nothing(tmp_path: Path) -> None:
    env = Environment.for_tests(tmp_path / "demo", {})
    with pytest.raises(NotConfirmedError) as info:
        run_demo(env, sizes=(60, 60), yes=False)
    assert "--yes" in info.value.hint
    assert not (tmp_path / "demo" / "exports" / "run_summary.json").exists()
    assert (tmp_path / "demo" / "exports" / "dry_run_report.json").exists()


def test_demo_in_the_extended_profile(tmp_path: Path) -> None:
    env = Environment.for_tests(tmp_path / "demo", {})
    outcome = run_demo(env, profile="extended", sizes=(300, 300), yes=True, cap=250)
    assert outcome.verified
    assert [p.name.rsplit(" ", 1)[-1] for p in outcome.playlists] == ["(1/2)", "(2/2)"]
    assert outcome.playlists[0].tracks == 250
    # The report shown before the write planned the same parts as the write made.
    report = json.loads((tmp_path / "demo" / "exports" / "dry_run_report.json").read_text())
    assert [p["name"] for p in report["planned_master"]["parts"]] == [p.name for p in outcome.playlists]


def test_the_demo_never_wipes_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "real"
    precious.mkdir()
    (precious / "spotify.duckdb").write_text("my data")
    with pytest.raises(UsageError, match="refusing to wipe"):
        prepare_demo_dir(precious)
    assert (precious / "spotify.duckdb").read_text() == "my data"
    demo = tmp_path / "demo"
    prepare_demo_dir(demo)
    (demo / "old.txt").write_text("from the last demo")
    prepare_demo_dir(demo)
    assert sorted(p.name for p in demo.iterdir()) == [DEMO_MARKER]


@pytest.mark.parametrize(
    ("args", "needle"), [(["--sizes", "9000"], "two playlist sizes"), (["--profile", "x"], "profile")]
)
def test_bad_demo_options(tmp_path: Path, args: list[str], needle: str) -> None:
    done = demo_cli(tmp_path, "--yes", *args)
    assert done.returncode == ExitCode.USAGE and needle in done.stderr, done.stderr
