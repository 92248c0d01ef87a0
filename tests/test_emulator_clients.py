"""Real clients (spotipy 2.26, tekore) work against the emulator with nothing changed but base URLs."""

from __future__ import annotations

import warnings

import pytest
import requests
import spotipy
from spotipy.oauth2 import SpotifyAuthBase, SpotifyOAuth, SpotifyPKCE

from emulator_fixtures import EmulatorFactory
from spotify_merger.emulator import Emulator

SCOPES = "playlist-read-private playlist-read-collaborative playlist-modify-private playlist-modify-public"


def oauth_class(base: type, emu: Emulator) -> type:
    # spotipy takes its accounts URLs from class attributes, so a subclass is the supported override.
    return type(
        base.__name__ + "Emu",
        (base,),
        {
            "OAUTH_AUTHORIZE_URL": f"{emu.accounts_base}/authorize",
            "OAUTH_TOKEN_URL": f"{emu.accounts_base}/api/token",
        },
    )


def secret_oauth(emu: Emulator, state: str | None = None) -> SpotifyOAuth:
    """spotipy's Authorization Code manager (with the client secret) for the emulator's app."""
    return oauth_class(SpotifyOAuth, emu)(
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        redirect_uri=emu.redirect_uris[0],
        scope=SCOPES,
        cache_handler=spotipy.MemoryCacheHandler(),
        open_browser=False,
        state=state,
    )


def follow_authorize(url: str) -> str:
    """What a browser would do: open the authorize URL; return the redirect it answers with."""
    r = requests.get(url, allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def client(emu: Emulator, auth_manager: SpotifyAuthBase) -> spotipy.Spotify:
    sp = spotipy.Spotify(
        auth_manager=auth_manager, requests_session=requests.Session(), retries=0, status_retries=0
    )
    sp.prefix = emu.api_base + "/"
    return sp


def test_spotipy_authorization_code_with_secret_then_paging_create_and_add(emulator: Emulator) -> None:
    emu = emulator
    auth = secret_oauth(emu, state="xyz")
    location = follow_authorize(auth.get_authorize_url())
    assert location.startswith(emu.redirect_uris[0]) and "state=xyz" in location
    code = auth.parse_response_code(location)
    token = auth.get_access_token(code, as_dict=True, check_cache=False)
    assert token["refresh_token"] and token["expires_in"] == 3600
    sp = client(emu, auth)
    assert sp.current_user()["id"] == emu.user_id

    p1 = emu.playlist_ids[0]
    page = sp.playlist_items(p1, limit=50)
    uris = []
    while page:
        uris += [e["item"]["uri"] if e["item"] else None for e in page["items"]]
        page = sp.next(page) if page["next"] else None
    assert uris == emu.playlist_uris(p1)
    assert emu.calls("GET", "/v1/playlists/{id}/items", 200) == 6

    created = sp.current_user_playlist_create("Master Library", public=False, description="merged")
    assert created["owner"]["id"] == emu.user_id and created["public"] is False
    to_add = [u for u in uris if u and not u.startswith("spotify:local:")][:150]
    snap1 = sp.playlist_add_items(created["id"], to_add[:100])["snapshot_id"]
    snap2 = sp.playlist_add_items(created["id"], to_add[100:])["snapshot_id"]
    assert snap1 != snap2
    assert emu.playlist_uris(created["id"]) == to_add
    assert created["id"] in emu.user_playlist_ids()


def pkce_manager(emu: Emulator) -> SpotifyPKCE:
    """spotipy's PKCE manager pointed at the emulator's accounts service, tokens kept in memory."""
    return oauth_class(SpotifyPKCE, emu)(
        client_id=emu.client_id,
        redirect_uri=emu.redirect_uris[0],
        scope=SCOPES,
        cache_handler=spotipy.MemoryCacheHandler(),
        open_browser=False,
    )


def test_spotipy_pkce_and_refresh(emulator: Emulator) -> None:
    emu = emulator
    auth = pkce_manager(emu)
    code = auth.parse_response_code(follow_authorize(auth.get_authorize_url()))
    token = auth.get_access_token(code, check_cache=False)
    assert isinstance(token, str)
    info = auth.cache_handler.get_cached_token()
    # PKCE clients refresh with their client id alone (no secret).
    refreshed = auth.refresh_access_token(info["refresh_token"])
    assert refreshed["access_token"] != info["access_token"]
    sp = client(emu, auth)
    assert sp.current_user_playlists(limit=50)["total"] == len(emu.user_playlist_ids())


def test_pkce_with_a_wrong_verifier_is_invalid_grant(emulator: Emulator) -> None:
    emu = emulator
    auth = pkce_manager(emu)
    code = auth.parse_response_code(follow_authorize(auth.get_authorize_url()))
    r = requests.post(
        f"{emu.accounts_base}/api/token",
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": emu.redirect_uris[0],
            "client_id": emu.client_id,
            "code_verifier": "not-the-verifier-" * 3,
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_spotipy_headless_refresh_token_flow(emulator: Emulator) -> None:
    emu = emulator
    auth = secret_oauth(emu)
    info = auth.refresh_access_token(emu.refresh_token)
    assert info["access_token"].startswith("BQ")
    sp = client(emu, auth)
    assert sp.playlist(emu.playlist_ids[1], fields="id,name,items.total")["items"]["total"] == 300


def test_spotipy_surfaces_errors_without_retrying(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(rate_limit=60)
    sp = spotipy.Spotify(
        auth=emu.issue_token(), requests_session=requests.Session(), retries=0, status_retries=0
    )
    sp.prefix = emu.api_base + "/"
    p1 = emu.playlist_ids[0]
    with pytest.raises(spotipy.SpotifyException) as info:
        for i in range(200):
            sp.playlist_items(p1, limit=50, offset=(i * 50) % 300)
    assert info.value.http_status == 429
    assert int(info.value.headers["Retry-After"]) >= 1
    assert emu.calls(status=200) == 60


def test_tekore_reads(emulator_factory: EmulatorFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    tekore = pytest.importorskip("tekore")
    from tekore._client import base as tekore_base

    emu = emulator_factory(profile="extended")
    monkeypatch.setattr(tekore_base, "prefix", emu.api_base + "/")
    tk = tekore.Spotify(emu.issue_token(), max_limits_on=True)
    with warnings.catch_warnings():
        # tekore warns about response attributes its models do not know yet (e.g. `item`, `primary_color`).
        warnings.simplefilter("ignore")
        assert tk.current_user().id == emu.user_id
        listed = tk.followed_playlists(limit=50)
        assert [p.id for p in listed.items] == emu.user_playlist_ids()
        # tekore 6.2 cannot parse local files (its AlbumType enum chokes on the album_type null that
        # Spotify sends for them), so it reads the first 100 entries, which the seeding keeps plain.
        p1 = emu.playlist_ids[0]
        first = tk.playlist_items(p1, limit=100)
        assert first.total == 300
        assert [e.track.uri for e in first.items] == emu.playlist_uris(p1)[:100]
        collab = emu.collaborative_playlist_id
        uris = [e.item.uri for e in tk.all_items(tk.playlist_items(collab, limit=10))]
        assert uris == emu.playlist_uris(collab)
        saved = tk.saved_tracks(limit=50)
        assert saved.total == len(emu.library.liked)
        artist_id = emu.library.tracks[emu.library.liked[0][0]]["artists"][0]
        assert tk.artist(artist_id).name == emu.library.artists[artist_id]["name"]
        feats = tk.tracks_audio_features([emu.library.liked[0][0]])
        assert feats[0].id == emu.library.liked[0][0]
