"""Web API and accounts semantics: bad input, ownership, scopes, limits, fields, profiles."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from emulator_fixtures import EmulatorFactory, bearer_session
from spotify_merger.emulator import Emulator


def error_of(r: requests.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["message"])


def plain_uris(emu: Emulator, n: int) -> list[str]:
    return [u for u in emu.playlist_uris(emu.playlist_ids[0]) if u and u.startswith("spotify:track:")][:n]


def new_playlist(s: requests.Session, emu: Emulator, public: bool = False) -> str:
    r = s.post(f"{emu.api_base}/me/playlists", json={"name": "t", "public": public})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


# --- bad input (issue list) -----------------------------------------------------------------------
def test_bad_input_answers_in_spotify_error_shape(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    s = bearer_session(emu)
    p1 = emu.playlist_ids[0]
    assert "not found" in error_of(s.get(f"{api}/no/such/path"), 404).lower()
    r = s.post(f"{api}/me/playlists", data=b"{not json", headers={"Content-Type": "application/json"})
    error_of(r, 400)
    r = s.delete(f"{api}/me")
    error_of(r, 405)
    assert "GET" in r.headers["Allow"]
    assert error_of(requests.get(f"{api}/me", timeout=5), 401) == "No token provided"
    bad = requests.get(f"{api}/me", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert error_of(bad, 401) == "Invalid access token"
    assert "WWW-Authenticate" in bad.headers
    pid = emu.other_playlist_id
    error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": plain_uris(emu, 1)}), 403)
    for limit in (0, 51, "x"):
        error_of(s.get(f"{api}/playlists/{p1}/items", params={"limit": limit}), 400)
    error_of(s.get(f"{api}/me/playlists", params={"limit": 51}), 400)
    error_of(s.get(f"{api}/playlists/{p1}/items", params={"offset": -1}), 400)
    error_of(s.get(f"{api}/playlists/not-an-id/items"), 400)
    error_of(s.get(f"{api}/playlists/{'A' * 22}/items"), 404)
    error_of(s.get(f"{api}/playlists/{p1}/items", params={"fields": "items(item(name"}), 400)
    error_of(s.get(f"{api}/playlists/{p1}/items", params={"market": "usa"}), 400)


def test_paging_is_ordered_and_complete(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    p2 = emu.playlist_ids[1]
    url: str | None = f"{emu.api_base}/playlists/{p2}/items?limit=50&offset=0"
    seen: list[Any] = []
    prev = None
    while url:
        page = s.get(url).json()
        assert page["total"] == 300 and page["limit"] == 50 and page["previous"] == prev
        seen += [(e["item"] or {}).get("uri") for e in page["items"]]
        prev, url = page["href"], page["next"]
    assert seen == emu.playlist_uris(p2)
    past = s.get(f"{emu.api_base}/playlists/{p2}/items", params={"offset": 400}).json()
    assert past["items"] == [] and past["next"] is None


def test_dev_entries_use_item_and_extended_entries_carry_both(emulator_factory: EmulatorFactory) -> None:
    for profile, limit in (("dev-2026", 50), ("extended", 100)):
        emu = emulator_factory(profile=profile, playlist_sizes=(120, 60))
        s = bearer_session(emu)
        page = s.get(f"{emu.api_base}/playlists/{emu.playlist_ids[0]}/items", params={"limit": limit}).json()
        entry = page["items"][0]
        assert entry["item"]["type"] == "track"
        assert ("track" in entry) is (profile == "extended")
        assert ("popularity" in entry["item"]) is (profile == "extended")
        assert ("available_markets" in entry["item"]) is (profile == "extended")
        error_of(
            s.get(f"{emu.api_base}/playlists/{emu.playlist_ids[0]}/items", params={"limit": limit + 1}), 400
        )
        legacy = s.get(f"{emu.api_base}/playlists/{emu.playlist_ids[0]}/tracks", params={"limit": 100})
        if profile == "dev-2026":
            error_of(legacy, 403)
        else:
            assert legacy.status_code == 200 and legacy.json()["items"][0]["track"]["type"] == "track"


def test_single_track_and_artist_check_their_id(emulator: Emulator) -> None:
    s, api = bearer_session(emulator), emulator.api_base
    tid = plain_uris(emulator, 1)[0].rsplit(":", 1)[1]
    aid = emulator.library.tracks[tid]["artists"][0]
    assert s.get(f"{api}/tracks/{tid}").json()["id"] == tid
    assert s.get(f"{api}/artists/{aid}").json()["id"] == aid
    for kind in ("tracks", "artists"):
        assert "Invalid base62 id" in error_of(s.get(f"{api}/{kind}/not!an!id"), 400)
        assert "not found" in error_of(s.get(f"{api}/{kind}/{'0' * 22}"), 404)
        error_of(requests.get(f"{api}/{kind}/{tid}", timeout=10), 401)


def test_dev_profile_removed_endpoints_and_fields(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    s = bearer_session(emu)
    tid = plain_uris(emu, 1)[0].rsplit(":", 1)[1]
    aid = emu.library.tracks[tid]["artists"][0]
    for path in (
        f"audio-features?ids={tid}",
        f"artists?ids={aid}",
        f"tracks?ids={tid}",
        f"users/{emu.user_id}/playlists",
    ):
        error_of(s.get(f"{api}/{path}"), 403)
    error_of(s.post(f"{api}/users/{emu.user_id}/playlists", json={"name": "x"}), 403)
    artist = s.get(f"{api}/artists/{aid}").json()
    assert not {"popularity", "followers", "genres"} & set(artist)
    # Followed but not owned: metadata yes, entries no.
    other = emu.other_playlist_id
    meta = s.get(f"{api}/playlists/{other}").json()
    assert meta["id"] == other and "items" not in meta
    assert "own" in error_of(s.get(f"{api}/playlists/{other}/items"), 403)
    collab = s.get(f"{api}/playlists/{emu.collaborative_playlist_id}/items")
    assert collab.status_code == 200


def test_extended_profile_batch_endpoints_and_relinking(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(profile="extended")
    s = bearer_session(emu)
    api = emu.api_base
    ids = [u.rsplit(":", 1)[1] for u in plain_uris(emu, 100)]
    feats = s.get(f"{api}/audio-features", params={"ids": ",".join(ids)}).json()["audio_features"]
    assert [f["id"] for f in feats] == ids
    error_of(s.get(f"{api}/audio-features", params={"ids": ",".join(ids + ids[:1])}), 400)
    tracks = s.get(f"{api}/tracks", params={"ids": ",".join(ids[:50])}).json()["tracks"]
    assert [t["id"] for t in tracks] == ids[:50]
    error_of(s.get(f"{api}/tracks", params={"ids": ",".join(ids[:51])}), 400)
    artists = s.get(f"{api}/artists", params={"ids": tracks[0]["artists"][0]["id"]}).json()["artists"]
    assert {"popularity", "followers", "genres"} <= set(artists[0])
    original, alt = emu.library.relinked_pairs()[0]
    relinked = s.get(f"{api}/tracks/{original}", params={"market": "US"}).json()
    assert relinked["id"] == alt and relinked["linked_from"]["id"] == original
    assert "linked_from" not in s.get(f"{api}/tracks/{original}").json()
    assert emu.library.same_song(original, alt)


def test_fields_filter(emulator: Emulator) -> None:
    emu = emulator
    s = bearer_session(emu)
    p1 = emu.playlist_ids[0]
    page = s.get(
        f"{emu.api_base}/playlists/{p1}/items",
        params={"limit": "3", "fields": "total,next,items(added_at,added_by.id,item(name,album(name,href)))"},
    ).json()
    assert set(page) == {"total", "next", "items"}
    assert set(page["items"][0]) == {"added_at", "added_by", "item"}
    assert set(page["items"][0]["added_by"]) == {"id"}
    assert set(page["items"][0]["item"]) == {"name", "album"}
    assert set(page["items"][0]["item"]["album"]) == {"name", "href"}
    assert "fields=" in page["next"]
    excluded = s.get(
        f"{emu.api_base}/playlists/{p1}/items",
        params={"limit": "1", "fields": "items.item.album(!images,available_markets)"},
    ).json()
    assert "images" not in excluded["items"][0]["item"]["album"]
    pl = s.get(f"{emu.api_base}/playlists/{p1}", params={"fields": "snapshot_id,items.total"}).json()
    assert pl == {"snapshot_id": emu.playlist_snapshot(p1), "items": {"total": 300}}


# --- writes ---------------------------------------------------------------------------------------
def test_add_rules_local_uris_cap_position_and_snapshot(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    s = bearer_session(emu)
    pid = new_playlist(s, emu)
    uris = plain_uris(emu, 120)
    snap0 = emu.playlist_snapshot(pid)
    r = s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:2]})
    assert r.status_code == 201 and r.json()["snapshot_id"] == emu.playlist_snapshot(pid) != snap0
    r = s.post(f"{api}/playlists/{pid}/items", params={"uris": uris[2], "position": "0"})
    assert r.status_code == 201 and emu.playlist_uris(pid) == [uris[2], uris[0], uris[1]]
    error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:101]}), 400)
    local = next(u for u in emu.playlist_uris(emu.playlist_ids[0]) if u and u.startswith("spotify:local:"))
    assert "local" in error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": [local]}), 400).lower()
    error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": ["spotify:track:bad"]}), 400)
    error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:1], "position": 99}), 400)
    error_of(s.post(f"{api}/playlists/{pid}/items", json={}), 400)
    assert len(emu.playlist_uris(pid)) == 3
    r = s.delete(f"{api}/playlists/{pid}/items", json={"items": [{"uri": uris[0]}], "snapshot_id": snap0})
    assert r.status_code == 200 and emu.playlist_uris(pid) == [uris[2], uris[1]]


def test_playlist_holds_at_most_10000_items(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    s = bearer_session(emu)
    pid = new_playlist(s, emu)
    uris = plain_uris(emu, 100)
    emu.edit_playlist(pid, add_uris=(uris * 100)[:9950])
    assert s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:50]}).status_code == 201
    assert "10,000" in error_of(s.post(f"{api}/playlists/{pid}/items", json={"uris": uris[:1]}), 403)
    assert len(emu.playlist_uris(pid)) == 10_000


def test_scopes_are_enforced(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    read_only = bearer_session(emu, {"playlist-read-private"})
    assert "scope" in error_of(
        read_only.post(f"{api}/me/playlists", json={"name": "x", "public": False}), 403
    )
    error_of(
        read_only.post(f"{api}/playlists/{emu.playlist_ids[0]}/items", json={"uris": plain_uris(emu, 1)}), 403
    )
    error_of(read_only.get(f"{api}/me/tracks"), 403)
    public_only = bearer_session(emu, {"playlist-modify-public"})
    error_of(public_only.post(f"{api}/me/playlists", json={"name": "x", "public": False}), 403)
    assert public_only.post(f"{api}/me/playlists", json={"name": "x"}).status_code == 201
    no_private_read = bearer_session(emu, {"playlist-modify-private"})
    error_of(no_private_read.get(f"{api}/playlists/{emu.playlist_ids[0]}/items"), 403)


def test_unfollow_with_me_library(emulator: Emulator) -> None:
    emu, api = emulator, emulator.api_base
    s = bearer_session(emu)
    pid = new_playlist(s, emu)
    assert pid in emu.user_playlist_ids()
    r = s.delete(f"{api}/me/library", params={"uris": f"spotify:playlist:{pid}"})
    assert r.status_code == 200 and pid not in emu.user_playlist_ids()
    error_of(s.delete(f"{api}/me/library"), 400)
    error_of(s.delete(f"{api}/playlists/{pid}/followers"), 403)  # removed in Development Mode


def test_follow_and_unfollow_in_the_extended_profile(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(profile="extended", playlist_sizes=(20, 20))
    s = bearer_session(emu)
    pid = new_playlist(s, emu)
    followers = f"{emu.api_base}/playlists/{pid}/followers"
    assert s.delete(followers).status_code == 200 and pid not in emu.user_playlist_ids()
    assert s.delete(followers).status_code == 200  # unfollowing twice is no error
    assert s.put(followers).status_code == 200 and emu.user_playlist_ids()[0] == pid
    assert s.put(followers).status_code == 200 and emu.user_playlist_ids().count(pid) == 1


def test_liked_songs(emulator: Emulator) -> None:
    emu = emulator
    page = bearer_session(emu).get(f"{emu.api_base}/me/tracks", params={"limit": 50}).json()
    assert page["total"] == len(emu.library.liked)
    assert [i["track"]["id"] for i in page["items"]] == [t for t, _ in emu.library.liked[:50]]


# --- accounts -------------------------------------------------------------------------------------
def test_authorize_refuses_unregistered_and_localhost_redirects(emulator: Emulator) -> None:
    emu = emulator
    url = f"{emu.accounts_base}/authorize"
    base = {"client_id": emu.client_id, "response_type": "code", "scope": "playlist-read-private"}
    for uri in ("http://127.0.0.1:9999/other", "http://localhost:8888/callback", "http://example.com/cb"):
        r = requests.get(url, params={**base, "redirect_uri": uri}, allow_redirects=False, timeout=5)
        assert r.status_code == 400 and "Location" not in r.headers
    with pytest.raises(ValueError, match="localhost"):
        emu.register_redirect_uri("http://localhost:8888/callback")
    emu.register_redirect_uri("http://127.0.0.1:9999/other")
    r = requests.get(
        url,
        params={**base, "redirect_uri": "http://127.0.0.1:9999/other", "state": "s1"},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302 and "code=" in r.headers["Location"] and "state=s1" in r.headers["Location"]
    bad_client = requests.get(
        url,
        params={**base, "client_id": "nope", "redirect_uri": emu.redirect_uris[0]},
        allow_redirects=False,
        timeout=5,
    )
    assert bad_client.status_code == 400


def test_token_endpoint_errors(emulator: Emulator) -> None:
    emu = emulator
    url = f"{emu.accounts_base}/api/token"
    cases = [
        (
            {"grant_type": "refresh_token", "refresh_token": "nope"},
            (emu.client_id, emu.client_secret),
            400,
            "invalid_grant",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": emu.refresh_token},
            (emu.client_id, "wrong"),
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": emu.refresh_token},
            ("nope", "x"),
            401,
            "invalid_client",
        ),
        ({"grant_type": "password"}, (emu.client_id, emu.client_secret), 400, "unsupported_grant_type"),
        ({}, (emu.client_id, emu.client_secret), 400, "unsupported_grant_type"),
        (
            {"grant_type": "authorization_code", "code": "nope", "redirect_uri": emu.redirect_uris[0]},
            (emu.client_id, emu.client_secret),
            400,
            "invalid_grant",
        ),
        ({"grant_type": "authorization_code"}, (emu.client_id, emu.client_secret), 400, "invalid_request"),
    ]
    for data, auth, status, error in cases:
        r = requests.post(url, data=data, auth=auth, timeout=5)
        assert r.status_code == status, (data, r.text)
        assert r.json()["error"] == error and r.json()["error_description"]
    # The secret may also come in the body; client credentials give an app-only token.
    r = requests.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
        timeout=5,
    )
    assert r.status_code == 200 and "refresh_token" not in r.json()
    app_only = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert requests.get(f"{emu.api_base}/me", headers=app_only, timeout=5).status_code == 401
    emu.revoke_refresh_token()
    r = requests.post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": emu.refresh_token},
        auth=(emu.client_id, emu.client_secret),
        timeout=5,
    )
    assert r.json()["error"] == "invalid_grant"


def test_tokens_expire(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(token_ttl=1)
    r = requests.post(
        f"{emu.accounts_base}/api/token",
        timeout=5,
        auth=(emu.client_id, emu.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": emu.refresh_token},
    )
    assert r.json()["expires_in"] == 1
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert requests.get(f"{emu.api_base}/me", headers=headers, timeout=5).status_code == 200
    time.sleep(1.1)
    expired = requests.get(f"{emu.api_base}/me", headers=headers, timeout=5)
    assert error_of(expired, 401) == "The access token expired"
