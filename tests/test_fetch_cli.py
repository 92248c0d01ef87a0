"""The `fetch` and `playlists` commands: summaries, and one clear line + exit code per bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from spotify_merger.cli import app
from spotify_merger.context import SETTINGS
from spotify_merger.emulator import Emulator
from spotify_merger.store.database import Database

runner = CliRunner()


def invoke(emu: Emulator | None, tmp_path: Path, *args: str, **settings: str | None) -> Result:
    env: dict[str, str | None] = dict.fromkeys(SETTINGS)
    if emu is not None:
        env.update(emu.env())
    env.update(settings)
    data = tmp_path / "data"
    return runner.invoke(app, ["--data-dir", str(data), "--env-file", os.devnull, *args], env=env)


def stored_playlists(tmp_path: Path) -> list[str]:
    path = tmp_path / "data" / "spotify.duckdb"
    if not path.exists():
        return []
    with Database(path) as db:
        return [r[0] for r in db.fetchall("SELECT id FROM playlists")]


def test_fetch_prints_a_summary_and_playlists_lists(emulator: Emulator, tmp_path: Path) -> None:
    result = invoke(emulator, tmp_path, "fetch", "--no-features")
    assert result.exit_code == 0, result.output
    assert "Heavy" in result.output and "14 API calls" in result.output  # 2 metadata + 2 x 6 pages
    listing = invoke(emulator, tmp_path, "playlists")
    assert listing.exit_code == 0
    for pid in emulator.user_playlist_ids():
        assert pid in listing.output
    assert "readable" in listing.output and "│ no " in listing.output


@pytest.mark.parametrize(
    ("source", "code", "words"),
    [
        ("not-a-playlist", 2, "is not a playlist I can read"),
        ("0" * 22, 4, "there is no playlist with id"),
        ("OTHER", 5, "Development Mode"),
    ],
)
def test_bad_sources(emulator: Emulator, tmp_path: Path, source: str, code: int, words: str) -> None:
    source = emulator.other_playlist_id if source == "OTHER" else source
    result = invoke(emulator, tmp_path, "fetch", source)
    assert result.exit_code == code, result.output
    assert "error:" in result.output and words in result.output and "hint:" in result.output
    assert stored_playlists(tmp_path) == []  # nothing stored half-way


def test_duplicate_and_missing_sources(emulator: Emulator, tmp_path: Path) -> None:
    p1 = emulator.playlist_ids[0]
    dup = invoke(emulator, tmp_path, "fetch", p1, f"spotify:playlist:{p1}")
    assert dup.exit_code == 2 and "same playlist" in dup.output
    none = invoke(emulator, tmp_path, "fetch", PLAYLIST_1_ID=None, PLAYLIST_2_ID=None)
    assert none.exit_code == 2 and "PLAYLIST_1_ID" in none.output


def test_missing_and_invalid_credentials(emulator: Emulator, tmp_path: Path) -> None:
    missing = invoke(emulator, tmp_path, "fetch", SPOTIFY_CLIENT_ID=None)
    assert missing.exit_code == 3 and "SPOTIFY_CLIENT_ID is not set" in missing.output
    unsigned = invoke(emulator, tmp_path, "fetch", SPOTIFY_REFRESH_TOKEN=None)
    assert unsigned.exit_code == 3 and "spotify-merger auth" in unsigned.output
    invalid = invoke(emulator, tmp_path, "fetch", SPOTIFY_CLIENT_ID="f" * 32)
    assert invalid.exit_code == 3 and "invalid_client" in invalid.output


def test_revoked_refresh_token(emulator: Emulator, tmp_path: Path) -> None:
    emulator.revoke_refresh_token()
    result = invoke(emulator, tmp_path, "fetch")
    assert result.exit_code == 3
    assert "re-run `spotify-merger auth`" in result.output


def test_rate_limit_beyond_max_wait_and_quota(emulator: Emulator, tmp_path: Path) -> None:
    emulator.configure(rate_429=1.0, force_retry_after=3700)
    limited = invoke(emulator, tmp_path, "fetch", "--max-wait", "60")
    assert limited.exit_code == 6
    assert "61 min" not in limited.output and "1 h 1 min" in limited.output
    emulator.configure(rate_429=0.0, force_retry_after=None, quota=0)
    quota = invoke(emulator, tmp_path, "fetch")
    assert quota.exit_code == 7 and "QUOTA_EXCEEDED" in quota.output


def test_corrupt_database(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "spotify.duckdb").write_bytes(b"this is not a duckdb file" * 100)
    result = invoke(emulator, tmp_path, "fetch")
    assert result.exit_code == 9
    assert "hint:" in result.output and "spotify.duckdb" in result.output


def test_locked_database(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "spotify.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys; c=duckdb.connect({str(path)!r}); print('ready', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = invoke(emulator, tmp_path, "fetch")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert result.exit_code == 9
    assert "in use by another process" in result.output
