"""The emulator routes `sync` relies on, against the public definition: removal by URI (every
occurrence, no positions), reorder and insert, and the library check; plus the hand-edit helpers."""

from __future__ import annotations

import pytest

from emulator_fixtures import EmulatorFactory, bearer_session
from spotify_merger.emulator import Emulator
from test_emulator_api import error_of, new_playlist, plain_uris
from test_emulator_openapi import Validator, raw_spec  # noqa: F401 (the fixture, used by name)


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_delete_removes_every_occurrence_of_each_uri_and_takes_no_positions(
    emulator_factory: EmulatorFactory, profile: str
) -> None:
    emu: Emulator = emulator_factory(profile=profile)
    s = bearer_session(emu)
    api = emu.api_base
    a, b, c = plain_uris(emu, 3)
    pid = new_playlist(s, emu)
    emu.edit_playlist(pid, add_uris=[a, b, a, c, a])
    snap = emu.playlist_snapshot(pid)
    path, key = ("tracks", "tracks") if profile == "extended" else ("items", "items")
    assert "positions" in error_of(
        s.delete(f"{api}/playlists/{pid}/{path}", json={key: [{"uri": a, "positions": [0]}]}), 400
    )
    other = "tracks" if key == "items" else "items"
    error_of(s.delete(f"{api}/playlists/{pid}/{path}", json={other: [{"uri": a}]}), 400)
    error_of(s.delete(f"{api}/playlists/{pid}/{path}", json={key: [{"uri": a}], "snapshot_id": 7}), 400)
    assert emu.playlist_uris(pid) == [a, b, a, c, a]  # refused requests change nothing
    r = s.delete(f"{api}/playlists/{pid}/{path}", json={key: [{"uri": a}, {"uri": c}], "snapshot_id": snap})
    assert r.status_code == 200 and r.json()["snapshot_id"] == emu.playlist_snapshot(pid) != snap
    assert emu.playlist_uris(pid) == [b]
    # A URI that is not there is no error, and a stale snapshot_id does not stop the change.
    r = s.delete(f"{api}/playlists/{pid}/{path}", json={key: [{"uri": a}, {"uri": b}], "snapshot_id": snap})
    assert r.status_code == 200 and emu.playlist_uris(pid) == []


def test_only_the_owner_may_remove(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    uri = emu.playlist_uris(emu.other_playlist_id)[0]
    error_of(
        s.delete(f"{emu.api_base}/playlists/{emu.other_playlist_id}/items", json={"items": [{"uri": uri}]}),
        403,
    )


def test_library_contains_tells_followed_playlists_apart(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    pid = new_playlist(s, emu)
    gone = new_playlist(s, emu)
    emu.delete_playlist(gone)
    uris = ",".join(f"spotify:playlist:{p}" for p in (pid, gone, emu.playlist_ids[0]))
    r = s.get(f"{emu.api_base}/me/library/contains", params={"uris": uris})
    assert r.status_code == 200 and r.json() == [True, False, True]
    error_of(s.get(f"{emu.api_base}/me/library/contains"), 400)
    too_many = ",".join([f"spotify:playlist:{pid}"] * 41)
    error_of(s.get(f"{emu.api_base}/me/library/contains", params={"uris": too_many}), 400)


def test_hand_edit_helpers_insert_and_reorder_like_the_app(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    a, b, c, d = plain_uris(emu, 4)
    pid = new_playlist(s, emu)
    emu.edit_playlist(pid, add_uris=[a, b, c])
    before = emu.playlist_snapshot(pid)
    assert emu.insert_items(pid, [d], 1) != before
    assert emu.playlist_uris(pid) == [a, d, b, c]
    emu.reorder_playlist(pid, 0, 4)  # the first entry to the end
    assert emu.playlist_uris(pid) == [d, b, c, a]
    # The same move through the API gives the same result.
    r = s.put(f"{emu.api_base}/playlists/{pid}/items", json={"range_start": 3, "insert_before": 0})
    assert r.status_code == 200 and emu.playlist_uris(pid) == [a, d, b, c]
    with pytest.raises(ValueError):
        emu.insert_items(pid, [a], 9)


@pytest.mark.parametrize("profile", ["dev-2026", "extended"])
def test_sync_routes_validate_against_openapi(
    request: pytest.FixtureRequest, emulator_factory: EmulatorFactory, profile: str
) -> None:
    emu: Emulator = emulator_factory(profile=profile)
    v = Validator(request.getfixturevalue("raw_spec"), profile, emu.api_base)
    s = bearer_session(emu)
    api = emu.api_base
    pid = new_playlist(s, emu)
    uris = plain_uris(emu, 5)
    v.check(s.post(f"{api}/playlists/{pid}/items", json={"uris": uris}))
    v.check(s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:1], "position": 2}))
    v.check(s.put(f"{api}/playlists/{pid}/items", json={"range_start": 0, "insert_before": 3}))
    v.check(s.delete(f"{api}/playlists/{pid}/items", json={"items": [{"uri": uris[0]}]}))
    v.check(s.get(f"{api}/me/library/contains", params={"uris": f"spotify:playlist:{pid}"}))
    assert len(v.checked) == 5
