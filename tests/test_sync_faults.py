"""`sync`'s bad input and faults, each with its documented exit code, one error line and a hint, and
nothing lost or duplicated: the master ends exactly as the oracle says once the cause is gone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from spotify_merger.cli import app
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ExitCode
from sync_world import World
from test_lock import hold_in_another_process

ITEMS = "/v1/playlists/{id}/items"


def invoke(world: World, *args: str) -> Result:
    return CliRunner().invoke(app, ["--data-dir", str(world.env.data_dir), *args], env=dict(world.emu.env()))


def clean_stop(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    errors = [ln for ln in lines if ln.startswith("error:")]
    hints = [ln for ln in lines if ln.startswith("hint:")]
    assert len(errors) == 1 and len(hints) == 1, result.stderr
    return errors[0]


def on_request(emu: Emulator, method: str, route: str, nth: int, action: Callable[[], object]) -> None:
    """Run `action` once, right after the server answered the n-th `method route` request."""
    seen = [0]

    def heard(m: str, template: str, status: int) -> None:
        if m == method and template == route:
            seen[0] += 1
            if seen[0] == nth:
                action()

    emu.traffic.listeners.append(heard)


def test_no_previous_run_and_no_master_exits_13(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path, run=False)
    error = clean_stop(invoke(world, "sync", "--yes"), ExitCode.NOTHING_TO_DO)
    assert "no master playlist to sync" in error


def test_a_master_naming_a_source_exits_2(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path, run=False)
    p1 = emulator.playlist_ids[0]
    error = clean_stop(invoke(world, "sync", "--yes", "--master", p1), ExitCode.USAGE)
    assert "also one of the sources" in error


def test_someone_elses_playlist_is_not_adopted_exit_5(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path, run=False)
    before = emulator.playlist_uris(emulator.other_playlist_id)
    error = clean_stop(
        invoke(world, "sync", "--yes", "--master", emulator.other_playlist_id), ExitCode.FORBIDDEN
    )
    assert "not you" in error or "not yours" in error
    assert emulator.playlist_uris(emulator.other_playlist_id) == before


def test_a_deleted_master_exits_4_and_nothing_is_written(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path)
    emulator.edit_playlist(emulator.playlist_ids[0], add_uris=world.fresh_uris(3))
    emulator.delete_playlist(world.parts[0])  # in the app, "delete" unfollows
    before = world.uris(world.parts[0])
    error = clean_stop(invoke(world, "sync", "--yes"), ExitCode.NOT_FOUND)
    assert "no longer in your library" in error
    assert world.uris(world.parts[0]) == before


def test_yes_quiet_prints_one_line_and_json_a_summary(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path)
    quiet = invoke(world, "-q", "sync", "--yes")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout.count("\n") == 1 and "is up to date" in quiet.stdout
    emulator.edit_playlist(emulator.playlist_ids[1], add_uris=world.fresh_uris(4))
    out = invoke(world, "-q", "sync", "--yes", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["command"] == "sync" and doc["ok"] is True
    assert doc["status"] == "synced" and doc["added"] == 4 and doc["verified"]
    assert doc["api_calls_total"] == sum(doc["api_calls"].values()) > 0
    assert json.loads((world.env.exports_dir / "sync_summary.json").read_text())["added"] == 4
    failed = invoke(world, "sync", "--yes", "--json", "--master", emulator.playlist_ids[0])
    assert failed.exit_code == ExitCode.USAGE
    error = json.loads(failed.stdout)
    assert error["command"] == "sync" and error["ok"] is False
    assert error["error"]["code"] == 2 and error["error"]["name"] == "USAGE"
    assert error["error"]["message"] and error["error"]["hint"]


def test_without_a_terminal_and_without_yes_nothing_is_written_exit_10(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = World(emulator, tmp_path)
    emulator.edit_playlist(emulator.playlist_ids[0], add_uris=world.fresh_uris(2))
    before = world.uris(world.parts[0])
    clean_stop(invoke(world, "sync"), ExitCode.NOT_CONFIRMED)
    assert world.uris(world.parts[0]) == before
    # --json never asks: without --yes it is the same stop, as one JSON error document.
    as_json = invoke(world, "sync", "--json")
    assert as_json.exit_code == ExitCode.NOT_CONFIRMED
    error = json.loads(as_json.stdout)
    assert error["ok"] is False and error["error"]["name"] == "NOT_CONFIRMED"
    assert world.uris(world.parts[0]) == before


def test_two_syncs_at_once_the_second_exits_14(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path)
    holder = hold_in_another_process(world.env.data_dir)
    try:
        error = clean_stop(invoke(world, "sync", "--yes"), ExitCode.BUSY)
    finally:
        holder.kill()
        holder.wait()
    assert "is using the data dir" in error
    assert invoke(world, "sync", "--yes").exit_code == 0


def test_a_source_changed_before_the_write_stops_with_11_then_the_rerun_is_exact(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = World(emulator, tmp_path)
    p1, p2 = emulator.playlist_ids
    emulator.edit_playlist(p1, add_uris=world.fresh_uris(5))
    replacement = world.fresh_uris(2)

    def replace_in_p2() -> None:  # same length: only the snapshot tells
        emulator.edit_playlist(p2, add_uris=replacement, remove_positions=[0, 1])

    on_request(emulator, "GET", ITEMS, 1, replace_in_p2)  # during the read of p1's pages
    before = world.uris(world.parts[0])
    error = clean_stop(invoke(world, "sync", "--yes"), ExitCode.CONFLICT)
    assert "changed while sync was running" in error and "nothing was written" in error
    assert world.uris(world.parts[0]) == before
    world.sync()
    world.check()


@pytest.mark.slow
def test_a_source_changed_during_the_write_stops_with_11_and_the_next_sync_catches_up(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = World(emulator, tmp_path)
    p1, p2 = emulator.playlist_ids
    emulator.edit_playlist(p1, add_uris=world.fresh_uris(5))
    world.expect()  # what the first sync writes: the sources as read, before the change below
    late = world.fresh_uris(3)
    on_request(emulator, "POST", ITEMS, 1, lambda: emulator.edit_playlist(p2, add_uris=late))
    error = clean_stop(invoke(world, "sync", "--yes"), ExitCode.CONFLICT)
    assert "changed while sync was writing" in error
    world.check()  # complete and verified for the sources as they were read
    world.sync()
    world.check()
    assert all(u in world.uris(world.parts[-1]) for u in late)


def test_a_master_edited_during_the_write_is_read_and_planned_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = World(emulator, tmp_path)
    emulator.edit_playlist(emulator.playlist_ids[0], add_uris=world.fresh_uris(120))
    part = world.parts[0]
    on_request(emulator, "POST", ITEMS, 1, lambda: emulator.edit_playlist(part, remove_positions=[0]))
    summary = world.sync(model=False)
    assert summary.rounds == 2 and summary.verified
    world.expect()
    assert world.model is not None
    world.model.hand_remove(0, [0])
    world.check()


def test_a_part_filled_to_10000_before_the_write_gets_a_new_part(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path, name="Big")
    part = world.parts[0]
    room = 10_000 - len(world.uris(part))
    filler = [u for u in emulator.unique_addable_uris() if u][:50]
    new = world.fresh_uris(4)
    emulator.edit_playlist(emulator.playlist_ids[0], add_uris=new)

    def fill() -> None:  # the user fills the part to Spotify's cap while sync is at its prompt
        emulator.edit_playlist(part, add_uris=(filler * (room // len(filler) + 1))[:room])

    on_request(emulator, "GET", "/v1/me/playlists", 2, fill)
    summary = world.sync(model=False)
    assert summary.rounds == 2 and len(summary.parts) == 2
    assert world.uris(part)[-1] != new[-1] and len(world.uris(part)) == 10_000
    assert world.uris(world.parts[1]) == [u for u in world.independent_plan() if u in new]
    assert emulator.playlist(world.parts[1])["name"] == "Big (2/2)"


def test_kill_9_leaves_no_stale_lock(emulator: Emulator, tmp_path: Path) -> None:
    world = World(emulator, tmp_path)
    code = "import sys, time; from pathlib import Path; from spotify_merger.store.lock import data_dir_lock\n"
    code += "with data_dir_lock(Path(sys.argv[1]), 'sync'):\n    print('held', flush=True); time.sleep(60)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(world.env.data_dir)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    proc.kill()
    proc.wait()
    assert invoke(world, "sync", "--yes").exit_code == 0


def test_names_from_spotify_are_shown_as_data_in_the_terminal_and_the_html(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = World(emulator, tmp_path)
    [uri] = world.fresh_uris(1)
    emulator.library.tracks[uri.rsplit(":", 1)[1]]["name"] = "<b>[red]Loud[/red]</b>\x1b[31m\nX"
    emulator.edit_playlist(emulator.playlist_ids[0], add_uris=[uri])
    result = invoke(world, "sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "\x1b[31m" not in result.stderr and "[red]Loud[/red]" in result.stderr
    page = (world.env.exports_dir / "sync_report.html").read_text()
    assert "&lt;b&gt;[red]Loud[/red]&lt;/b&gt;" in page and "<b>[red]" not in page
    doc = json.loads((world.env.exports_dir / "sync_report.json").read_text())
    assert doc["delta"]["added"] == 1 and doc["delta"]["new_songs"][0]["uri"] == uri
