"""`run` end to end against the emulator: the library flow, then the command's exit codes and messages."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor, SourcesOf, api_calls, new_playlists
from spotify_merger.cli import app
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ExitCode
from spotify_merger.pipeline import RunOptions, run_merge

ITEMS = "/v1/playlists/{id}/items"


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_run_fetches_analyses_writes_and_verifies(
    emulator_factory: EmulatorFactory, env_for: EnvFor, sources_of: SourcesOf, profile: str
) -> None:
    emu = emulator_factory(profile=profile, playlist_sizes=(400, 400))
    env = env_for(emu)
    before = sources_of(emu)
    existing = set(emu.user_playlist_ids())
    outcome = run_merge(env, RunOptions(yes=True, name="Merged"))
    [master] = new_playlists(emu, existing)
    assert outcome.verified and outcome.playlists[0].id == master
    # The master is exactly the analysis' plan (merge_plan.csv), in order, each song once.
    import csv

    with open(env.exports_dir / "merge_plan.csv", newline="") as fh:
        planned = [row["uri"] for row in csv.DictReader(fh)]
    assert emu.playlist_uris(master) == planned
    assert len(set(planned)) == len(planned)
    assert not any(u.startswith("spotify:local:") for u in planned)
    # Same song, two ids: no song key appears twice in the master.
    keys = [emu.library.song_key(u.rsplit(":", 1)[1]) for u in planned if u.startswith("spotify:track:")]
    assert len(keys) == len(set(keys))
    assert sources_of(emu) == before
    create_route = "/v1/me/playlists" if profile == "dev-2026" else "/v1/users/{id}/playlists"
    add_route = ITEMS if profile == "dev-2026" else "/v1/playlists/{id}/tracks"
    assert emu.calls("POST", create_route) == 1
    assert emu.calls("POST", add_route) == math.ceil(len(planned) / 100)
    summary = json.loads((env.exports_dir / "run_summary.json").read_text())
    assert summary["verified"] is True and summary["playlists"][0]["tracks"] == len(planned)
    assert sum(summary["api_calls"].values()) == summary["api_calls_total"] > 0
    assert (env.exports_dir / "dry_run_report.json").exists()
    if profile != "dev-2026":
        return
    # A rerun after success reports it and writes nothing: no adds, no reads beyond the fetch's
    # one confirming call per source, who is signed in, and one snapshot check of the master.
    emu.reset_counter()
    again = run_merge(env, RunOptions(yes=True, name="Merged"))
    assert again.status == "already-complete" and again.playlists == outcome.playlists
    assert api_calls(emu, "POST") == 0 and api_calls(emu, "DELETE") == 0
    assert emu.calls("GET", ITEMS) == 0 and api_calls(emu) <= 4


# -- the command ------------------------------------------------------------------------------------


def invoke(emu: Emulator, tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None) -> Result:
    settings = dict(emu.env())
    settings.update(extra_env or {})
    return CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args], env=settings)


def test_dry_run_previews_and_without_a_terminal_run_asks_for_yes(emulator: Emulator, tmp_path: Path) -> None:
    dry = invoke(emulator, tmp_path, "run", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output and "Operation Summary" in dry.output
    result = invoke(emulator, tmp_path, "run")
    assert result.exit_code == ExitCode.NOT_CONFIRMED, result.output
    assert "no terminal to confirm" in result.output and "--yes" in result.output
    assert "WRITE OPERATION PREVIEW" in result.output
    assert api_calls(emulator, "POST") == 0
    assert not (tmp_path / "data" / "exports" / "run_summary.json").exists()


def test_an_unknown_verify_mode_is_refused_before_any_call(emulator: Emulator, tmp_path: Path) -> None:
    result = invoke(emulator, tmp_path, "run", "--yes", "--verify", "bogus")
    assert result.exit_code == ExitCode.USAGE, result.output
    lines = result.output.strip().splitlines()
    assert lines == [
        "error: --verify 'bogus' is not one of full, quick",
        "hint: use --verify full (the default: read everything back) or --verify quick (compare snapshots)",
    ]
    assert api_calls(emulator) == 0


def test_run_with_quick_verify_and_the_report_page_written_alongside(
    emulator: Emulator, tmp_path: Path
) -> None:
    result = invoke(emulator, tmp_path, "run", "--yes", "--verify", "quick", "--name", "Quick")
    assert result.exit_code == 0, result.output
    assert "Compare each playlist's snapshot with the last add's" in result.output
    assert emulator.calls("GET", ITEMS) == 2 * math.ceil(300 / 50)  # the fetch's pages, no read-back
    exports = tmp_path / "data" / "exports"
    # Rendered in another process while the write ran; `run` never waits for it, so it may
    # land a moment after `run` returns (atomically: never a partial page).
    page = exports / "report.html"
    for _ in range(600):
        if page.exists():
            break
        time.sleep(0.1)
    html = page.read_text()
    assert html.rstrip().endswith("</html>") and html.count("data:image/png;base64,") == 5
    summary = json.loads((exports / "run_summary.json").read_text())
    # Said for what it is: a snapshot check, never "read back".
    assert summary["verified"] is True and summary["this_run"]["verified"] == "last-add-snapshot"
    assert "Verified now (quick)" in result.output and "read back" not in result.output


def test_the_same_playlist_twice_is_refused_before_any_call(emulator: Emulator, tmp_path: Path) -> None:
    p1, _ = emulator.playlist_ids
    result = invoke(emulator, tmp_path, "run", "--yes", p1, f"https://open.spotify.com/playlist/{p1}?si=abc")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "same playlist" in result.output
    assert api_calls(emulator) == 0


@pytest.mark.parametrize("name", ["", "N" * 120])
def test_a_bad_name_is_refused_before_any_call(emulator: Emulator, tmp_path: Path, name: str) -> None:
    result = invoke(emulator, tmp_path, "run", "--yes", "--name", name)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "name" in result.output
    assert api_calls(emulator) == 0


def test_a_token_without_the_modify_scope_is_explained(emulator: Emulator, tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    import requests

    emu = emulator
    redirect = emu.redirect_uris[0]
    answer = requests.get(
        emu.accounts_base + "/authorize",
        params={
            "client_id": emu.client_id,
            "response_type": "code",
            "redirect_uri": redirect,
            "scope": "playlist-read-private user-library-read",
            "state": "s",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        emu.accounts_base + "/api/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=(emu.client_id, emu.client_secret),
        timeout=10,
    ).json()
    before = set(emu.user_playlist_ids())
    result = invoke(
        emu, tmp_path, "run", "--yes", extra_env={"SPOTIFY_REFRESH_TOKEN": token["refresh_token"]}
    )
    assert result.exit_code == ExitCode.FORBIDDEN, result.output
    assert "playlist-modify-private scope" in result.output and "spotify-merger auth" in result.output
    assert set(emu.user_playlist_ids()) == before
    assert emu.calls("POST", ITEMS) == 0


def test_verify_and_undo_commands(emulator: Emulator, tmp_path: Path, sources_of: SourcesOf) -> None:
    emu = emulator
    before = sources_of(emu)
    nothing = invoke(emu, tmp_path, "verify")
    assert nothing.exit_code == ExitCode.NOTHING_TO_DO, nothing.output
    assert invoke(emu, tmp_path, "run", "--yes", "--name", "To Undo").exit_code == 0
    summary = json.loads((tmp_path / "data" / "exports" / "run_summary.json").read_text())
    master = summary["playlists"][0]["id"]

    ok = invoke(emu, tmp_path, "verify")
    assert ok.exit_code == 0 and "matches the plan" in ok.output, ok.output
    emu.edit_playlist(master, remove_positions=[3])
    bad = invoke(emu, tmp_path, "verify")
    assert bad.exit_code == ExitCode.VERIFY_FAILED, bad.output
    assert "do not match the plan" in bad.output and "position 4" in bad.output

    refused = invoke(emu, tmp_path, "undo")
    assert refused.exit_code == ExitCode.NOT_CONFIRMED and master in emu.user_playlist_ids()
    done = invoke(emu, tmp_path, "undo", "--yes")
    assert done.exit_code == 0, done.output
    assert master not in emu.user_playlist_ids()
    assert sources_of(emu) == before and all(p in emu.user_playlist_ids() for p in emu.playlist_ids)
    again = invoke(emu, tmp_path, "undo", "--yes")
    assert again.exit_code == ExitCode.NOTHING_TO_DO, again.output
