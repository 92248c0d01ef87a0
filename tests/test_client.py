"""SpotifyClient against the emulator in both API profiles, over real HTTP."""

from __future__ import annotations

import pytest

from emulator_fixtures import EmulatorFactory
from fixtures import EnvFor
from spotify_merger.emulator import Emulator
from spotify_merger.errors import ForbiddenError
from spotify_merger.spotify.client import SpotifyClient

PROFILES = ["dev-2026", "extended"]


@pytest.fixture(params=PROFILES)
def emu(request: pytest.FixtureRequest, emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(profile=request.param)


def test_profile_is_detected_from_the_metadata_call(emu: Emulator, env_for: EnvFor) -> None:
    with SpotifyClient.connect(env_for(emu)) as client:
        meta = client.playlist_meta(emu.playlist_ids[0])
        assert client.profile == emu.profile
        assert client.page_limit == (50 if emu.profile == "dev-2026" else 100)
        truth = emu.playlist(emu.playlist_ids[0])
        assert meta.snapshot_id == truth["snapshot_id"]
        assert meta.total == truth["total"]
        assert meta.owner_id == emu.user_id
        assert meta.name == truth["name"]
        assert client.policy.total_calls == 1


def test_items_page_puts_the_entry_under_item(emu: Emulator, env_for: EnvFor) -> None:
    pid = emu.playlist_ids[0]
    with SpotifyClient.connect(env_for(emu)) as client:
        client.playlist_meta(pid)
        page = client.items_page(pid, 100)
    assert len(page.items) == client.page_limit
    expected = emu.served_uris(pid)[100 : 100 + client.page_limit]
    assert [e["item"]["uri"] if e["item"] else None for e in page.items] == expected
    assert page.uris == expected
    assert all("track" not in e for e in page.items)
    route = "items" if emu.profile == "dev-2026" else "tracks"
    assert emu.calls("GET", f"/v1/playlists/{{id}}/{route}", 200) == 1


def test_not_owned_playlist_in_dev_mode_explains_the_2026_rule(emu: Emulator, env_for: EnvFor) -> None:
    pid = emu.other_playlist_id
    with SpotifyClient.connect(env_for(emu)) as client:
        client.playlist_meta(emu.playlist_ids[0])
        if emu.profile == "extended":
            assert client.items_page(pid, 0).items
            return
        with pytest.raises(ForbiddenError) as info:
            client.items_page(pid, 0)
    assert "Development Mode" in info.value.message and "own" in info.value.message
    assert "spotify-merger playlists" in info.value.hint


def test_write_endpoints_follow_the_profile(emu: Emulator, env_for: EnvFor) -> None:
    src = emu.playlist_ids[0]
    uris = [u for u in emu.playlist_uris(src) if u and not u.startswith("spotify:local:")][:3]
    with SpotifyClient.connect(env_for(emu)) as client:
        client.playlist_meta(src)
        created = client.create_playlist("Master Test", "merged from two", public=False)
        assert created.url.endswith(created.id)
        snap = client.add_items(created.id, uris)
        assert snap == emu.playlist_snapshot(created.id)
        assert emu.playlist_uris(created.id) == uris
        assert emu.playlist(created.id)["public"] is False
        client.unfollow_playlist(created.id)
    assert created.id not in emu.user_playlist_ids()
    if emu.profile == "dev-2026":
        assert emu.calls("POST", "/v1/me/playlists", 201) == 1
        assert emu.calls("DELETE", "/v1/me/library", 200) == 1
    else:
        assert emu.calls("POST", "/v1/users/{id}/playlists", 201) == 1
        assert emu.calls("DELETE", "/v1/playlists/{id}/followers", 200) == 1


def test_audio_features_and_artists_exist_only_in_extended(emu: Emulator, env_for: EnvFor) -> None:
    tracks = list(emu.library.tracks)[:5]
    artist_ids = list(emu.library.artists)[:3]
    with SpotifyClient.connect(env_for(emu)) as client:
        if emu.profile == "dev-2026":
            with pytest.raises(ForbiddenError):
                client.audio_features(tracks)
            with pytest.raises(ForbiddenError):
                client.artists(artist_ids)
            return
        feats = client.audio_features(tracks)
        artists = client.artists(artist_ids)
    assert len(feats) == 5 and all(f is None or "danceability" in f for f in feats)
    assert [a["id"] for a in artists] == artist_ids and all("genres" in a for a in artists)


def test_liked_and_user_playlists(emu: Emulator, env_for: EnvFor) -> None:
    with SpotifyClient.connect(env_for(emu)) as client:
        liked = client.liked_page(0)
        mine = client.user_playlists()
    assert liked.total == len(emu.library.liked)
    assert [e["item"]["id"] for e in liked.items] == [t for t, _ in emu.library.liked[:50]]
    assert [p.id for p in mine] == emu.user_playlist_ids()
