"""A home for the data: platform user dirs by default, overrides in a documented order, `config`."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from fixtures import UserDirs
from spotify_merger import home
from spotify_merger.cli import app
from spotify_merger.context import SETTINGS
from spotify_merger.errors import ExitCode, StorageError, UsageError


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> SimpleNamespace:
    """The command line, in-process, run from `cwd` with none of the caller's settings."""
    settings: dict[str, str | None] = dict.fromkeys(SETTINGS)
    settings["COLUMNS"] = None  # piped tables keep every row on one line unless COLUMNS says otherwise
    settings.update(env or {})
    here = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), env=settings)
    finally:
        os.chdir(here)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def test_the_defaults_are_the_platform_user_dirs(user_dirs: UserDirs, tmp_path: Path) -> None:
    layout = home.resolve(environ={}, cwd=tmp_path)
    assert layout.data_dir == user_dirs.data
    assert layout.settings_file == user_dirs.config / "settings.env"
    assert home.demo_dir() == user_dirs.cache / "demo"
    assert layout.data_dir_from.startswith("the platform")
    assert layout.settings == {} and layout.notes == []


def test_settings_file_then_dotenv_then_environment(user_dirs: UserDirs, tmp_path: Path) -> None:
    home.update_settings_file(
        home.settings_file(),
        {"SPOTIFY_CLIENT_ID": "from-file", "PLAYLIST_1_ID": "file-p1", "PLAYLIST_2_ID": "file-p2"},
    )
    (tmp_path / ".env").write_text("PLAYLIST_1_ID=dotenv-p1\nPLAYLIST_2_ID=dotenv-p2\n")
    layout = home.resolve(environ={"PLAYLIST_2_ID": "env-p2"}, cwd=tmp_path)
    assert layout.settings == {
        "SPOTIFY_CLIENT_ID": "from-file",
        "PLAYLIST_1_ID": "dotenv-p1",
        "PLAYLIST_2_ID": "env-p2",
    }
    assert layout.origins["SPOTIFY_CLIENT_ID"].startswith("settings file")
    assert layout.origins["PLAYLIST_1_ID"] == ".env here"
    assert layout.origins["PLAYLIST_2_ID"] == "environment"
    assert layout.env_file == tmp_path / ".env"


