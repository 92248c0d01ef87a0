"""Sync's first look (`sync.read.probe`): every snapshot in as few calls as the library allows, and
which master parts left the library, over real HTTP against the emulator."""

from __future__ import annotations

from fixtures import EnvFor
from spotify_merger.emulator import Emulator
from spotify_merger.spotify.client import SpotifyClient
from spotify_merger.sync.read import probe

LISTING = ("GET", "/v1/me/playlists")


def calls(emu: Emulator) -> int:
    return sum(n for (_m, r, _s), n in emu.counter.items() if r.startswith("/v1/"))


def make_playlists(emu: Emulator, n: int) -> list[str]:
    """Playlists the user made in the app: each goes to the top of their library."""
    return [emu.state.create_playlist(emu.user_id, f"mine {i}", False, False, "").id for i in range(n)]


def test_one_listing_call_shows_every_source_and_part_of_a_small_library(
    emulator: Emulator, env_for: EnvFor
) -> None:
    emu = emulator
    [part] = make_playlists(emu, 1)
    with SpotifyClient.connect(env_for(emu)) as client:
        emu.reset_counter()
        found = probe(client, list(emu.playlist_ids), [part])
    assert calls(emu) == 1 and emu.calls(*LISTING) == 1
    assert set(found.metas) == {*emu.playlist_ids, part}
    assert found.metas[part].snapshot_id == emu.playlist_snapshot(part)
    assert found.metas[emu.playlist_ids[0]].total == len(emu.playlist_uris(emu.playlist_ids[0]))
    assert not found.not_in_library and not found.not_found


def test_a_large_library_costs_one_call_per_playlist_not_listed_plus_one_library_check(
    emulator: Emulator, env_for: EnvFor
) -> None:
    emu = emulator
    [part, gone] = make_playlists(emu, 2)
    make_playlists(emu, 250)  # the sources and the parts are now far down a library of 6 pages
    emu.delete_playlist(gone)  # in the app, "delete" unfollows
    with SpotifyClient.connect(env_for(emu)) as client:
        emu.reset_counter()
        found = probe(client, list(emu.playlist_ids), [part, gone])
    # 1 listing page, 4 metadata calls, 1 library check: at most 1 per source and part, plus 2.
    assert emu.calls(*LISTING) == 1 and emu.calls("GET", "/v1/playlists/{id}") == 4
    assert emu.calls("GET", "/v1/me/library/contains") == 1 and calls(emu) == 6
    assert found.not_in_library == {gone}
    assert found.metas[part].snapshot_id == emu.playlist_snapshot(part)


def test_a_library_of_a_few_pages_is_read_whole_when_that_costs_no_more(
    emulator: Emulator, env_for: EnvFor
) -> None:
    emu = emulator
    [part, gone] = make_playlists(emu, 2)
    make_playlists(emu, 60)  # two pages of 50; two parts missing from the first
    emu.delete_playlist(gone)
    with SpotifyClient.connect(env_for(emu)) as client:
        emu.reset_counter()
        found = probe(client, list(emu.playlist_ids), [part, gone])
    # Both pages, and the metadata of the part no longer listed (to tell deleted from unknown).
    assert emu.calls(*LISTING) == 2 and calls(emu) == 3
    assert found.not_in_library == {gone} and part in found.metas
