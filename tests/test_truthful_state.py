"""The word "verified" is never false, and a master's name is never silently taken twice.

`run` after a verified run re-checks the master (its snapshot; a full read-back when it moved);
an edited master is exit 12, never "already done"; `run_summary.json` and the success panel say
what this run did, not what an earlier one did; a new master never takes a name already in the
user's library (the default name moves on to "NAME (2)"), at the cost of one /me/playlists scan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hostile import Outcome, assert_clean, assert_one_error, invoke
from spotify_merger.emulator import Emulator

ITEMS = "/v1/playlists/{id}/items"


def summary(data: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((data / "exports" / "run_summary.json").read_text())
    return doc


def masters(emu: Emulator, before: set[str]) -> list[str]:
    return [p for p in emu.user_playlist_ids() if p not in before]


def writes(emu: Emulator) -> int:
    return sum(c for (m, r, _s), c in emu.counter.items() if r.startswith("/v1/") and m != "GET")


def run(emu: Emulator, data: Path, *args: str) -> Outcome:
    return invoke(emu, data, "run", "--yes", *args)


def test_a_rerun_rechecks_the_master_and_claims_nothing_it_did_not_do(
    emulator: Emulator, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    before = set(emulator.user_playlist_ids())
    first = run(emulator, data, "--name", "Truth")
    assert first.code == 0, first.output
    assert "Created playlist" in first.output and "Verified now" in first.output
    [master] = masters(emulator, before)
    assert summary(data)["this_run"]["created"] == [master] and summary(data)["this_run"]["added"] > 0

    emulator.reset_counter()
    again = run(emulator, data, "--name", "Truth")
    assert again.code == 0, again.output
    assert_clean(again)
    assert "Created playlist" not in again.output and "Songs added" not in again.output
    assert "ALREADY DONE" in again.output and "unchanged on Spotify since it was verified" in again.output
    assert writes(emulator) == 0 and emulator.calls("GET", ITEMS) == 0  # one snapshot call, no read-back
    done = summary(data)
    assert done["outcome"] == "already-complete" and done["verified"] is True
    assert done["this_run"] == {"created": [], "added": 0, "found_already_added": 0, "verified": "snapshot"}


def test_an_edited_master_is_exit_12_not_already_done(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = set(emulator.user_playlist_ids())
    assert run(emulator, data, "--name", "Edited").code == 0
    [master] = masters(emulator, before)
    emulator.edit_playlist(master, remove_positions=[0])  # the user removes a song in the app
    out = run(emulator, data, "--name", "Edited")
    assert_one_error(out, 12, "no longer matches the plan", "--new-master")
    assert "Already done" not in out.output and "ALREADY DONE" not in out.output
    assert summary(data)["verified"] is False and summary(data)["outcome"] == "verify-failed"
    assert masters(emulator, before) == [master]  # nothing written
    assert_one_error(invoke(emulator, data, "verify"), 12)


def test_a_moved_snapshot_with_the_same_songs_is_read_back_and_passes(
    emulator: Emulator, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    before = set(emulator.user_playlist_ids())
    assert run(emulator, data).code == 0
    [master] = masters(emulator, before)
    first_uri = emulator.playlist_uris(master)[0]
    assert first_uri is not None
    emulator.edit_playlist(master, add_uris=[first_uri])  # added, then removed again: same songs
    emulator.edit_playlist(master, remove_positions=[len(emulator.playlist_uris(master)) - 1])
    emulator.reset_counter()
    out = run(emulator, data)
    assert out.code == 0, out.output
    assert "read back: it still matches the plan" in out.output and emulator.calls("GET", ITEMS) > 0
    assert summary(data)["this_run"]["verified"] == "read-back"
    emulator.reset_counter()
    assert run(emulator, data).code == 0  # the new snapshot is remembered: no read-back again
    assert emulator.calls("GET", ITEMS) == 0


def test_a_name_used_by_an_earlier_master_is_reused_never_duplicated(
    emulator: Emulator, tmp_path: Path
) -> None:
    """run --name A; run --new-master --name B; run --name A: the third finds A, creates nothing."""
    data = tmp_path / "data"
    before = set(emulator.user_playlist_ids())
    assert run(emulator, data, "--name", "A").code == 0
    assert run(emulator, data, "--new-master", "--name", "B").code == 0
    third = run(emulator, data, "--name", "A")
    assert third.code == 0, third.output
    assert "ALREADY DONE" in third.output
    names = sorted(emulator.playlist(p)["name"] for p in masters(emulator, before))
    assert names == ["A", "B"]
    # Asking for a new master under a name already taken is refused: exit 11, nothing created.
    refused = run(emulator, data, "--new-master", "--name", "A")
    assert_one_error(refused, 11, "'A'", "already in your library", "spotify-merger wrote it", "--name")
    assert sorted(emulator.playlist(p)["name"] for p in masters(emulator, before)) == ["A", "B"]


def test_a_playlist_of_the_user_with_the_name_is_never_duplicated(emulator: Emulator, tmp_path: Path) -> None:
    data = tmp_path / "data"
    taken = emulator.playlist(emulator.playlist_ids[0])["name"]  # a source's own name
    before = set(emulator.user_playlist_ids())
    emulator.reset_counter()
    refused = run(emulator, data, "--name", taken)
    assert_one_error(refused, 11, "already in your library", "choose another --name")
    assert masters(emulator, before) == []
    assert emulator.calls("GET", "/v1/me/playlists") == 1  # the check is one library scan


def test_the_default_name_moves_on_when_taken(emulator: Emulator, tmp_path: Path) -> None:
    from spotify_merger.analyze.parts import default_master_name

    data = tmp_path / "data"
    before = set(emulator.user_playlist_ids())
    assert run(emulator, data).code == 0
    assert run(emulator, data, "--new-master").code == 0
    names = sorted(emulator.playlist(p)["name"] for p in masters(emulator, before))
    assert names == [default_master_name(), f"{default_master_name()} (2)"]


def test_dry_run_scans_nothing(emulator: Emulator, tmp_path: Path) -> None:
    emulator.reset_counter()
    out = invoke(emulator, tmp_path / "data", "run", "--dry-run")
    assert out.code == 0, out.output
    assert emulator.calls("GET", "/v1/me/playlists") == 0 and writes(emulator) == 0