def test_data_dir_flag_beats_the_setting_which_beats_the_default(user_dirs: UserDirs, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SPOTIFY_MERGER_DATA_DIR=from-dotenv\n")
    by_setting = home.resolve(environ={}, cwd=tmp_path)
    assert by_setting.data_dir == tmp_path / "from-dotenv"
    assert by_setting.data_dir_from == "SPOTIFY_MERGER_DATA_DIR (.env here)"
    by_flag = home.resolve(data_dir=Path("flag"), environ={}, cwd=tmp_path)
    assert by_flag.data_dir == tmp_path / "flag" and by_flag.data_dir_from == "--data-dir"


def test_an_earlier_versions_data_folder_is_used_with_a_note(user_dirs: UserDirs, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spotify.duckdb").write_bytes(b"")
    layout = home.resolve(environ={}, cwd=tmp_path)
    assert layout.data_dir == (tmp_path / "data").resolve()
    assert "earlier" in layout.data_dir_from
    assert len(layout.notes) == 1 and "SPOTIFY_MERGER_DATA_DIR=" in layout.notes[0]


def test_an_earlier_data_folder_beside_the_new_home_stops_commands(
    user_dirs: UserDirs, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "spotify.duckdb").write_bytes(b"old")
    user_dirs.data.mkdir(parents=True)
    (user_dirs.data / "spotify.duckdb").write_bytes(b"new")
    with pytest.raises(UsageError, match="two spotify-merger data dirs"):
        home.resolve(environ={}, cwd=tmp_path)

    done = cli(tmp_path, "report")
    assert done.returncode == ExitCode.USAGE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: two spotify-merger data dirs") and lines[1].startswith("hint: ")
    assert "--data-dir data" in done.stderr
    # Nothing was written in either place.
    assert (tmp_path / "data" / "spotify.duckdb").read_bytes() == b"old"
    assert sorted(p.name for p in user_dirs.data.iterdir()) == ["spotify.duckdb"]

    # `config` is where one looks when that happens: it still works, and says so.
    shown = cli(tmp_path, "config", "--json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["legacy_data_dir"]["state"].startswith("competing")
    assert any("earlier version" in p for p in doc["problems"])

    # Choosing one settles it.
    chosen = cli(tmp_path, "--data-dir", "data", "config", "--json")
    assert json.loads(chosen.stdout)["data_dir"]["from"] == "--data-dir"


def test_a_data_dir_that_is_a_file_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="is a file"):
        home.check_data_dir(blocker)
    done = cli(tmp_path, "--data-dir", str(blocker), "report")
    assert done.returncode == ExitCode.STORAGE, done.stderr
    assert done.stderr.startswith("error: the data dir") and "\nhint: " in done.stderr
    assert blocker.read_text() == "x"


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write into: a locked one, or for root (who may write anywhere) /proc/sys."""
    if os.geteuid() == 0:
        locked = Path("/proc/sys")
        if os.access(locked, os.W_OK) or not locked.is_dir():
            pytest.skip("no folder here that root cannot write into")
        yield locked
        return
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        yield locked
    finally:
        locked.chmod(0o755)


def test_a_read_only_data_dir_is_one_clear_error(unwritable: Path, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"read-only|cannot create"):
        home.check_data_dir(unwritable)
    run = ("run", "--yes", "37i9dQZF1DXcBWIGoYBM5M")  # stops at the data dir, before any request
    done = cli(tmp_path, "--data-dir", str(unwritable), *run)
    assert done.returncode == ExitCode.STORAGE, done.stderr
    assert done.stderr.startswith("error: ") and "the data dir" in done.stderr
    assert len(done.stderr.splitlines()) == 2 and done.stderr.splitlines()[1].startswith("hint: ")
    json_done = cli(tmp_path, "--data-dir", str(unwritable), *run, "--json")
    assert json.loads(json_done.stdout)["error"]["name"] == "STORAGE"


def test_a_read_only_config_dir_is_one_clear_error(
    unwritable: Path, user_dirs: UserDirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(unwritable))
    done = cli(tmp_path, "config", "--set", "SPOTIFY_CLIENT_ID=abc")
    assert done.returncode == ExitCode.STORAGE, done.stderr
    assert done.stderr.startswith("error: cannot write the settings file") and "\nhint: " in done.stderr
    assert len(done.stderr.splitlines()) == 2
    assert cli(tmp_path, "config").returncode == 0  # reading it still works: nothing there


def test_config_shows_where_everything_is_with_secrets_hidden(user_dirs: UserDirs, tmp_path: Path) -> None:
    done = cli(
        tmp_path,
        "config",
        "--json",
        env={"SPOTIFY_CLIENT_SECRET": "s3cr3t-value", "SPOTIFY_REFRESH_TOKEN": "rt-value-123"},
    )
    assert done.returncode == 0, done.stderr
    assert "s3cr3t-value" not in done.stdout + done.stderr
    assert "rt-value-123" not in done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["command"] == "config" and doc["ok"] is True
    assert doc["data_dir"]["path"] == str(user_dirs.data)
    assert doc["database"]["path"] == str(user_dirs.data / "spotify.duckdb")
    assert doc["settings_file"]["path"] == str(user_dirs.config / "settings.env")
    assert doc["demo_dir"]["path"] == str(user_dirs.cache / "demo")
    assert doc["settings"]["SPOTIFY_CLIENT_SECRET"] == {"value": "(set, hidden)", "from": "environment"}
    assert doc["settings"]["SPOTIFY_CLIENT_ID"] == {"value": None, "from": None}

    table = cli(tmp_path, "config", env={"SPOTIFY_CLIENT_SECRET": "s3cr3t-value"})
    assert "s3cr3t-value" not in table.stdout and "(set, hidden)" in table.stdout
    assert str(user_dirs.data) in table.stdout


def test_config_set_and_unset_edit_a_private_settings_file(user_dirs: UserDirs, tmp_path: Path) -> None:
    done = cli(tmp_path, "config", "--set", "SPOTIFY_CLIENT_ID=abc123", "--set", "PLAYLIST_1_ID=liked")
    assert done.returncode == 0, done.stderr
    path = user_dirs.config / "settings.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert home.read_settings(path) == {"SPOTIFY_CLIENT_ID": "abc123", "PLAYLIST_1_ID": "liked"}
    # Another folder, no .env: the settings file still applies (an installed copy works anywhere).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    doc = json.loads(cli(elsewhere, "config", "--json").stdout)
    assert doc["settings"]["SPOTIFY_CLIENT_ID"]["value"] == "abc123"
    assert cli(tmp_path, "config", "--unset", "PLAYLIST_1_ID").returncode == 0
    assert home.read_settings(path) == {"SPOTIFY_CLIENT_ID": "abc123"}

    bad = cli(tmp_path, "config", "--set", "NOT_A_SETTING=1")
    assert bad.returncode == ExitCode.USAGE and bad.stderr.startswith("error: unknown setting")


def test_a_config_dir_that_is_a_file_is_one_clear_error(user_dirs: UserDirs, tmp_path: Path) -> None:
    user_dirs.config.parent.mkdir(parents=True)
    user_dirs.config.write_text("in the way")
    assert home.resolve(environ={}, cwd=tmp_path).settings == {}  # reading: nothing there
    done = cli(tmp_path, "config", "--set", "SPOTIFY_CLIENT_ID=abc")
    assert done.returncode == ExitCode.STORAGE
    assert done.stderr.startswith("error: the config dir") and "\nhint: " in done.stderr
    assert user_dirs.config.read_text() == "in the way"
    shown = json.loads(cli(tmp_path, "config", "--json").stdout)
    assert any("config dir" in p for p in shown["problems"])
