"""An installed copy, as `uv tool install .` makes it, works from an empty folder: sign in, fetch, report, export.

The copy lives in its own virtual environment with the runtime dependencies only (no test tools,
no notebook packages), and runs from a folder holding nothing: its settings go to the user
settings file (`config --set`), its data to the platform's user data dir. The browser that signs
in is a tiny script named by $BROWSER (as Python's webbrowser honours it), following the
emulator's redirect to the copy's loopback callback: the real PKCE flow.

Offline from uv's cache: `uv tool install --offline` needs each wheel's metadata cached for this
platform, which `uv sync --locked` does not leave behind (the lock already holds it). So the copy
is installed with `uv tool install --offline` when the cache allows it, and otherwise exactly as
`uv tool install` lays it out, from the lock: `uv export --format pylock.toml` (the locked runtime
set, pinned by URL and hash) into a fresh venv, then the project itself, both with --offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import UserDirs
from spotify_merger.demo import free_port

REPO = Path(__file__).resolve().parents[1]
UV = shutil.which("uv")
DEV_ONLY = {
    "pytest",
    "hypothesis",
    "mypy",
    "ruff",
    "ipykernel",
    "debugpy",
    "jedi",
    "nbclient",
    "pandas",
    "seaborn",
}

pytestmark = pytest.mark.skipif(UV is None, reason="uv is not on PATH")


@dataclass
class Installed:
    exe: Path
    venv: Path
    how: str
    root: Path


def _uv_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")}
    env.update(UV_TOOL_DIR=str(root / "tools"), UV_TOOL_BIN_DIR=str(root / "bin"), UV_NO_PROGRESS="1")
    return env


def _uv(args: list[str], root: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert UV is not None
    return subprocess.run(
        [UV, *args], cwd=cwd, env=_uv_env(root), capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    locked = _uv(["export", "--frozen", "--no-dev", "--no-emit-project", "--format", "pylock.toml",
                  "-o", str(root / "pylock.toml"), "--quiet"], root, REPO)  # fmt: skip
    assert locked.returncode == 0, locked.stderr
    tool = _uv(["tool", "install", "--offline", "--with-requirements", str(root / "pylock.toml"), str(REPO)],
               root, root)  # fmt: skip
    if tool.returncode == 0:
        return Installed(
            root / "bin" / "spotify-merger", root / "tools" / "spotify-merger", "uv tool install", root
        )
    # Only the metadata gap: uv's resolver wants the registry's index pages, which an install
    # from the lock never fetched (worded either way, by uv version and cache state).
    gap = ("needs to be downloaded from a registry", "was not found in the cache")
    assert any(words in tool.stderr for words in gap), tool.stderr
    venv = root / "tools" / "spotify-merger"
    for step in (
        ["venv", "--quiet", "--python", sys.executable, str(venv)],
        ["pip", "install", "--offline", "--quiet", "--python", str(venv), "-r", str(root / "pylock.toml")],
        ["pip", "install", "--offline", "--quiet", "--no-deps", "--python", str(venv), str(REPO)],
    ):
        done = _uv(step, root, root)
        assert done.returncode == 0, (step, done.stderr)
    return Installed(venv / "bin" / "spotify-merger", venv, "the lock, as uv tool install lays it out", root)


def test_the_installed_copy_has_no_dev_or_notebook_packages(installed: Installed) -> None:
    site = next(installed.venv.glob("lib/python3*/site-packages"))
    names = {p.name.split("-")[0].lower().replace("_", "-") for p in site.glob("*.dist-info")}
    assert {"spotify-merger", "duckdb", "spotipy", "typer", "rich", "matplotlib", "platformdirs"} <= names
    assert not DEV_ONLY & names, DEV_ONLY & names
    # Nothing of the copy points back into the repository (not an editable install).
    assert not list(site.glob("*.pth")) or all(str(REPO) not in p.read_text() for p in site.glob("*.pth"))


def test_an_installed_copy_signs_in_fetches_reports_and_exports_from_an_empty_folder(
    installed: Installed, emulator_factory: EmulatorFactory, tmp_path: Path, user_dirs: UserDirs
) -> None:
    emu = emulator_factory(profile="dev-2026", playlist_sizes=(120, 90))
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    emu.register_redirect_uri(redirect)
    browser = tmp_path / "browser.py"
    browser.write_text(
        textwrap.dedent(
            """
            import sys, urllib.request
            # Approve like a user would: the emulator signs in at once and redirects to the copy.
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(sys.argv[1], timeout=30).read()
            """
        )
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTIFY_", "PLAYLIST_", "VIRTUAL_ENV"))}
    env.pop(
        "PYTHONDONTWRITEBYTECODE", None
    )  # an installed copy keeps its bytecode, as Python does by default
    env["BROWSER"] = f"{sys.executable} {browser} %s"
    # matplotlib builds its font cache on first use; once per module, not once per test.
    env["MPLCONFIGDIR"] = str(installed.root / "matplotlib")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(installed.exe), *args], cwd=empty, env=env, capture_output=True, text=True, timeout=180,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    p1, p2 = emu.playlist_ids
    settings = {
        "SPOTIFY_CLIENT_ID": emu.client_id,  # PKCE: no secret
        "SPOTIFY_REDIRECT_URI": redirect,
        "SPOTIFY_API_BASE": emu.api_base,
        "SPOTIFY_ACCOUNTS_BASE": emu.accounts_base,
        "PLAYLIST_1_ID": p1,
        "PLAYLIST_2_ID": p2,
    }
    saved = run("config", *(f"--set={k}={v}" for k, v in settings.items()))
    assert saved.returncode == 0, saved.stderr

    signed = run("auth")
    assert signed.returncode == 0, signed.stderr
    assert "using PKCE" in signed.stdout
    assert (user_dirs.data / ".spotify-token-cache.json").stat().st_mode & 0o777 == 0o600

    fetched = run("fetch", "-q")
    assert fetched.returncode == 0, fetched.stderr
    reported = run("report", "-q")
    assert reported.returncode == 0, reported.stderr
    report = json.loads((user_dirs.data / "exports" / "dry_run_report.json").read_text())
    assert [s["id"] for s in report["report"]["sources"]] == [p1, p2]
    exported = run("export", "--all", "--json")
    assert exported.returncode == 0, exported.stderr
    files = json.loads(exported.stdout)["files"]
    assert [f["playlist"] for f in files] == [p1, p2]
    assert all(Path(f["path"]).is_relative_to(user_dirs.data / "exports") for f in files)
    assert files[0]["rows"] == sum(1 for u in emu.playlist_uris(p1) if u)

    # Everything went to the user dirs; the folder it ran in is still empty.
    assert list(empty.iterdir()) == []
    assert (user_dirs.data / "spotify.duckdb").exists()
    assert (user_dirs.data / "exports" / "report.html").exists()
    shown = json.loads(run("config", "--json").stdout)
    assert shown["settings"]["SPOTIFY_CLIENT_ID"]["from"].startswith("settings file")
    assert shown["token_cache"]["exists"] is True
